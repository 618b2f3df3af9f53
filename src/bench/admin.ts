import type { Cluster } from 'ioredis';
import { connectClusterClient, targetCredentials, type Target } from '../cluster/index.js';
import { slotGroups } from '../tenancy/index.js';
import { memo } from './prng.js';

/** The harness's admin Cluster client (auto-pipelined) for prefill and cleanup; close it with closeNode. */
export function openAdminCluster(target: Target): Promise<Cluster> {
  return connectClusterClient(target.seeds, targetCredentials(target));
}

const BATCH = 256;

/** SET each key with a value of its size and its TTL, a batch of promises at a time (auto-pipelined per node). */
export async function prefillKeys(
  c: Cluster,
  keys: ReadonlyArray<{ key: string; bytes: number; ttl: number }>,
  valueOf: (bytes: number) => Buffer,
): Promise<void> {
  const values = new Map<number, Buffer>();
  for (let i = 0; i < keys.length; i += BATCH) {
    await Promise.all(
      keys.slice(i, i + BATCH).map((k) => {
        const v = memo(values, k.bytes, () => valueOf(k.bytes));
        // TTL 0: the comparisons' reference keys, removed after the run.
        return k.ttl > 0 ? c.set(k.key, v, 'EX', k.ttl) : c.set(k.key, v);
      }),
    );
  }
}

/** Keys per UNLINK: one slot's keys go in one command (a multi-key command must stay in one slot). */
const UNLINK_CHUNK = 500;

/**
 * UNLINK every key, one command per slot's worth of keys: a tenant-module's keys share a slot, so a
 * 35k-key bench cleans up in ~100 commands instead of 35k (and without 35k command objects in memory).
 * Returns how many existed.
 */
export async function unlinkKeys(c: Cluster, keys: readonly string[]): Promise<number> {
  const commands = slotGroups(keys, UNLINK_CHUNK);
  let n = 0;
  for (let i = 0; i < commands.length; i += BATCH) {
    const res = await Promise.all(commands.slice(i, i + BATCH).map((ks) => c.unlink(...ks)));
    n += res.reduce((a, b) => a + b, 0);
  }
  return n;
}
