import type { Redis } from 'ioredis';
import type { Spec } from '../spec/index.js';
import { expectedConfigValue } from './normalize.js';

/** A live setting that differs from the spec. */
export interface Drift {
  node: string;
  key: string;
  expected: string;
  actual: string;
}

/** directive → the value CONFIG GET must return, from the spec's `redis:` section and security. */
export function expectedSettings(spec: Spec): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(spec.redis)) out.set(k, expectedConfigValue(k, v));
  out.set('bind', spec.security.bind.join(' '));
  out.set('cluster-enabled', 'yes');
  return out;
}

/** Compare one node's CONFIG GET answers with what the spec expects. Pure. */
export function diffConfig(node: string, expected: ReadonlyMap<string, string>, actual: ReadonlyMap<string, string>): Drift[] {
  const drifts: Drift[] = [];
  for (const [key, want] of expected) {
    const got = actual.get(key);
    if (got === undefined) drifts.push({ node, key, expected: want, actual: '(not a setting of this server)' });
    else if (got.trim().toLowerCase() !== want.toLowerCase()) drifts.push({ node, key, expected: want, actual: got });
  }
  return drifts;
}

/** CONFIG GET every key in one round trip (Redis 7 takes several patterns). */
export async function readConfig(client: Redis, keys: Iterable<string>): Promise<Map<string, string>> {
  const flat = (await client.call('CONFIG', 'GET', ...keys)) as string[];
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(String(flat[i]), String(flat[i + 1]));
  return out;
}
