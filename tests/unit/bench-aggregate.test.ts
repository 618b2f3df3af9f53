import { describe, expect, it } from 'vitest';
import {
  aggregate,
  decodeHistogram,
  encodeHistogram,
  evaluateSlo,
  latencyHistogram,
  mergeEncoded,
  percentileCurve,
  summarize,
  type Dim,
  type EncodedRun,
  type RunMeta,
} from '../../src/bench/index.js';
import { benchResultSchema } from '../../src/report/index.js';
import { loadSpec } from '../../src/spec/index.js';

const spec = loadSpec();
const dims: Dim[] = [
  { op: 'get', module: 'crm', channel: 'mobile', plan: 'basic' },
  { op: 'set', module: 'crm', channel: 'web', plan: 'pro' },
];

/** A fake worker result: values per dim, all in second 0 of its channel. */
function run(worker: number, values: number[][], extra: Partial<EncodedRun> = {}): EncodedRun {
  const hists = values.map((vs) => {
    const h = latencyHistogram();
    for (const v of vs) h.recordValue(v);
    return h;
  });
  const perSecond = dims
    .map((d, i) => ({ channel: d.channel, op: d.op, second: 0, hist: encodeHistogram(hists[i] ?? latencyHistogram()) }))
    .filter((p) => p.hist !== '');
  const n = values.flat().length;
  return {
    worker,
    dims,
    dimHists: hists.map(encodeHistogram),
    serviceHists: ['', ''],
    perSecond,
    sendLag: '',
    issued: n,
    measuredIssued: n,
    completed: n,
    errors: 0,
    timeouts: 0,
    unsent: 0,
    deferred: 0,
    misses: 0,
    errorsByMessage: {},
    outstandingPerSecond: [],
    cpu: { receiverMs: 1, senderMs: 1, senderSpinMs: 0, senderWrites: 1, senderSleeps: 1 },
    measureStartEpochMs: 1_000_000,
    measureEndEpochMs: 1_001_000,
    lastCompletionEpochMs: 1_001_000,
    ...extra,
  };
}

const meta: RunMeta = {
  name: 't',
  profile: 'mobile',
  mode: 'open',
  driver: 'resp',
  startedAt: '2026-01-01T00:00:00.000Z',
  warmupMs: 0,
  durationMs: 1000,
  config: { target_rate: 100, connections_per_node: 1, workers: 3, max_ops: 1000, op_table_size: 1024, seed: 1, masters: 3 },
  generator: { cpu_user_ms: 1, cpu_system_ms: 1, cpu_percent: 1, cpu_us_per_op: 1, wall_ms: 1000, max_rss_mb: 50 },
  slo: spec.slo,
  maxInFlightPerConn: 64,
};

describe('histograms', () => {
  it('encode → decode keeps every percentile; empty encodes to ""', () => {
    const h = latencyHistogram();
    for (let v = 1; v <= 10_000; v++) h.recordValue(v);
    const back = decodeHistogram(encodeHistogram(h));
    expect(summarize(back)).toEqual(summarize(h));
    expect(encodeHistogram(latencyHistogram())).toBe('');
    expect(summarize(decodeHistogram('')).count).toBe(0);
  });

  it('summaries are µs with stable keys; 3 significant digits', () => {
    const h = latencyHistogram();
    h.recordValue(123_456);
    const s = summarize(h);
    expect(Object.keys(s)).toEqual(['count', 'min_us', 'mean_us', 'p50_us', 'p90_us', 'p99_us', 'p99_9_us', 'p99_99_us', 'max_us']);
    expect(Math.abs(s.p50_us - 123_456) / 123_456).toBeLessThan(0.001);
  });

  it('the percentile curve is monotone and ends at the max', () => {
    const h = latencyHistogram();
    for (let v = 1; v <= 1000; v++) h.recordValue(v * v);
    const c = percentileCurve('x', h);
    const ys = c.points.map((p) => p.value_us);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
    expect(c.points.at(-1)).toEqual({ percentile: 100, value_us: summarize(h).max_us });
    expect(Math.abs(summarize(h).max_us - 1_000_000) / 1_000_000).toBeLessThan(0.001);
  });
});

