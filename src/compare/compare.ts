import { decodeHistogram } from '../bench/histograms.js';
import { HarnessError } from '../errors.js';
import type { ComparedMetric, ComparisonMetricRow, ComparisonResult, ComparisonThresholds } from '../report/comparison-schema.js';
import type { BenchResult, LatencySummary } from '../report/perf-schema.js';
import { configDifferences, type ConfigDifference } from './apples.js';
import { bootstrapPercentileChange } from './bootstrap.js';
import { decide } from './decide.js';
import type { ComparedDocument } from './documents.js';
import { mannWhitney, twoProportionGreater } from './stats.js';
import { comparisonVerdict, markDisturbed } from './disturbed.js';

/**
 * Fewer seconds than this on either side: a per-second test is not run (the row is `not-significant` with a
 * note). From 10 a side the normal approximation of U is within 0.0013 of the exact p-value for p from 0.002
 * to 0.05 (measured against scipy's exact test; docs/decisions.md), and the bootstrap has enough blocks to resample.
 */
export const MIN_SECONDS = 10;

type Channel = 'all' | 'mobile' | 'web';
const CHANNELS: readonly Channel[] = ['all', 'mobile', 'web'];

export interface CompareOptions {
  thresholds: ComparisonThresholds;
  /** Compare benches whose configuration differs (listed as caveats) instead of refusing. */
  force?: boolean;
  /** Bootstrap replicates (default 1000). */
  replicates?: number;
}

/** Seconds fully inside the measured window (a last partial second would look like a throughput drop). */
function fullSeconds(b: BenchResult): number {
  return Math.max(1, Math.floor((b.duration_ms + 50) / 1000));
}

interface Seconds {
  n: number;
  /** Ops per second, a missing second counting 0 (a stall is a throughput drop). */
  counts: number[];
  p50: number[];
  p99: number[];
  /** Per second, the encoded histograms recorded in it (one per channel); null when the document has none. */
  hists: string[][] | null;
}

function secondsOf(b: BenchResult, channel: Channel): Seconds {
  const n = fullSeconds(b);
  const points = b.per_second.filter((p) => p.second < n);
  const own = points.filter((p) => p.channel === channel && p.count > 0);
  const counts = Array.from({ length: n }, () => 0);
  for (const p of own) counts[p.second] = p.count;
  const histPoints = points.filter((p) => p.channel !== 'all' && (channel === 'all' || p.channel === channel) && p.count > 0);
  const hasHists = histPoints.length > 0 && histPoints.every((p) => p.hist !== undefined);
  const hists = hasHists ? Array.from({ length: n }, (_, s) => histPoints.filter((p) => p.second === s).map((p) => p.hist ?? '')) : null;
  return { n, counts, p50: own.map((p) => p.p50_us), p99: own.map((p) => p.p99_us), hists: hists?.filter((h) => h.length > 0) ?? null };
}

