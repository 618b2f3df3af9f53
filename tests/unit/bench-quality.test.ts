import { describe, expect, it } from 'vitest';
import {
  assessQuality,
  detectSaturation,
  judgeAttempt,
  parseProcessStat,
  parseProcStat,
  perfVerdict,
  shouldRetry,
  type MachineSample,
  type NodeActivity,
  type SaturationFacts,
} from '../../src/bench/index.js';
import type { BenchResult, PerSecondPoint, Quality } from '../../src/report/index.js';
import { renderBenchSection } from '../../src/report/perf-html.js';

const thresholds = { otherCpuPercent: 25, stealPercent: 5, forks: 0, sendLagP99Us: 1000 };
/** A machine sample: per pid [parent, CPU ticks]; pid 1 is the generator itself. */
const machine = (
  atMs: number,
  procs: Record<number, [number, number]>,
  steal: number,
  total: number,
  processCpuUs: number,
): MachineSample => ({
  atMs,
  steal,
  total,
  cores: 2,
  processCpuUs,
  selfPid: 1,
  processes: new Map(Object.entries(procs).map(([pid, [ppid, ticks]]) => [Number(pid), { ppid, ticks }])),
});
const node = (address: string, cpuSec: number, forks: number, pid = 0): NodeActivity => ({
  address,
  pid,
  cpuSec,
  forks,
  forking: false,
  changesSinceSave: 0,
  aofNearRewrite: false,
});

describe('parseProcStat', () => {
  it("reads steal and total ticks from the aggregate cpu line; a process's parent and CPU from its stat line", () => {
    expect(parseProcStat('cpu  100 10 50 800 5 1 4 30 0 0\ncpu0 1 2 3\n')).toEqual({ steal: 30, total: 1000 });
    expect(parseProcStat('intr 1 2 3\n')).toBeNull();
    // The command name may hold spaces and parentheses: fields are read after the last ')'.
    expect(parseProcessStat('42 (redis-server (x) y) S 7 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 4 0')).toEqual({
      ppid: 7,
      ticks: 280,
    });
  });
});

describe('assessQuality', () => {
  it("other load = every process but the generator, the target's servers and their forks; a clean 10 s window is not disturbed", () => {
    // 10 s: the generator (pid 1) 200 ticks, two servers (10, 11) 150 + 100, a BGSAVE child of 10 (pid 12) 40, something else (pid 20) 50.
    const q = assessQuality({
      machine: [
        machine(0, { 1: [0, 100], 10: [1, 1000], 11: [1, 500], 20: [0, 5] }, 0, 0, 0),
        machine(10_000, { 1: [0, 300], 10: [1, 1150], 11: [1, 600], 12: [10, 40], 20: [0, 55] }, 0, 2000, 2_000_000),
      ],
      target: [
        [node('a', 1, 3, 10), node('b', 2, 0, 11)],
        [node('a', 2.5, 3, 10), node('b', 3, 0, 11)],
      ],
      targetLocal: true,
      sendLagP99Us: 80,
      thresholds,
    });
    expect(q).toMatchObject({
      window_ms: 10_000,
      target_cpu_percent: 25,
      generator_cpu_percent: 20,
      forks: 0,
      disturbed: false,
      reasons: [],
    });
    // 540 ticks over 10 s on 2 cores = 27% busy; other = pid 20's 50 ticks = 5% of a core.
    expect(q.machine).toMatchObject({ cores: 2, busy_percent: 27, other_cpu_percent: 5, steal_percent: 0 });
  });

  it('names each disturbance: a busy neighbour, steal, a fork of the target, a late generator', () => {
    const q = assessQuality({
      machine: [machine(0, { 1: [0, 0], 30: [0, 0] }, 0, 0, 0), machine(10_000, { 1: [0, 100], 30: [0, 1600] }, 200, 2000, 1_000_000)],
      target: [[node('127.0.0.1:7001', 1, 3, 10)], [node('127.0.0.1:7001', 2, 4, 10)]],
      targetLocal: true,
      sendLagP99Us: 3000,
      thresholds,
    });
    expect(q.disturbed).toBe(true);
    expect(q.reasons.join('\n')).toMatch(/other processes used 160% of a core/);
    expect(q.reasons.join('\n')).toMatch(/stole 10% of the CPU/);
    expect(q.reasons.join('\n')).toMatch(/forked 1 time\(s\).*127\.0\.0\.1:7001/);
    expect(q.reasons.join('\n')).toMatch(/1% of ops ≥ 3\.00 ms late/);
  });

  it("a remote target's CPU is not on this machine: it is not subtracted, and shown as unknown", () => {
    // pid 10 happens to share the remote server's pid: on another machine, that says nothing.
    const q = assessQuality({
      machine: [machine(0, { 10: [0, 0] }, 0, 0, 0), machine(1000, { 10: [0, 10] }, 0, 200, 300_000)],
      target: [[node('a', 0, 0, 10)], [node('a', 5, 0, 10)]],
      targetLocal: false,
      sendLagP99Us: 0,
      thresholds,
    });
    expect(q.target_cpu_percent).toBeNull();
    expect(q.machine.other_cpu_percent).toBe(10);
  });

  it('without /proc/stat the measurement cannot be vouched for: disturbed', () => {
    expect(assessQuality({ machine: null, target: null, targetLocal: true, sendLagP99Us: 0, thresholds }).disturbed).toBe(true);
  });
});