describe('aggregate()', () => {
  it('merges workers exactly: the same percentiles as one histogram of all values', () => {
    const all: number[][] = [[], []];
    const runs = [0, 1, 2].map((w) => {
      const vs = [Array.from({ length: 500 }, (_, i) => 100 + w * 1000 + i), Array.from({ length: 200 }, (_, i) => 5000 + w * 7 + i * 3)];
      all[0]?.push(...(vs[0] ?? []));
      all[1]?.push(...(vs[1] ?? []));
      return run(w, vs);
    });
    const merged = aggregate(runs, meta);
    const single = aggregate([run(0, all)], meta);
    expect(merged.overall).toEqual(single.overall);
    expect(merged.groups.map(({ hist, ...g }) => g)).toEqual(single.groups.map(({ hist, ...g }) => g));
    expect(merged.channels).toEqual(single.channels);
    expect(merged.overall.count).toBe(2100);
    expect(merged.totals.completed).toBe(2100);
    expect(merged.per_second.find((p) => p.channel === 'all')?.count).toBe(2100);
    expect(merged.per_second.find((p) => p.channel === 'web')?.count).toBe(600);
    // Per second, channel and op too (compare tests each op on these): the same merge, kept apart by op.
    expect(merged.per_second_ops?.map(({ channel, op, count }) => [channel, op, count])).toEqual([
      ['mobile', 'get', 1500],
      ['web', 'set', 600],
    ]);
    expect(merged.per_second_ops).toEqual(single.per_second_ops);
    // The merged encodings merge again (runs of runs).
    expect(summarize(mergeEncoded(merged.groups.map((g) => g.hist)))).toEqual(merged.overall);
    expect(() => benchResultSchema.parse(merged)).not.toThrow();
  });

  it('adds counters and error messages; rates are over the measured window', () => {
    const a = run(0, [[100], [200]], { errors: 2, errorsByMessage: { 'ERR x': 2 }, misses: 1, completed: 4 });
    const b = run(1, [[300], []], { errors: 1, errorsByMessage: { 'ERR x': 1 }, timeouts: 1, completed: 2 });
    const r = aggregate([a, b], meta);
    expect(r.totals).toMatchObject({ errors: 3, misses: 1, timeouts: 1, completed: 6, issued: 3 });
    expect(r.errors_by_message).toEqual({ 'ERR x': 3 });
    expect(r.totals.issued_rate).toBe(3);
    expect(r.warnings.join('\n')).toMatch(/3 op\(s\) failed: 3× ERR x/);
    expect(r.warnings.join('\n')).toMatch(/1 op\(s\) unanswered/);
  });

  it('flags an open loop that issued less than 95% of its target rate', () => {
    const r = aggregate([run(0, [[100], [100]])], { ...meta, config: { ...meta.config, target_rate: 1000 } });
    expect(r.warnings.join('\n')).toMatch(/below 95% of the target 1000 ops\/s/);
  });
});

describe('evaluateSlo', () => {
  const row = (channel: 'mobile' | 'web', p99: number, p999: number) => ({
    channel,
    count: 10,
    min_us: 1,
    mean_us: 1,
    p50_us: 1,
    p90_us: 1,
    p99_us: p99,
    p99_9_us: p999,
    p99_99_us: p999,
    max_us: p999,
  });
  it('passes within both limits, fails naming the broken percentile, no-data without ops', () => {
    const slo = { mobile: { p99Ms: 9, p999Ms: 10 }, web: { p99Ms: 5, p999Ms: 50 } };
    const [m, w] = evaluateSlo(slo, [row('mobile', 9000, 10_000), row('web', 6000, 7000)]);
    expect(m).toMatchObject({ channel: 'mobile', status: 'pass' });
    expect(w).toMatchObject({ channel: 'web', status: 'fail', detail: 'p99 6.00 ms > 5 ms' });
    expect(evaluateSlo(slo, [row('mobile', 1, 10_001)])).toMatchObject([
      { status: 'fail', detail: 'p99.9 10.0 ms > 10 ms' },
      { status: 'no-data' },
    ]);
  });
});
