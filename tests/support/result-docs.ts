import { aggregate, encodeHistogram, latencyHistogram, type EncodedRun, type Histogram } from '../../src/bench/index.js';
import type { ComparisonMetricRow, ComparisonResult } from '../../src/report/comparison-schema.js';
import { resultSchema, type BenchResult, type CheckResult, type ResultDocument, type SuiteResult } from '../../src/report/index.js';

/**
 * Synthetic result documents shaped like a gate's: the benches come from the real aggregation, so the
 * summaries, SLO rows and per-second series are what a perf suite writes.
 */

/** One worker's encoded run of `ops` measured ops over 3 seconds, every latency from `h` (one get/crm/mobile/basic dimension). */
export function encodedRun(h: Histogram, ops: number, over: Partial<EncodedRun> = {}): EncodedRun {
  return {
    worker: 0,
    dims: [{ op: 'get', module: 'crm', channel: 'mobile', plan: 'basic' }],
    dimHists: [encodeHistogram(h)],
    perSecond: [0, 1, 2].map((second) => ({ channel: 'mobile' as const, op: 'get' as const, second, hist: encodeHistogram(h) })),
    serviceHists: [encodeHistogram(h), ''],
    sendLag: encodeHistogram(h),
    issued: ops,
    measuredIssued: ops,
    completed: ops,
    errors: 0,
    timeouts: 0,
    unsent: 0,
    deferred: 0,
    misses: 0,
    errorsByMessage: {},
    outstandingPerSecond: [3, 4, 3],
    cpu: { receiverMs: 10, senderMs: 5, senderSpinMs: 1, senderWrites: 100, senderSleeps: 90 },
    measureStartEpochMs: 0,
    measureEndEpochMs: 3000,
    lastCompletionEpochMs: 3000,
    ...over,
  };
}

/** One open-loop bench of `ops` measured ops whose latency grows with `scaleUs`; mobile's SLO is 5 / 10 ms. */
export function benchResult(name: string, scaleUs = 3, startedAt = '2026-01-01T00:00:00.000Z'): BenchResult {
  const h = latencyHistogram();
  for (let i = 1; i <= 3000; i++) h.recordValue(50 + (i % 97) * scaleUs + (i % 500 === 0 ? 40 * scaleUs * 100 : 0));
  const run = encodedRun(h, 3000);
  return aggregate([run], {
    name,
    profile: 'mobile',
    mode: 'open',
    driver: 'resp',
    startedAt,
    warmupMs: 1000,
    durationMs: 3000,
    config: { target_rate: 1000, connections_per_node: 1, workers: 1, max_ops: 10_000, op_table_size: 1024, seed: 1, masters: 3 },
    generator: { cpu_user_ms: 10, cpu_system_ms: 5, cpu_percent: 50, cpu_us_per_op: 3, wall_ms: 4000, max_rss_mb: 60 },
    slo: { mobile: { p99Ms: 5, p999Ms: 10 }, web: { p99Ms: 20, p999Ms: 100 } },
    maxInFlightPerConn: 64,
  });
}

const check = (name: string, status: CheckResult['status'] = 'passed', over: Partial<CheckResult> = {}): CheckResult => ({
  id: name,
  name,
  status,
  duration_ms: 12,
  findings: [],
  ...over,
});

const suite = (name: string, checks: CheckResult[], over: Partial<SuiteResult> = {}): SuiteResult => ({
  name,
  status: checks.some((c) => c.status === 'failed')
    ? 'failed'
    : checks.some((c) => c.status === 'inconclusive')
      ? 'inconclusive'
      : 'passed',
  duration_ms: 1500,
  checks,
  errors: [],
  ...over,
});

/** A compared metric; `verdict` regression rows are 60 % worse with p = 0.001. */
export function comparedRow(over: Partial<ComparisonMetricRow> = {}): ComparisonMetricRow {
  return {
    bench: 'mobile open loop',
    channel: 'mobile',
    op: 'all',
    metric: 'p99',
    unit: 'us',
    baseline: 800,
    current: 820,
    change_percent: 2.5,
    threshold: 25,
    test: 'mann-whitney',
    p_value: 0.4,
    interval: null,
    n_baseline: 30,
    n_current: 30,
    verdict: 'unchanged',
    ...over,
  };
}