const points = (p50s: number[]): PerSecondPoint[] =>
  p50s.map((p50, second) => ({ second, channel: 'all', count: 100, p50_us: p50, p99_us: p50 * 2, max_us: p50 * 3 }));
const facts = (o: Partial<SaturationFacts> = {}): SaturationFacts => ({
  mode: 'open',
  config: { target_rate: 1000 },
  totals: { issued: 10_000, completed_rate: 1000 },
  schedule: { deferred: 0, unsent: 0, max_inflight_per_conn: 64 },
  per_second: points([100, 110, 90, 100, 105, 95]),
  ...o,
});

describe('detectSaturation', () => {
  it('an open loop that kept up is not saturated', () => {
    expect(detectSaturation(facts(), [3, 4, 3, 2, 4, 3])).toMatchObject({ saturated: false, reasons: [] });
  });

  it('a queue that grows while completions keep pace is saturation ("achieved 100%" is not the whole story)', () => {
    const s = detectSaturation(facts({ per_second: points([200, 300, 2000, 9000, 30_000, 80_000]) }), [10, 40, 200, 800, 3000, 9000]);
    expect(s.saturated).toBe(true);
    expect(s.reasons.join('\n')).toMatch(/p50 grew/);
    expect(s.reasons.join('\n')).toMatch(/outstanding grew/);
  });

  it('ops held back by the in-flight bound, ops never sent, and a completed rate below the offered one each say so', () => {
    const s = detectSaturation(
      facts({ totals: { issued: 10_000, completed_rate: 900 }, schedule: { deferred: 500, unsent: 20, max_inflight_per_conn: 64 } }),
      [],
    );
    expect(s.reasons).toHaveLength(3);
  });

  it('a closed loop runs at saturation by construction', () => {
    expect(detectSaturation(facts({ mode: 'closed', config: { inflight: 51 } }), []).saturated).toBe(true);
  });
});

/** Just what the verdict reads of a run. */
function attempt(o: { breach?: boolean; disturbed?: boolean; errors?: number }): BenchResult {
  return {
    totals: { completed: 100, errors: o.errors ?? 0 },
    slo: [{ channel: 'mobile', status: o.breach ? 'fail' : 'pass', detail: o.breach ? 'p99.9 30 ms > 10 ms' : 'ok' }],
    quality: { disturbed: o.disturbed ?? false } as Quality,
  } as unknown as BenchResult;
}

