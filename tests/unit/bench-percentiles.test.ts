import { describe, expect, it } from 'vitest';
import {
  aggregate,
  CURVE_PERCENTILES,
  encodeHistogram,
  formatBench,
  latencyHistogram,
  summarize,
  type EncodedRun,
} from '../../src/bench/index.js';
import { renderBenchSection } from '../../src/report/perf-html.js';
import {
  httpEdgeSchema,
  LATENCY_COLUMNS,
  latencyCells,
  latencySummarySchema,
  PERCENTILES,
  percentileKey,
  percentileLabel,
  percentileName,
} from '../../src/report/index.js';

// Every place a latency summary appears is derived from PERCENTILES: none of these expectations lists a
// percentile, so adding one to the list must keep them all true.
const keys = PERCENTILES.map(percentileKey);
const labels = PERCENTILES.map(percentileLabel);

function histogram() {
  const h = latencyHistogram();
  for (let v = 1; v <= 100_000; v++) h.recordValue(v);
  return h;
}

function benchResult() {
  const h = histogram();
  const run: EncodedRun = {
    worker: 0,
    dims: [{ op: 'get', module: 'crm', channel: 'mobile', plan: 'basic' }],
    dimHists: [encodeHistogram(h)],
    perSecond: [{ channel: 'mobile', op: 'get', second: 0, hist: encodeHistogram(h) }],
    serviceHists: [encodeHistogram(h), ''],
    sendLag: '',
    issued: h.totalCount,
    measuredIssued: h.totalCount,
    completed: h.totalCount,
    errors: 0,
    timeouts: 0,
    unsent: 0,
    deferred: 0,
    misses: 0,
    errorsByMessage: {},
    outstandingPerSecond: [1],
    cpu: { receiverMs: 1, senderMs: 1, senderSpinMs: 0, senderWrites: 1, senderSleeps: 1 },
    measureStartEpochMs: 0,
    measureEndEpochMs: 1000,
    lastCompletionEpochMs: 1000,
  };
  return aggregate([run], {
    name: 'p',
    profile: 'mobile',
    mode: 'closed',
    driver: 'resp',
    startedAt: '2026-01-01T00:00:00.000Z',
    warmupMs: 0,
    durationMs: 1000,
    config: { inflight: 8, connections_per_node: 1, workers: 1, max_ops: 1_000_000, op_table_size: 1024, seed: 1, masters: 3 },
    generator: { cpu_user_ms: 1, cpu_system_ms: 1, cpu_percent: 1, cpu_us_per_op: 1, wall_ms: 1000, max_rss_mb: 50 },
    slo: { mobile: { p99Ms: 100, p999Ms: 200 }, web: { p99Ms: 100, p999Ms: 200 } },
    maxInFlightPerConn: 64,
  });
}

describe('PERCENTILES drives every latency summary', () => {
  it('names are distinct, ordered, and end with the max', () => {
    expect(new Set(keys).size).toBe(PERCENTILES.length);
    expect([...PERCENTILES].sort((a, b) => a - b)).toEqual([...PERCENTILES]);
    expect(percentileKey(PERCENTILES[PERCENTILES.length - 1] ?? 0)).toBe('max_us');
  });

  it('the summary has one field per percentile, holding that percentile of the histogram', () => {
    const h = histogram();
    const s = summarize(h);
    expect(Object.keys(s)).toEqual(['count', 'min_us', 'mean_us', ...keys]);
    for (const p of PERCENTILES) expect(s[percentileKey(p)], percentileLabel(p)).toBe(h.getValueAtPercentile(p));
  });

  it('the result schema has one field per percentile, and rejects a summary missing one', () => {
    const shape = Object.keys(latencySummarySchema.shape);
    expect(shape.filter((k) => !['count', 'min_us', 'mean_us'].includes(k))).toEqual(keys);
    const s = summarize(histogram());
    for (const k of keys) {
      const { [k]: _dropped, ...missing } = s;
      expect(latencySummarySchema.safeParse(missing).success, k).toBe(false);
    }
    expect(Object.keys(httpEdgeSchema.shape.autocannon.shape.latency_ms.shape)).toEqual([...PERCENTILES.map(percentileName), 'mean']);
  });

  it('the curve passes through every summary percentile', () => {
    for (const p of PERCENTILES) expect(CURVE_PERCENTILES).toContain(p);
  });

  it('tables have one column per percentile: terminal header, cells and the HTML head', () => {
    expect(LATENCY_COLUMNS).toEqual(['ops', ...labels]);
    const r = benchResult();
    expect(latencyCells(r.overall)).toHaveLength(LATENCY_COLUMNS.length);
    const header = formatBench(r).split('\n')[1]?.trim().split(/\s+/);
    expect(header).toEqual(['channel', ...LATENCY_COLUMNS, 'SLO']);
    const html = renderBenchSection([r], { charts: false });
    expect(html).toContain(`<th>channel</th>${LATENCY_COLUMNS.map((c) => `<th>${c}</th>`).join('')}`);
  });
});
