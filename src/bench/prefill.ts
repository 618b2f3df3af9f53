import type { Target } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import type { Spec } from '../spec/index.js';
import { slotOf, type DataType } from '../tenancy/index.js';
import { prepareLoad } from './load.js';
import { allocOpTable, OP_SET, opTableSize, type OpTable } from './op-table.js';
import { DEFAULT_PACING } from './pacer.js';
import type { BenchTopology } from './topology.js';
import type { Workload } from './workload.js';

/** Writes in flight per master while prefilling. */
const PREFILL_DEPTH = 64;

/** A table of one SET (with its size and TTL) per key, in order; padded to a power of two with copies that are never sent. */
export function prefillTable(keys: ReadonlyArray<{ key: string; bytes: number; ttl: number }>): OpTable {
  const t = allocOpTable(opTableSize(keys.length), [{ op: 'set', module: 'prefill', channel: 'mobile', plan: 'prefill' }], []);
  t.kind.fill(OP_SET);
  t.dataType.fill('prefill' as DataType); // raw SETs: never read through TenantCache
  for (let i = 0; i < t.size; i++) {
    const k = keys[i % Math.max(1, keys.length)] ?? { key: 'cache-harness-prefill', bytes: 1, ttl: 1 };
    t.key[i] = k.key;
    t.userKey[i] = k.key;
    t.slot[i] = slotOf(k.key);
    t.valueSize[i] = k.bytes;
    t.ttl[i] = k.ttl;
  }
  return t;
}

/**
 * Write the keys a run will read through the lean RESP path (the same encoding and connections as the
 * run): pipelined, a few dozen in flight per master, no per-command objects. The cluster admin client
 * did this before and its command objects for 30k SETs cost the generator ~35 MB of resident memory.
 */
export async function prefillThroughResp(
  spec: Spec,
  target: Target,
  topology: BenchTopology,
  workload: Workload,
  keys: ReadonlyArray<{ key: string; bytes: number; ttl: number }>,
): Promise<void> {
  if (keys.length === 0) return;
  const table = prefillTable(keys);
  const load = await prepareLoad(spec, {
    worker: 0,
    workload,
    target,
    topology,
    driver: 'resp',
    connections: 1,
    maxInFlightPerConn: PREFILL_DEPTH,
    mode: 'closed',
    rate: 0,
    inflight: PREFILL_DEPTH * topology.masters.length,
    warmupMs: 0,
    durationMs: 600_000,
    maxOps: keys.length,
    drainTimeoutMs: 30_000,
    tableSize: table.size,
    seed: 0,
    phaseMs: 0,
    pacing: DEFAULT_PACING,
    table,
    inOrder: true,
  });
  try {
    const run = await load.run(Date.now());
    if (run.errors > 0 || run.timeouts > 0 || run.completed < keys.length) {
      const why = Object.entries(run.errorsByMessage)
        .slice(0, 3)
        .map(([m, n]) => `${n}× ${m}`)
        .join('; ');
      throw new HarnessError(
        `prefill: ${run.completed} of ${keys.length} keys written (${run.errors} errors, ${run.timeouts} unanswered)${why ? `: ${why}` : ''}`,
      );
    }
  } finally {
    await load.close();
  }
}