describe('perf verdict', () => {
  it('a breach on a clean measurement fails; without a breach it passes, disturbed or not', () => {
    expect(judgeAttempt(attempt({ breach: true }))).toBe('fail');
    expect(judgeAttempt(attempt({}))).toBe('pass');
    expect(judgeAttempt(attempt({ disturbed: true }))).toBe('pass');
    expect(judgeAttempt(attempt({ errors: 1, disturbed: true }))).toBe('fail');
  });

  it('a disturbed breach is measured again up to perf.retries, then inconclusive — never a pass, never a fail', () => {
    const d = attempt({ breach: true, disturbed: true });
    expect(shouldRetry([d], 2)).toBe(true);
    expect(shouldRetry([d, d], 2)).toBe(true);
    expect(shouldRetry([d, d, d], 2)).toBe(false);
    expect(perfVerdict([d, d, d])).toBe('inconclusive');
    expect(perfVerdict([d, attempt({})])).toBe('pass');
    expect(perfVerdict([d, attempt({ breach: true })])).toBe('fail');
    expect(shouldRetry([attempt({ breach: true })], 2)).toBe(false);
    expect(perfVerdict([])).toBe('fail');
  });
});

describe('report', () => {
  it("shows the service-time split, saturation and a disturbed measurement's reasons", async () => {
    const { aggregate, encodeHistogram, latencyHistogram } = await import('../../src/bench/index.js');
    const h = latencyHistogram();
    for (let i = 1; i <= 100; i++) h.recordValue(100 + i);
    const r = aggregate(
      [
        {
          worker: 0,
          dims: [{ op: 'get', module: 'crm', channel: 'mobile', plan: 'basic' }],
          dimHists: [encodeHistogram(h)],
          serviceHists: [encodeHistogram(h), ''],
          perSecond: [],
          sendLag: encodeHistogram(h),
          issued: 100,
          measuredIssued: 100,
          completed: 100,
          errors: 0,
          timeouts: 0,
          unsent: 0,
          deferred: 30,
          misses: 0,
          errorsByMessage: {},
          outstandingPerSecond: [],
          cpu: { receiverMs: 1, senderMs: 1, senderSpinMs: 0, senderWrites: 1, senderSleeps: 1 },
          measureStartEpochMs: 0,
          measureEndEpochMs: 1000,
          lastCompletionEpochMs: 1000,
        },
      ],
      {
        name: 'x',
        profile: 'mobile',
        mode: 'open',
        driver: 'resp',
        startedAt: '2026-01-01T00:00:00.000Z',
        warmupMs: 0,
        durationMs: 1000,
        config: { target_rate: 100, connections_per_node: 1, workers: 1, max_ops: 100, op_table_size: 1024, seed: 1, masters: 3 },
        generator: { cpu_user_ms: 1, cpu_system_ms: 1, cpu_percent: 1, cpu_us_per_op: 1, wall_ms: 1000, max_rss_mb: 40 },
        slo: { mobile: { p99Ms: 20, p999Ms: 50 }, web: { p99Ms: 40, p999Ms: 100 } },
        maxInFlightPerConn: 64,
      },
    );
    r.quality = assessQuality({
      machine: [machine(0, { 30: [0, 0] }, 0, 0, 0), machine(1000, { 30: [0, 180] }, 0, 200, 0)],
      target: null,
      targetLocal: true,
      sendLagP99Us: 0,
      thresholds,
    });
    expect(r.saturation.saturated).toBe(true);
    const html = renderBenchSection([r], { charts: false });
    expect(html).toContain('service time, mobile');
    expect(html).toContain('send lag (generator)');
    expect(html).toMatch(/<b>saturated<\/b>: 30 op\(s\) \(30%\) waited for room/);
    expect(html).toMatch(/<b>measurement disturbed<\/b>: other processes used 180% of a core/);
  });
});
