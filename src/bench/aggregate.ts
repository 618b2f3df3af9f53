import { CHANNELS } from '../tenancy/index.js';
import { formatUs } from '../format/duration.js';
import {
  PER_SECOND_PERCENTILES,
  percentileValues,
  type BenchGroup,
  type BenchResult,
  type PerSecondOpPoint,
  type PerSecondPoint,
} from '../report/index.js';
import type { Spec } from '../spec/index.js';
import type { Channel } from '../tenancy/index.js';
import {
  decodeHistogram,
  encodeHistogram,
  latencyHistogram,
  mergeEncoded,
  percentileCurve,
  seriesHistogram,
  summarize,
  type Histogram,
} from './histograms.js';
import { dimKey, type Dim } from './op-table.js';
import type { EncodedRun } from './recorder.js';
import { detectSaturation } from './saturation.js';
import { evaluateSlo } from './slo.js';

/** What the runner knows about a run besides the workers' results. */
export interface RunMeta {
  name: string;
  profile: string;
  mode: 'open' | 'closed';
  driver: string;
  startedAt: string;
  warmupMs: number;
  durationMs: number;
  config: BenchResult['config'];
  workload?: BenchResult['workload'];
  generator: BenchResult['generator'];
  slo: Spec['slo'];
  /** Open loop: the in-flight bound per connection. */
  maxInFlightPerConn: number;
}

/**
 * Merge the workers' encoded results into one BenchResult (pure: same inputs, same output). Histograms
 * are merged exactly (HDR add), then summarised; counters add up; the per-second series merges by second.
 */
export function aggregate(runs: readonly EncodedRun[], meta: RunMeta): BenchResult {
  const groups = new Map<string, { dim: Dim; hist: Histogram }>();
  for (const r of runs) {
    r.dims.forEach((dim, i) => {
      const enc = r.dimHists[i] ?? '';
      if (enc === '') return;
      const k = dimKey(dim);
      const g = groups.get(k) ?? { dim, hist: latencyHistogram() };
      g.hist.add(decodeHistogram(enc));
      groups.set(k, g);
    });
  }
  const sorted = [...groups.values()].sort((a, b) => dimKey(a.dim).localeCompare(dimKey(b.dim)));
  const overall = latencyHistogram();
  const byChannel: Record<Channel, Histogram> = { mobile: latencyHistogram(), web: latencyHistogram() };
  const groupRows: BenchGroup[] = sorted.map(({ dim, hist }) => {
    overall.add(hist);
    byChannel[dim.channel].add(hist);
    return { op: dim.op, module: dim.module, channel: dim.channel, plan: dim.plan, ...summarize(hist), hist: encodeHistogram(hist) };
  });

  const totals = runs.reduce(
    (t, r) => ({
      issued: t.issued + r.issued,
      measured: t.measured + r.measuredIssued,
      completed: t.completed + r.completed,
      errors: t.errors + r.errors,
      timeouts: t.timeouts + r.timeouts,
      misses: t.misses + r.misses,
      unsent: t.unsent + r.unsent,
      deferred: t.deferred + r.deferred,
    }),
    { issued: 0, measured: 0, completed: 0, errors: 0, timeouts: 0, misses: 0, unsent: 0, deferred: 0 },
  );
  // A closed loop sends each op when it is due: its latency is the service time (the recorder keeps one).
  const service = CHANNELS.map((channel, ch) => ({
    channel,
    ...summarize(meta.mode === 'closed' ? byChannel[channel] : mergeEncoded(runs.map((r) => r.serviceHists[ch] ?? ''))),
  }));
  const outstanding = sumBySecond(runs.map((r) => r.outstandingPerSecond));
  const windowStart = Math.min(...runs.map((r) => r.measureStartEpochMs));
  const lastCompletion = Math.max(...runs.map((r) => r.lastCompletionEpochMs));
  // A run bounded by max ops ends before its duration: rates are over the time it really took.
  const span = lastCompletion > windowStart ? lastCompletion - windowStart : meta.durationMs;
  const window = Math.min(meta.durationMs, span);

  const errorsByMessage: Record<string, number> = {};
  for (const r of runs) for (const [m, n] of Object.entries(r.errorsByMessage)) errorsByMessage[m] = (errorsByMessage[m] ?? 0) + n;

  const channels = (['mobile', 'web'] as const).map((channel) => ({ channel, ...summarize(byChannel[channel]) }));
  const result: BenchResult = {
    name: meta.name,
    kind: 'redis',
    profile: meta.profile,
    mode: meta.mode,
    driver: meta.driver,
    started_at: meta.startedAt,
    duration_ms: Math.round(window),
    warmup_ms: meta.warmupMs,
    config: meta.config,
    ...(meta.workload ? { workload: meta.workload } : {}),
    totals: {
      issued: totals.measured,
      completed: totals.completed,
      errors: totals.errors,
      timeouts: totals.timeouts,
      misses: totals.misses,
      issued_rate: round(totals.measured / (window / 1000)),
      completed_rate: round(totals.completed / (span / 1000)),
    },
    generator: meta.generator,
    overall: summarize(overall),
    channels,
    service_time: service,
    saturation: { saturated: false, reasons: [], outstanding_per_second: [] },
    groups: groupRows,
    per_second: perSecond(runs),
    per_second_ops: perSecondOps(runs),
    curves: [percentileCurve('all', overall), percentileCurve('mobile', byChannel.mobile), percentileCurve('web', byChannel.web)].filter(
      (c) => c.points.length > 0,
    ),
    slo: evaluateSlo(meta.slo, channels),
    errors_by_message: errorsByMessage,
    warnings: [],
    histograms: { overall: encodeHistogram(overall), mobile: encodeHistogram(byChannel.mobile), web: encodeHistogram(byChannel.web) },
  };
  if (meta.mode === 'open') {
    const perWorkerRate = (meta.config.target_rate ?? 0) / Math.max(1, runs.length);
    result.schedule = {
      expected_gap_us: perWorkerRate > 0 ? round(1e6 / perWorkerRate) : 0,
      send_lag: summarize(mergeEncoded(runs.map((r) => r.sendLag))),
      deferred: totals.deferred,
      unsent: totals.unsent,
      max_inflight_per_conn: meta.maxInFlightPerConn,
    };
  }
  result.saturation = detectSaturation(result, outstanding);
  result.warnings = warningsOf(result);
  return result;
}