function summaryOf(b: BenchResult, channel: Channel): LatencySummary | undefined {
  return channel === 'all' ? b.overall : b.channels.find((c) => c.channel === channel);
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const changePercent = (base: number, cur: number) => (base > 0 ? round(((cur - base) / base) * 100) : null);

/** One row from its figures and evidence; `change_percent` is points for error_rate. */
function row(
  bench: string,
  channel: Channel,
  op: string,
  metric: ComparedMetric,
  base: number,
  cur: number,
  t: ComparisonThresholds,
  ev: Evidence,
  lagUs = 0,
): ComparisonMetricRow {
  const threshold = metric === 'error_rate' ? t.error_rate : t[metric];
  const change = metric === 'error_rate' ? round(cur - base, 4) : changePercent(base, cur);
  const unit = metric === 'throughput' ? 'ops/s' : metric === 'error_rate' ? '%' : 'us';
  const { worse, better, pWorse, pBetter, ...evidence } = ev;
  const isLatency = metric === 'p50' || metric === 'p99' || metric === 'p99_9';
  // The floor: the spec's, raised to the generator's own lateness at that percentile in either run (a change the
  // generator can make by itself is not the target's).
  const fixedFloor = isLatency ? (t.floor_us?.[metric] ?? 0) : 0;
  const floorUs = isLatency ? Math.max(fixedFloor, Math.round(lagUs)) : undefined;
  const latency = floorUs !== undefined ? { changeUs: cur - base, floorUs } : {};
  const verdict = decide(metric, { change, threshold, worse, better, ...latency });
  const withinFloor =
    floorUs !== undefined && verdict === 'unchanged' && change !== null && Math.abs(change) > threshold && Math.abs(cur - base) <= floorUs;
  if (withinFloor) {
    const why = floorUs > fixedFloor ? ": the generator's own lateness at this percentile" : '';
    const note = `within the ${floorUs} µs floor${why}`;
    evidence.note = evidence.note ? `${evidence.note}; ${note}` : note;
  }
  // The row carries the p-value of the direction the change went (the one its verdict rests on).
  const wentWorse = change !== null && (metric === 'throughput' ? change <= 0 : change >= 0);
  const p = wentWorse ? pWorse : pBetter;
  const p_value = p === null ? null : Number(p.toPrecision(4));
  return {
    bench,
    channel,
    op,
    metric,
    unit,
    baseline: round(base),
    current: round(cur),
    change_percent: change,
    threshold,
    p_value,
    ...evidence,
    verdict,
  };
}

/** What a test found: one-sided p-values (rank and proportion tests) and whether each direction is significant. */
type Evidence = Pick<ComparisonMetricRow, 'test' | 'interval' | 'n_baseline' | 'n_current' | 'note'> & {
  pWorse: number | null;
  pBetter: number | null;
  worse: boolean | null;
  better: boolean | null;
};

function tooFew(nb: number, nc: number): string | undefined {
  return nb < MIN_SECONDS || nc < MIN_SECONDS ? `${Math.min(nb, nc)} second(s) < ${MIN_SECONDS}: not tested` : undefined;
}

/** Mann-Whitney evidence on per-second values; `higherWorse` picks the tail that means "worse". */
function untested(nb: number, nc: number, note: string): Evidence {
  return { test: 'none', interval: null, n_baseline: nb, n_current: nc, note, pWorse: null, pBetter: null, worse: null, better: null };
}

/**
 * Mann-Whitney against the threshold, not against no change: "worse" is the current seconds significantly above
 * the baseline's scaled by the allowed change (× 1.25 for +25 %; × 0.9 for a −10 % throughput), "better" the
 * mirror. Two runs of one cluster differ by a few percent in a way seconds within a run cannot show (measured
 * A/A), so a test against 0 calls +26 % significant; a test against the threshold asks the gate's question.
 */
function rankEvidence(base: number[], cur: number[], higherWorse: boolean, alpha: number, thresholdPercent: number): Evidence {
  const few = tooFew(base.length, cur.length);
  if (few) return untested(base.length, cur.length, few);
  const m = Math.abs(thresholdPercent) / 100;
  const dir = higherWorse ? 1 : -1;
  const worseTest = mannWhitney(
    cur,
    base.map((x) => x * (1 + dir * m)),
  );
  const betterTest = mannWhitney(
    cur,
    base.map((x) => x * (1 - dir * m)),
  );
  const pWorse = higherWorse ? worseTest.pGreater : worseTest.pLess;
  const pBetter = higherWorse ? betterTest.pLess : betterTest.pGreater;
  return {
    test: 'mann-whitney',
    interval: null,
    n_baseline: base.length,
    n_current: cur.length,
    pWorse,
    pBetter,
    worse: pWorse < alpha,
    better: pBetter < alpha,
  };
}

function compareBench(base: BenchResult, cur: BenchResult, o: CompareOptions): ComparisonMetricRow[] {
  const t = o.thresholds;
  const rows: ComparisonMetricRow[] = [];
  // A one-channel bench: its 'all' rows would repeat that channel's (and count each regression twice).
  const used = (['mobile', 'web'] as const).filter((ch) => (summaryOf(base, ch)?.count ?? 0) > 0 || (summaryOf(cur, ch)?.count ?? 0) > 0);
  for (const channel of CHANNELS.filter((ch) => ch !== 'all' || used.length !== 1)) {
    const sb = summaryOf(base, channel);
    const sc = summaryOf(cur, channel);
    if (!sb || !sc || sb.count === 0 || sc.count === 0) continue;
    const b = secondsOf(base, channel);
    const c = secondsOf(cur, channel);
    const tp = throughputRow(base, cur, channel, b, c, t);
    if (tp) rows.push(tp);
    const lag = lagOf(base, cur);
    rows.push(row(base.name, channel, 'all', 'p50', sb.p50_us, sc.p50_us, t, rankEvidence(b.p50, c.p50, true, t.alpha, t.p50), lag.p50));
    rows.push(row(base.name, channel, 'all', 'p99', sb.p99_us, sc.p99_us, t, rankEvidence(b.p99, c.p99, true, t.alpha, t.p99), lag.p99));
    rows.push(
      row(base.name, channel, 'all', 'p99_9', sb.p99_9_us, sc.p99_9_us, t, tailEvidence(b, c, t.alpha, t.p99_9, o.replicates), lag.p99_9),
    );
  }
  rows.push(errorRateRow(base, cur, t));
  rows.push(...opRows(base, cur, o));
  return rows;
}

/**
 * Ops per second: Mann-Whitney on the per-second counts. Without a per-second series (the HTTP edge) the
 * whole-run completed rate is shown for the bench, untested. In an open loop the counts follow the offered rate
 * (ops are counted in their intended second), so a slower target shows in the latencies, not here.
 */
function throughputRow(base: BenchResult, cur: BenchResult, channel: Channel, b: Seconds, c: Seconds, t: ComparisonThresholds) {
  if (base.per_second.length === 0 || cur.per_second.length === 0) {
    if (channel !== 'all') return undefined;
    const ev = untested(0, 0, 'no per-second series in a document: whole-run completed rate, not tested');
    return row(base.name, channel, 'all', 'throughput', base.totals.completed_rate, cur.totals.completed_rate, t, ev);
  }
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);
  const ev = rankEvidence(b.counts, c.counts, false, t.alpha, t.throughput);
  const open = 'open loop: counts follow the offered rate; a slower target shows in the latencies';
  if (base.mode === 'open') ev.note = ev.note ? `${ev.note}; ${open}` : open;
  return row(base.name, channel, 'all', 'throughput', mean(b.counts), mean(c.counts), t, ev);
}

