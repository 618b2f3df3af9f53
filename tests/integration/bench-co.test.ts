import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpTable, buildWorkload, readTopology, runBench, type BenchTopology } from '../../src/bench/index.js';
import type { BenchResult } from '../../src/report/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// Coordinated omission, shown on a real stall: one primary is paused (SIGSTOP) for 1 s while an open-loop
// run and a closed-loop run load the cluster at the same time. The open loop measures from each op's
// intended start, so every op that waited behind the stall shows it; the closed loop stops sending while
// its few in-flight ops are stuck, records the stall once per in-flight op, and its percentiles hide it.

const STALL_MS = 1000;
let tc: TestCluster;
let topology: BenchTopology;
let paused: number | undefined;
const log = (line: string) => console.log(`[bench-co] ${line}`);

const resume = () => {
  if (paused !== undefined) {
    try {
      process.kill(paused, 'SIGCONT');
    } catch {
      // already gone
    }
    paused = undefined;
  }
};

beforeAll(async () => {
  tc = await startTestCluster(2);
  topology = await readTopology(tc.target);
});
afterAll(async () => {
  resume();
  await tc?.stop();
});

const brief = (r: BenchResult) =>
  `${r.mode} loop: ${r.totals.completed} ops, p50 ${r.overall.p50_us} µs, p99 ${r.overall.p99_us} µs, p99.9 ${r.overall.p99_9_us} µs, max ${r.overall.max_us} µs`;

describe('coordinated omission', () => {
  it("a 1 s pause of one primary shows in the open loop's p99.9 and max, and hides from the closed loop's p99", async () => {
    const workload = buildWorkload(tc.spec, 'mobile');
    // Pause the primary that serves the most ops of this workload (redis-1 holds crm and whatsapp, in every plan).
    const table = buildOpTable(tc.spec, workload);
    const perMaster = topology.masters.map(() => 0);
    for (let i = 0; i < table.size; i++) perMaster[topology.slotOwner[table.slot[i] ?? 0] ?? 0]! += 1;
    const target = topology.masters[perMaster.indexOf(Math.max(...perMaster))];
    const node = tc.run.state.nodes.find((n) => n.port === target?.port);
    if (!node) throw new Error('no state for the busiest master');
    log(
      `pausing ${node.name} (pid ${node.pid}, port ${node.port}), which serves ${((100 * Math.max(...perMaster)) / table.size).toFixed(0)}% of the ops, for ${STALL_MS} ms`,
    );

    let started = 0;
    let stall: Promise<void> = Promise.resolve();
    const onLog = (line: string) => {
      log(line);
      if (!/-loop run:/.test(line) || ++started < 2) return;
      // Both loops are running: stall in the middle of both measured windows.
      stall = new Promise<void>((done) => {
        setTimeout(() => {
          process.kill(node.pid, 'SIGSTOP');
          paused = node.pid;
          log('SIGSTOP');
          setTimeout(() => {
            resume();
            log('SIGCONT');
            done();
          }, STALL_MS);
        }, 1200);
      });
    };
    const common = {
      spec: tc.spec,
      target: tc.target,
      topology,
      workload,
      connections: 1,
      workers: 1,
      driver: 'resp' as const,
      durationMs: 3500,
      warmupMs: 300,
      drainTimeoutMs: 5000,
      log: onLog,
    };
    const [open, closed] = await Promise.all([
      runBench({ ...common, mode: 'open', rate: 1000, inflight: 1, maxOps: 10_000, name: 'open loop, 1000 ops/s' }),
      runBench({ ...common, mode: 'closed', rate: 0, inflight: 4, maxOps: 2_000_000, name: 'closed loop, 4 in flight' }),
    ]);
    await stall;
    log(brief(open));
    log(brief(closed));
    log(
      `open loop per second (p99 µs): ${open.per_second
        .filter((p) => p.channel === 'all')
        .map((p) => `${p.second}s:${p.p99_us}`)
        .join(' ')}`,
    );
    log(
      `closed loop per second (ops): ${closed.per_second
        .filter((p) => p.channel === 'all')
        .map((p) => `${p.second}s:${p.count}`)
        .join(' ')}`,
    );

    expect(started).toBe(2);
    expect(open.totals.errors).toBe(0);
    expect(open.totals.completed).toBe(3500);
    // Open loop: the ops due during the pause waited for it; ~1/3+ of 1000 ops/s for 1 s is far more than 0.1% of the run.
    expect(open.overall.p99_9_us).toBeGreaterThanOrEqual(800_000);
    expect(open.overall.max_us).toBeGreaterThanOrEqual(800_000);
    expect(Math.max(...open.per_second.filter((p) => p.channel === 'all').map((p) => p.p99_us))).toBeGreaterThanOrEqual(800_000);
    // Closed loop, same stall: only its 4 in-flight ops saw it; the max shows it, the percentiles do not.
    expect(closed.overall.max_us).toBeGreaterThanOrEqual(800_000);
    expect(closed.overall.p99_us).toBeLessThan(100_000);
    expect(closed.overall.p99_us * 10).toBeLessThan(open.overall.p99_9_us);
  });
});
