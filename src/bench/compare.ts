import type { Target } from '../cluster/index.js';
import type { BenchResult, Comparison, ComparisonRow } from '../report/index.js';
import type { Spec } from '../spec/index.js';
import { dataTypesOf } from '../tenancy/index.js';
import type { DriverName } from './drivers/index.js';
import { buildPopulation, tenantModules } from './population.js';
import { redactedCommand, redisBenchmarkArgs, removeRedisBenchmarkKeys, runRedisBenchmark, type RedisBenchmarkOptions, type RedisBenchmarkRow } from './redis-benchmark.js';
import { runBench } from './runner.js';
import type { BenchTopology } from './topology.js';
import type { Workload } from './workload.js';

export interface CompareOptions {
  spec: Spec;
  target: Target;
  topology: BenchTopology;
  workload: Workload;
  driver: DriverName;
  connections: number;
  workers: number;
  /** Requests in flight, ours and redis-benchmark's (-c). */
  inflight: number;
  /** Requests per op (-n), and our max ops per op. */
  requests: number;
  valueBytes: number;
  /** Distinct keys (-r). */
  keyspace: number;
  /** Alternate ours / theirs this many times; the median of each is reported. */
  rounds?: number;
  log?: (line: string) => void;
}

/** The profile's mean value size, weighted by channel mix and size weights. */
export function meanValueBytes(w: Workload): number {
  let sum = 0;
  let weight = 0;
  for (const ch of ['mobile', 'web'] as const) {
    const sizes = w.channel[ch].valueSizes;
    const total = sizes.reduce((a, v) => a + v.weight, 0);
    for (const v of sizes) {
      const share = (w.channels[ch] * v.weight) / total;
      sum += share * v.bytes;
      weight += share;
    }
  }
  return Math.max(1, Math.round(sum / weight));
}

/** Same tenants, modules and channels as the workload, but one op, one value size, uniform keys over ≈ `keyspace` keys. */
export function referenceWorkload(spec: Spec, w: Workload, op: 'set' | 'get', valueBytes: number, keyspace: number): Workload {
  const combos = tenantModules(spec, buildPopulation(spec, w)).reduce((n, tm) => n + dataTypesOf(spec, tm.module).length, 0);
  const traits = { readRatio: op === 'get' ? 1 : 0, valueSizes: [{ bytes: valueBytes, weight: 1 }] };
  return {
    ...w,
    name: `${w.name}-reference-${op}`,
    channel: { mobile: traits, web: traits },
    modules: Object.fromEntries(Object.entries(w.modules).map(([m, t]) => [m, { ...(t.weight !== undefined ? { weight: t.weight } : {}), ...(t.dataTypes ? { dataTypes: t.dataTypes } : {}) }])),
    keys: { perTenantModule: Math.max(1, Math.ceil(keyspace / combos)), popularity: 'uniform', zipfExponent: 0 },
    prefill: op === 'get',
    cleanup: true,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

/**
 * Closed-loop SET-only and GET-only runs of ours, and `redis-benchmark --cluster -t set,get` with the same
 * requests in flight, value size, request count and key count, against the same cluster, one after the other.
 */
export async function compareWithRedisBenchmark(o: CompareOptions): Promise<{ comparison: Comparison; runs: BenchResult[] }> {
  const log = o.log ?? (() => undefined);
  const seed = o.topology.masters[0];
  if (!seed) throw new Error('no master');
  const rbOpts: RedisBenchmarkOptions = {
    host: seed.host, port: seed.port,
    ...(o.target.username ? { username: o.target.username } : {}),
    ...(o.target.password ? { password: o.target.password } : {}),
    tests: ['set', 'get'], clients: o.inflight, requests: o.requests, valueBytes: o.valueBytes, keyspace: o.keyspace,
  };
  const rounds = Math.max(1, o.rounds ?? 1);
  const ours: Record<'set' | 'get', BenchResult[]> = { set: [], get: [] };
  const theirs: RedisBenchmarkRow[][] = [];
  const runOurs = async () => {
    for (const op of ['set', 'get'] as const) {
      const r = await runBench({
        spec: o.spec, target: o.target, topology: o.topology, workload: referenceWorkload(o.spec, o.workload, op, o.valueBytes, o.keyspace),
        name: `reference ${op} (closed loop, ${o.inflight} in flight)`, mode: 'closed', rate: 0, inflight: o.inflight,
        connections: o.connections, workers: o.workers, driver: o.driver, durationMs: 60_000, warmupMs: 0, maxOps: o.requests,
        tableSize: 16384, log,
      });
      ours[op].push(r);
      log(`ours ${op}: ${Math.round(r.totals.completed_rate)} ops/s, generator CPU ${r.generator.cpu_percent}%`);
    }
  };
  const runTheirs = async () => {
    try {
      const rows = await runRedisBenchmark(rbOpts, 180_000);
      theirs.push(rows);
      log(`redis-benchmark: ${rows.map((r) => `${r.test} ${Math.round(r.rps)} ops/s`).join(', ')}`);
    } finally {
      const n = await removeRedisBenchmarkKeys(o.target, o.topology).catch(() => -1);
      if (n < 0) log('could not remove redis-benchmark\'s keys (key:{...}:<12 digits>)');
    }
  };
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      await runOurs();
      await runTheirs();
    } else {
      await runTheirs();
      await runOurs();
    }
  }
  const rows: ComparisonRow[] = (['set', 'get'] as const).map((op) => {
    const mine = ours[op];
    const rb = theirs.map((rs) => rs.find((x) => x.test === op)).filter((x): x is RedisBenchmarkRow => x !== undefined);
    const oursRate = median(mine.map((m) => m.totals.completed_rate));
    const rbRate = median(rb.map((x) => x.rps));
    return {
      op,
      ours_ops_per_s: Math.round(oursRate),
      ours_p50_us: median(mine.map((m) => m.overall.p50_us)),
      ours_p99_us: median(mine.map((m) => m.overall.p99_us)),
      ours_cpu_percent: median(mine.map((m) => m.generator.cpu_percent)),
      redis_benchmark_ops_per_s: Math.round(rbRate),
      redis_benchmark_p50_ms: median(rb.map((x) => x.p50_ms)),
      redis_benchmark_p99_ms: median(rb.map((x) => x.p99_ms)),
      ratio: rbRate > 0 ? Math.round((oursRate / rbRate) * 100) / 100 : 0,
    };
  });
  return {
    comparison: {
      inflight: o.inflight, value_bytes: o.valueBytes, requests: o.requests, keyspace: o.keyspace,
      ours: { driver: o.driver, connections_per_node: o.connections, masters: o.topology.masters.length, workers: o.workers },
      redis_benchmark_command: redactedCommand(redisBenchmarkArgs(rbOpts)),
      rows,
      note: `same cluster, one after the other${rounds > 1 ? ` (${rounds} alternating rounds, medians)` : ''}; both keep ${o.inflight} requests in flight: redis-benchmark over ${o.inflight} connections with one request each, ours over ${o.connections * o.workers} connection(s) per master, pipelined. Our keys are tenancy keys over ${o.keyspace} keys (op table of 16384 entries); the machine is shared, so compare the ratio, not the absolute figures`,
    },
    runs: [...ours.set, ...ours.get],
  };
}