/** The bootstrap interval of the change, judged against the threshold: worse when it lies wholly above +threshold. */
function tailEvidence(b: Seconds, c: Seconds, alpha: number, thresholdPercent: number, replicates?: number): Evidence {
  const n = { n_baseline: b.hists?.length ?? 0, n_current: c.hists?.length ?? 0 };
  const none = (note: string) => untested(n.n_baseline, n.n_current, note);
  if (!b.hists || !c.hists) return none('no per-second histograms in a document (written before they were recorded): not tested');
  const few = tooFew(b.hists.length, c.hists.length);
  if (few) return none(few);
  const boot = bootstrapPercentileChange(b.hists, c.hists, { percentile: 99.9, alpha, replicates });
  if (!boot.interval) return none('baseline p99.9 is 0: not tested');
  const interval: [number, number] = [round(boot.interval[0]), round(boot.interval[1])];
  const m = Math.abs(thresholdPercent);
  return { test: 'bootstrap', interval, ...n, pWorse: null, pBetter: null, worse: interval[0] > m, better: interval[1] < -m };
}

/**
 * Errors (and unanswered ops) over issued ops, whole run: the runs keep no per-second error counts. The threshold
 * (absolute points) carries the decision; the one-sided two-proportion test only keeps a handful of errors in a
 * small run from counting. It treats ops as independent, which bursts of errors are not, so its p-value is optimistic.
 */
function errorRateRow(base: BenchResult, cur: BenchResult, t: ComparisonThresholds): ComparisonMetricRow {
  const failed = (b: BenchResult) => b.totals.errors + b.totals.timeouts;
  const rate = (b: BenchResult) => (b.totals.issued > 0 ? (failed(b) / b.totals.issued) * 100 : 0);
  const pWorse = twoProportionGreater(failed(cur), cur.totals.issued, failed(base), base.totals.issued);
  const pBetter = twoProportionGreater(failed(base), base.totals.issued, failed(cur), cur.totals.issued);
  return row(base.name, 'all', 'all', 'error_rate', rate(base), rate(cur), t, {
    test: 'two-proportion',
    interval: null,
    n_baseline: base.totals.issued,
    n_current: cur.totals.issued,
    pWorse,
    pBetter,
    worse: pWorse < t.alpha,
    better: pBetter < t.alpha,
  });
}

/** The generator's own lateness (send lag, open loop) at each compared percentile: the larger of the two runs'. */
function lagOf(base: BenchResult, cur: BenchResult): { p50: number; p99: number; p99_9: number } {
  const at = (k: 'p50_us' | 'p99_us' | 'p99_9_us') => Math.max(base.schedule?.send_lag[k] ?? 0, cur.schedule?.send_lag[k] ?? 0);
  return { p50: at('p50_us'), p99: at('p99_us'), p99_9: at('p99_9_us') };
}

/** One channel's and op's seconds, or null in a document written before they were recorded. */
function opSecondsOf(b: BenchResult, channel: string, op: string): Seconds | null {
  if (!b.per_second_ops) return null;
  const n = fullSeconds(b);
  const own = b.per_second_ops.filter((p) => p.second < n && p.channel === channel && p.op === op && p.count > 0);
  const counts = Array.from({ length: n }, () => 0);
  for (const p of own) counts[p.second] = p.count;
  return { n, counts, p50: own.map((p) => p.p50_us), p99: own.map((p) => p.p99_us), hists: own.map((p) => [p.hist]) };
}

/**
 * Per channel and op: the figures from the whole-run histograms, tested like the channel's on that op's own
 * per-second samples (shown, not tested, when a document has none).
 */
