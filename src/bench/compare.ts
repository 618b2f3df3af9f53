import type { Target } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import type { Comparison, ComparisonRow, PeerRunResult } from '../report/index.js';
import type { Spec } from '../spec/index.js';
import type { DriverName } from './drivers/index.js';
import { findMemtier, runMemtier } from './peers/memtier.js';
import { withCleanupOnSignal } from '../cluster/index.js';
import { removeComparisonKeys } from './peers/peer-keys.js';
import { createPeerUser, type PeerCredentials } from './peers/peer-user.js';
import type { PeerRun, PeerStructure } from './peers/peer.js';
import { runRedisBenchmark } from './redis-benchmark.js';
import { referenceOpTable } from './reference-table.js';
import { runBench } from './runner.js';
import { openTargetNodes } from './target-activity.js';
import type { BenchTopology } from './topology.js';
import type { Workload } from './workload.js';

export type PeerTool = 'redis-benchmark' | 'memtier';

export interface CompareOptions {
  spec: Spec;
  target: Target;
  topology: BenchTopology;
  /** Only for the bench's bookkeeping (name, seed); the comparison's ops come from a reference table. */
  workload: Workload;
  driver: DriverName;
  tools: readonly PeerTool[];
  /** memtier_benchmark's path (default: on PATH). */
  memtierBin?: string;
  connectionsPerMaster: number;
  /** Requests in flight per connection, on both sides. */
  pipeline: number;
  valueBytes: number;
  keyspace: number;
  durationMs: number;
  rounds: number;
  log?: (line: string) => void;
}

const OPS = ['set', 'get'] as const;

/**
 * Ours against redis-benchmark and/or memtier, like for like: the same connections per master and
 * pipeline depth (so the same requests in flight), the same value size, the same number of distinct
 * uniform keys, the same duration (redis-benchmark, which counts requests, gets as many as ours
 * completed), one op at a time. Each pair runs back to back and each side's CPU is read from the kernel
 * for that very run; rounds alternate who goes first, and the reported round is the median one.
 */
