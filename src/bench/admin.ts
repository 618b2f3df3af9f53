import type { Cluster } from 'ioredis';
import { closeNode, connectClusterClient, targetCredentials, type Target } from '../cluster/index.js';
import { memo } from './prng.js';

/** The harness's admin view of the cluster (ioredis Cluster, auto-pipelined) for prefill and cleanup. */
export function openAdmin(target: Target): Promise<Cluster> {
  return connectClusterClient(target.seeds, targetCredentials(target));
}

export const closeAdmin = closeNode;

const BATCH = 256;

/** SET each key with a value of its size and its TTL, a batch of promises at a time (auto-pipelined per node). */
export async function prefillKeys(c: Cluster, keys: ReadonlyArray<{ key: string; bytes: number; ttl: number }>, valueOf: (bytes: number) => Buffer): Promise<void> {
  const values = new Map<number, Buffer>();
  for (let i = 0; i < keys.length; i += BATCH) {
    await Promise.all(keys.slice(i, i + BATCH).map((k) => {
      const v = memo(values, k.bytes, () => valueOf(k.bytes));
      // TTL 0: the comparisons' reference keys, removed after the run.
      return k.ttl > 0 ? c.set(k.key, v, 'EX', k.ttl) : c.set(k.key, v);
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