function opRows(base: BenchResult, cur: BenchResult, o: CompareOptions): ComparisonMetricRow[] {
  const t = o.thresholds;
  const byOp = (b: BenchResult) => {
    const m = new Map<string, ReturnType<typeof decodeHistogram>>();
    for (const g of b.groups) {
      const k = `${g.channel}|${g.op}`;
      const h = m.get(k) ?? decodeHistogram('');
      h.add(decodeHistogram(g.hist));
      m.set(k, h);
    }
    return m;
  };
  const hb = byOp(base);
  const hc = byOp(cur);
  const lag = lagOf(base, cur);
  const rows: ComparisonMetricRow[] = [];
  for (const [k, b] of [...hb].sort(([a], [z]) => a.localeCompare(z))) {
    const c = hc.get(k);
    if (!c || b.totalCount === 0 || c.totalCount === 0) continue;
    const [channel = 'all', op = ''] = k.split('|');
    const sb = opSecondsOf(base, channel, op);
    const sc = opSecondsOf(cur, channel, op);
    const none = untested(
      b.totalCount,
      c.totalCount,
      'per op: no per-second samples in a document (written before they were recorded), not tested',
    );
    const figure = (p: number) => [b.getValueAtPercentile(p), c.getValueAtPercentile(p)] as const;
    const [b50, c50] = figure(50);
    const [b99, c99] = figure(99);
    const [b999, c999] = figure(99.9);
    rows.push(
      row(
        base.name,
        channel as Channel,
        op,
        'p50',
        b50,
        c50,
        t,
        sb && sc ? rankEvidence(sb.p50, sc.p50, true, t.alpha, t.p50) : none,
        lag.p50,
      ),
      row(
        base.name,
        channel as Channel,
        op,
        'p99',
        b99,
        c99,
        t,
        sb && sc ? rankEvidence(sb.p99, sc.p99, true, t.alpha, t.p99) : none,
        lag.p99,
      ),
      row(
        base.name,
        channel as Channel,
        op,
        'p99_9',
        b999,
        c999,
        t,
        sb && sc ? tailEvidence(sb, sc, t.alpha, t.p99_9, o.replicates) : none,
        lag.p99_9,
      ),
    );
  }
  return rows;
}

/**
 * Compare every bench the two documents share (by name). Configurations that differ are a HarnessError (exit 2)
 * listing every differing field, unless `force` (then they are the result's caveats); no shared bench is one too.
 */
export function compareDocuments(baseline: ComparedDocument, current: ComparedDocument, o: CompareOptions): ComparisonResult {
  const names = (d: ComparedDocument) => d.benches.map((b) => b.name);
  const shared = names(current).filter((n) => names(baseline).includes(n));
  const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');
  if (shared.length === 0)
    throw new HarnessError(
      `no bench in both documents: baseline ${baseline.path} has ${list(names(baseline))}; current ${current.path} has ${list(names(current))}`,
      'compare runs of the same bench (same --profile and mode for `bench`; the same spec for `gate`)',
    );
  const pairs = shared.map((n) => {
    const b = baseline.benches.find((x) => x.name === n);
    const c = current.benches.find((x) => x.name === n);
    if (!b || !c) throw new Error(`compare: bench ${n} vanished`);
    return [b, c] as const;
  });
  const caveats: ConfigDifference[] = pairs.flatMap(([b, c]) => configDifferences(b, c));
  if (caveats.length > 0 && !o.force)
    throw new HarnessError(
      `the runs differ in configuration, so their figures are not comparable:\n${caveats.map((d) => `  ${d.bench}: ${d.field} ${d.baseline} (baseline) vs ${d.current} (current)`).join('\n')}`,
      'compare runs of the same configuration, or add --force to compare anyway (the differences are listed as caveats)',
    );
  const rows = markDisturbed(
    pairs.flatMap(([b, c]) => compareBench(b, c, o)),
    baseline.benches,
    current.benches,
  );
  const regressions = rows.filter((r) => r.verdict === 'regression').length;
  const overall = comparisonVerdict(rows);
  const side = (d: ComparedDocument) => ({
    path: d.path,
    ...(d.run_id !== undefined ? { run_id: d.run_id } : {}),
    ...(d.started_at !== undefined ? { started_at: d.started_at } : {}),
  });
  return {
    baseline: side(baseline),
    current: side(current),
    thresholds: o.thresholds,
    benches: shared,
    only_baseline: names(baseline).filter((n) => !shared.includes(n)),
    only_current: names(current).filter((n) => !shared.includes(n)),
    caveats,
    forced: o.force === true,
    rows,
    verdict: overall === 'none' ? 'pass' : overall,
    regressions,
    improvements: rows.filter((r) => r.verdict === 'improvement').length,
  };
}