export async function compareWithPeers(o: CompareOptions): Promise<Comparison> {
  const log = o.log ?? (() => undefined);
  if (o.driver === 'tenant-cache')
    throw new HarnessError(
      '--compare-* runs plain SET/GET: use --driver resp or ioredis',
      'the tenant-cache driver writes through the tenancy layout, which the peer tools do not have',
    );
  const seed = o.topology.masters[0];
  if (!seed) throw new HarnessError('no master to point the peer tools at');
  const memtier = o.tools.includes('memtier') ? findMemtier(o.memtierBin) : undefined;
  const s: PeerStructure = {
    masters: o.topology.masters.length,
    connectionsPerMaster: o.connectionsPerMaster,
    pipeline: o.pipeline,
    valueBytes: o.valueBytes,
    keyspace: o.keyspace,
    durationS: Math.max(1, Math.round(o.durationMs / 1000)),
  };
  const inflight = s.masters * s.connectionsPerMaster * s.pipeline;
  const pairs: Array<{ round: number; tool: PeerTool; op: 'set' | 'get'; ours: PeerRun; theirs: PeerRun }> = [];
  const nodes = await openTargetNodes(o.target);
  const user = await createPeerUser(nodes).catch(async (err: unknown) => {
    await nodes.close();
    throw err;
  });
  const creds = user.credentials;
  // Ctrl-C mid-comparison: our run stops sending and cleans up its keys, then the throwaway user and the
  // peer tools' keys (no TTL) go, then the process exits 130/143.
  const abort = new AbortController();
  let current: Promise<unknown> = Promise.resolve();
  const removeAll = async () => {
    await user.remove();
    const n = await removeComparisonKeys(o.target, o.topology).catch(() => -1);
    log(
      n >= 0
        ? `removed the comparison's ${n} key(s) and its ACL user`
        : "could not remove the comparison's keys (key:{...}:<12 digits>, cache-harness-memtier:*, cache-harness-ref:*)",
    );
  };
  const onSignal = async () => {
    abort.abort();
    await current.catch(() => undefined);
    await removeAll();
  };
  try {
    await withCleanupOnSignal(
      { run: onSignal, emergency: () => undefined },
      async () => {
        const lastCount = new Map<string, number>();
        for (let round = 0; round < o.rounds; round++) {
          for (const op of OPS) {
            // Alternate who goes first; redis-benchmark needs a request count, taken from our run (or our last one).
            const oursFirst = round % 2 === 0;
            let ours: PeerRun | undefined;
            const theirs: Array<[PeerTool, PeerRun]> = [];
            const ourRun = () => {
              const p = runOurs(o, s, inflight, op, round, log, abort.signal);
              current = p;
              return p;
            };
            if (oursFirst) ours = await ourRun();
            for (const tool of o.tools) {
              if (abort.signal.aborted) return;
              const count = ours?.count ?? lastCount.get(op) ?? Math.round(100_000 * s.durationS);
              const peer = runPeer(tool, seed, creds, s, op, count, memtier, log, abort.signal);
              current = peer;
              const run = await peer.catch((err: unknown) => {
                // Stopped by a Ctrl-C: not a failure of the tool; the signal handler finishes up.
                if (abort.signal.aborted) return undefined;
                throw err;
              });
              if (!run) return;
              theirs.push([tool, run]);
            }
            if (abort.signal.aborted) return;
            if (!ours) ours = await ourRun();
            lastCount.set(op, ours.count);
            for (const [tool, run] of theirs) pairs.push({ round, tool, op, ours, theirs: run });
          }
        }
      },
      log,
    );
  } finally {
    if (!abort.signal.aborted) {
      await removeAll();
      await nodes.close();
    }
  }
  // Interrupted: the signal handler cleans up and exits 130/143; nothing here may race it with an error.
  if (abort.signal.aborted) await new Promise<never>(() => undefined);
  return {
    structure: {
      masters: s.masters,
      connections_per_master: s.connectionsPerMaster,
      pipeline: s.pipeline,
      inflight_total: inflight,
      value_bytes: s.valueBytes,
      keyspace: s.keyspace,
      duration_s: s.durationS,
      rounds: o.rounds,
    },
    sides: sidesInWords(o, s, inflight),
    rows: o.tools.flatMap((tool) =>
      OPS.map((op) =>
        row(
          tool,
          op,
          pairs.filter((p) => p.tool === tool && p.op === op),
        ),
      ),
    ),
    note: 'one op at a time, each pair back to back on the same cluster, CPU read from the kernel for the same run as the ops/s beside it; the machine is shared with the cluster, so compare the ratios, not the absolute figures',
  };
}

async function runOurs(
  o: CompareOptions,
  s: PeerStructure,
  inflight: number,
  op: 'set' | 'get',
  round: number,
  log: (l: string) => void,
  signal: AbortSignal,
): Promise<PeerRun> {
  const table = referenceOpTable({
    op,
    valueBytes: s.valueBytes,
    keyspace: s.keyspace,
    size: Math.min(2 ** 17, s.keyspace),
    seed: 101 + round,
  });
  const r = await runBench({
    spec: o.spec,
    target: o.target,
    topology: o.topology,
    workload: o.workload,
    name: `reference ${op}`,
    mode: 'closed',
    rate: 0,
    inflight,
    connections: s.connectionsPerMaster,
    workers: 1,
    driver: o.driver,
    durationMs: s.durationS * 1000,
    warmupMs: 0,
    maxOps: 1e9,
    tables: [table],
    maxInFlightPerConn: inflight,
    prefill: op === 'get',
    cleanup: true,
    settle: true,
    signal,
  });
  const run: PeerRun = {
    tool: 'ours',
    op,
    opsPerSec: r.totals.completed_rate,
    count: r.totals.completed,
    p50Us: r.overall.p50_us,
    p99Us: r.overall.p99_us,
    cpuMs: r.generator.cpu_user_ms + r.generator.cpu_system_ms,
    cpuUsPerOp: r.generator.cpu_us_per_op,
    wallMs: r.generator.wall_ms,
    command: `cache-harness bench --mode closed --inflight ${inflight} --connections ${s.connectionsPerMaster} --driver ${o.driver} (reference table: ${op.toUpperCase()} ${s.valueBytes} B over ${s.keyspace} uniform keys)`,
  };
  log(`ours ${op}: ${Math.round(run.opsPerSec)} ops/s, ${run.cpuUsPerOp.toFixed(2)} µs CPU/op`);
  return run;
}

