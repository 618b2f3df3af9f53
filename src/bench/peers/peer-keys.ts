import { closeNode, connectNode, scanKeys, targetCredentials, type Target } from '../../cluster/index.js';
import { isRedisBenchmarkKey, REDIS_BENCHMARK_KEY_PATTERN } from '../redis-benchmark.js';
import { REFERENCE_KEY_PREFIX } from '../reference-table.js';
import type { BenchTopology } from '../topology.js';
import { MEMTIER_KEY_PREFIX } from './memtier.js';

/** What a comparison writes (no TTL): SCAN patterns, each with an exact test so nothing else is touched. */
const COMPARISON_KEYS: ReadonlyArray<{ match: string; is: (k: string) => boolean }> = [
  { match: REDIS_BENCHMARK_KEY_PATTERN, is: isRedisBenchmarkKey },
  { match: `${MEMTIER_KEY_PREFIX}*`, is: (k) => k.startsWith(MEMTIER_KEY_PREFIX) },
  { match: `${REFERENCE_KEY_PREFIX}*`, is: (k) => k.startsWith(REFERENCE_KEY_PREFIX) },
];

/** Remove the keys a comparison wrote (redis-benchmark's, memtier's, our reference keys), SCANning every master. Returns how many. */
export async function removeComparisonKeys(target: Target, topology: BenchTopology): Promise<number> {
  let removed = 0;
  for (const m of topology.masters) {
    const c = await connectNode(m, targetCredentials(target));
    try {
      for (const { match, is } of COMPARISON_KEYS) {
        for await (const batch of scanKeys(c, { match })) {
          const keys = batch.filter(is);
          if (keys.length === 0) continue;
          // Keys of one node sit in many slots: one UNLINK per key, pipelined.
          const p = c.pipeline();
          for (const k of keys) p.unlink(k);
          removed += ((await p.exec()) ?? []).reduce((a, [, n]) => a + (typeof n === 'number' ? n : 0), 0);
        }
      }
    } finally {
      await closeNode(c);
    }
  }
  return removed;
}