/** Workers' per-second maxima added up (a bound on the run's outstanding ops each second). */
function sumBySecond(series: ReadonlyArray<readonly number[]>): number[] {
  const out: number[] = [];
  for (const xs of series)
    xs.forEach((x, i) => {
      out[i] = (out[i] ?? 0) + x;
    });
  return Array.from(out, (x) => x ?? 0);
}

function perSecond(runs: readonly EncodedRun[]): PerSecondPoint[] {
  const cells = new Map<string, { second: number; channel: PerSecondPoint['channel']; hist: Histogram }>();
  const add = (second: number, channel: PerSecondPoint['channel'], h: Histogram) => {
    const k = `${second}|${channel}`;
    const c = cells.get(k) ?? { second, channel, hist: seriesHistogram() };
    c.hist.add(h);
    cells.set(k, c);
  };
  for (const r of runs) {
    for (const p of r.perSecond) {
      const h = decodeHistogram(p.hist);
      add(p.second, p.channel, h);
      add(p.second, 'all', h);
    }
  }
  const order = { all: 0, mobile: 1, web: 2 };
  return [...cells.values()]
    .sort((a, b) => a.second - b.second || order[a.channel] - order[b.channel])
    .map(({ second, channel, hist }) => ({
      second,
      channel,
      count: hist.totalCount,
      ...percentileValues(PER_SECOND_PERCENTILES, (p) => hist.getValueAtPercentile(p)),
      // 'all' is the merge of the two channels: only theirs are kept, for `compare`'s bootstrap.
      ...(channel === 'all' ? {} : { hist: encodeHistogram(hist) }),
    }));
}

/** Per second, channel and op, each with its histogram (the channel series above merges the ops). */
function perSecondOps(runs: readonly EncodedRun[]): PerSecondOpPoint[] {
  const cells = new Map<string, { second: number; channel: Channel; op: string; hist: Histogram }>();
  for (const r of runs)
    for (const p of r.perSecond) {
      const k = `${p.second}|${p.channel}|${p.op}`;
      const c = cells.get(k) ?? { second: p.second, channel: p.channel, op: p.op, hist: seriesHistogram() };
      c.hist.add(decodeHistogram(p.hist));
      cells.set(k, c);
    }
  return [...cells.values()]
    .sort((a, b) => a.second - b.second || a.channel.localeCompare(b.channel) || a.op.localeCompare(b.op))
    .map(({ second, channel, op, hist }) => ({
      second,
      channel,
      op,
      count: hist.totalCount,
      ...percentileValues(PER_SECOND_PERCENTILES, (p) => hist.getValueAtPercentile(p)),
      hist: encodeHistogram(hist),
    }));
}

/** Things a reader must know before trusting the numbers. */
export function warningsOf(r: BenchResult): string[] {
  const w: string[] = [];
  const target = r.config.target_rate;
  if (r.mode === 'open' && target && r.totals.issued_rate < target * 0.95) {
    w.push(
      `issued ${r.totals.issued_rate} ops/s, below 95% of the target ${target} ops/s (max-ops bound reached, or the generator could not keep up)`,
    );
  }
  if (r.mode === 'open' && r.saturation.saturated) w.push(`saturated: ${r.saturation.reasons.join('; ')}`);
  if (r.schedule && r.schedule.send_lag.p99_us > 1000) {
    w.push(
      `the generator sent 1% of ops more than ${formatUs(r.schedule.send_lag.p99_us)} late (CPU contention, or ops waiting for room); this lateness is included in the latencies — see the service time for the target's share`,
    );
  }
  if (r.totals.errors > 0)
    w.push(
      `${r.totals.errors} op(s) failed: ${Object.entries(r.errors_by_message)
        .slice(0, 3)
        .map(([m, n]) => `${n}× ${m}`)
        .join('; ')}`,
    );
  if (r.totals.timeouts > 0) w.push(`${r.totals.timeouts} op(s) unanswered at the drain deadline (recorded with the time they had waited)`);
  if (r.mode === 'closed')
    w.push(
      'closed loop: latency is measured from the actual send, so stalls are under-represented (coordinated omission); use it for throughput',
    );
  return w;
}

const round = (x: number) => Math.round(x * 10) / 10;