async function runPeer(
  tool: PeerTool,
  seed: { host: string; port: number },
  c: PeerCredentials,
  s: PeerStructure,
  op: 'set' | 'get',
  count: number,
  memtier: string | undefined,
  log: (l: string) => void,
  signal: AbortSignal,
): Promise<PeerRun> {
  const run =
    tool === 'memtier'
      ? await runMemtier(memtier ?? 'memtier_benchmark', seed.host, seed.port, c, s, op, signal)
      : await runRedisBenchmark({ seed, credentials: c, structure: s, op, requests: count }, (s.durationS * 10 + 60) * 1000, signal);
  log(`${tool} ${op}: ${Math.round(run.opsPerSec)} ops/s, ${run.cpuUsPerOp.toFixed(2)} µs CPU/op`);
  return run;
}

function row(tool: PeerTool, op: 'set' | 'get', pairs: ReadonlyArray<{ ours: PeerRun; theirs: PeerRun }>): ComparisonRow {
  const ratio = (p: { ours: PeerRun; theirs: PeerRun }) => (p.theirs.opsPerSec > 0 ? p.ours.opsPerSec / p.theirs.opsPerSec : 0);
  const sorted = [...pairs].sort((a, b) => ratio(a) - ratio(b));
  const mid = sorted[(sorted.length - 1) >> 1];
  if (!mid) throw new Error(`no ${tool} ${op} runs`);
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    tool,
    op,
    round_ratios: pairs.map((p) => r2(ratio(p))),
    throughput_ratio: r2(ratio(mid)),
    cpu_per_op_ratio: mid.theirs.cpuUsPerOp > 0 ? r2(mid.ours.cpuUsPerOp / mid.theirs.cpuUsPerOp) : 0,
    ours: toResult(mid.ours),
    theirs: toResult(mid.theirs),
  };
}

function toResult(p: PeerRun): PeerRunResult {
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return {
    tool: p.tool,
    op: p.op,
    ops_per_s: Math.round(p.opsPerSec),
    count: p.count,
    p50_us: r1(p.p50Us),
    p99_us: r1(p.p99Us),
    cpu_ms: Math.round(p.cpuMs),
    cpu_us_per_op: Math.round(p.cpuUsPerOp * 100) / 100,
    wall_ms: Math.round(p.wallMs),
    command: p.command,
  };
}

function sidesInWords(o: CompareOptions, s: PeerStructure, inflight: number): Record<string, string> {
  const sides: Record<string, string> = {
    ours: [
      `${o.driver} driver, closed loop, ${s.connectionsPerMaster} connection(s) to each of ${s.masters} masters,`,
      `${inflight} requests in flight in all (keys are uniform, so ${s.pipeline} per connection on average), pipelined;`,
      `${s.valueBytes} B values over ${s.keyspace} keys; ${s.durationS} s per op`,
    ].join(' '),
  };
  if (o.tools.includes('redis-benchmark'))
    sides['redis-benchmark'] = [
      `--cluster -c ${s.masters * s.connectionsPerMaster} (clients spread over the masters: ${s.connectionsPerMaster} per master)`,
      `-P ${s.pipeline} (${s.pipeline} in flight per connection); -d ${s.valueBytes};`,
      `-r ${Math.ceil(s.keyspace / s.masters)} per master (≈ ${s.keyspace} keys); -n = the requests ours completed in the same round (≈ ${s.durationS} s)`,
    ].join(' ');
  if (o.tools.includes('memtier'))
    sides.memtier = `--cluster-mode -t 1 -c ${s.connectionsPerMaster} (${s.connectionsPerMaster} connection(s) per master) --pipeline=${s.pipeline}; -d ${s.valueBytes}; keys 1..${s.keyspace} uniform (R:R); --test-time=${s.durationS}`;
  return sides;
}