/** 30 compared metrics over two benches, `regressions` of them regressions. */
export function comparison(regressions = 2): ComparisonResult {
  const rows: ComparisonMetricRow[] = [];
  for (const bench of ['mobile open loop', 'web open loop'])
    for (const channel of ['all', 'mobile', 'web'] as const)
      for (const metric of ['throughput', 'p50', 'p99', 'p99_9', 'error_rate'] as const)
        rows.push(comparedRow({ bench, channel, metric, unit: metric === 'throughput' ? 'ops/s' : metric === 'error_rate' ? '%' : 'us' }));
  for (let i = 0; i < regressions; i++)
    rows[i * 3 + 2] = comparedRow({
      ...rows[i * 3 + 2],
      metric: 'p99_9',
      unit: 'us',
      baseline: 2000,
      current: 3200,
      change_percent: 60,
      threshold: 50,
      test: 'bootstrap',
      p_value: null,
      interval: [31.5, 88.2],
      verdict: 'regression',
    });
  return {
    baseline: { path: 'reports/base/result.json', run_id: '2025-12-31T00-00-00-000Z-1' },
    current: { path: 'reports/cur/result.json', run_id: '2026-01-01T00-00-00-000Z-2' },
    thresholds: { p50: 25, p99: 25, p99_9: 50, throughput: -10, error_rate: 1, alpha: 0.01 },
    benches: ['mobile open loop', 'web open loop'],
    only_baseline: [],
    only_current: [],
    caveats: [],
    forced: false,
    rows,
    verdict: regressions > 0 ? 'regression' : 'pass',
    regressions,
    improvements: 0,
  };
}

/**
 * A typical gate run: the eleven suites, ~40 checks, one failed and one inconclusive, two perf benches and
 * the HTTP edge, one policy-skipped suite, and (optionally) a comparison with a baseline.
 */
export function gateDocument(over: Partial<ResultDocument> = {}): ResultDocument {
  const passing = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => check(`${prefix} check ${i + 1}`));
  const doc: ResultDocument = {
    schema: 'cache-harness.result',
    schema_version: 2,
    run_id: '2026-01-01T00-00-00-000Z-2',
    harness_version: '0.1.0',
    started_at: '2026-01-01T00:00:00.000Z',
    finished_at: '2026-01-01T00:03:00.000Z',
    duration_ms: 180_000,
    verdict: 'fail',
    exit_code: 1,
    spec: { name: 'kryonix', path: 'fixtures/kryonix.spec.yaml' },
    target: { backend: 'local', redis_version: '7.0.15', nodes: [{ name: 'redis-1', address: '127.0.0.1:7001', role: 'master' }] },
    timings_ms: { cluster_up: 3000 },
    suites: [
      suite('config', [
        ...passing('config', 5),
        check('maxmemory matches the spec', 'failed', { failure: 'drift on redis-1:\n  maxmemory 5gb (spec 2gb)' }),
      ]),
      suite('isolation', passing('isolation', 6)),
      suite('sharding', passing('sharding', 4)),
      suite('ttl', passing('ttl', 3)),
      suite('quota', [], { status: 'skipped', skip_reason: 'destructive: needs an owned cluster or --allow-destructive' }),
      suite('blast-radius', passing('blast', 3)),
      suite('backup', passing('backup', 2)),
      suite('failover', passing('failover', 2)),
      suite('rolling-restart', passing('rolling', 2)),
      suite('persistence', passing('persistence', 3)),
      suite('perf', [
        check('mobile profile SLO', 'inconclusive', { reason: 'SLO broken in 3 attempt(s), each on a disturbed machine' }),
        check('web profile SLO'),
        check('HTTP edge'),
      ]),
    ],
    benches: [benchResult('mobile open loop'), benchResult('web open loop', 2), benchResult('HTTP edge (mobile, raw)', 6)],
    errors: [],
    ...over,
  };
  return resultSchema.parse(doc);
}
