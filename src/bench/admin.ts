import { Cluster } from 'ioredis';
import type { Target } from '../cluster/index.js';
import { explainConnectError } from '../cluster/index.js';
import { memo } from './prng.js';

/** The harness's admin view of the cluster (ioredis Cluster, auto-pipelined) for prefill and cleanup. */
export async function openAdmin(target: Target): Promise<Cluster> {
  const seed = target.seeds[0];
  if (!seed) throw new Error('target has no seed');
  const c = new Cluster(target.seeds.map((s) => ({ host: s.host, port: s.port })), {
    redisOptions: {
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      connectTimeout: 3000,
    },
    enableAutoPipelining: true,
    enableOfflineQueue: true,
    clusterRetryStrategy: () => null,
    lazyConnect: true,
  });
  let cause: unknown;
  c.on('error', (e: unknown) => {
    cause ??= e;
  });
  try {
    await c.connect();
    await c.ping();
  } catch (err) {
    c.disconnect();
    throw explainConnectError(seed, cause ?? err);
  }
  return c;
}

export async function closeAdmin(c: Cluster): Promise<void> {
  try {
    await c.quit();
  } catch {
    c.disconnect();
  }
}

const BATCH = 2000;

/** SET each key with a value of its size and its TTL, a batch of promises at a time (auto-pipelined per node). */
export async function prefillKeys(c: Cluster, keys: ReadonlyArray<{ key: string; bytes: number; ttl: number }>, valueOf: (bytes: number) => Buffer): Promise<void> {
  const values = new Map<number, Buffer>();
  for (let i = 0; i < keys.length; i += BATCH) {
    await Promise.all(keys.slice(i, i + BATCH).map((k) => {
      return c.set(k.key, memo(values, k.bytes, () => valueOf(k.bytes)), 'EX', k.ttl);
    }));
  }
}

/** UNLINK every key (one command per key: they live in many slots). Returns how many existed. */
export async function unlinkKeys(c: Cluster, keys: readonly string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < keys.length; i += BATCH) {
    const res = await Promise.all(keys.slice(i, i + BATCH).map((k) => c.unlink(k)));
    n += res.reduce((a, b) => a + b, 0);
  }
  return n;
}
