import { z } from 'zod';
import { curveSchema } from './perf-schema.js';

/**
 * The `comparison` section of the result document (and what `cache-harness compare --json` writes): a baseline
 * run held against the current one, bench by bench, channel by channel, op by op. Named `comparisonResult*` so
 * it does not clash with `comparisonSchema` (ours vs redis-benchmark/memtier) in perf-schema.ts.
 */

/** What each row compares. Latencies in µs; throughput in completed ops/s; error_rate in percent of issued ops. */
export const COMPARED_METRICS = ['throughput', 'p50', 'p99', 'p99_9', 'error_rate'] as const;
export const comparedMetricSchema = z.enum(COMPARED_METRICS);
export type ComparedMetric = z.infer<typeof comparedMetricSchema>;

/**
 * How a row was decided:
 * - `mann-whitney`: Mann-Whitney U on the per-second values of both runs, one-sided in the regression
 *   direction, tie-corrected normal approximation → `p_value`.
 * - `bootstrap`: block bootstrap over seconds (resampled seconds' HDR histograms merged, percentile of the
 *   merge): the alpha and 1 − alpha quantiles of the change in percent → `interval` (significant worse when
 *   the lower bound is above 0, better when the upper bound is below 0).
 * - `two-proportion`: one-sided two-proportion z-test on errors / issued → `p_value`.
 * - `none`: not testable (too few seconds, no samples): verdict `not-significant` with `note`.
 */
export const comparisonTestSchema = z.enum(['mann-whitney', 'bootstrap', 'two-proportion', 'none']);
export type ComparisonTest = z.infer<typeof comparisonTestSchema>;

/**
 * - `regression`: worse than the threshold AND significant at alpha.
 * - `improvement`: better by more than the threshold's size AND significant (in the other direction).
 * - `unchanged`: the change is within the threshold (whether or not it is significant).
 * - `not-significant`: beyond the threshold but not significant at alpha (or not testable: see `note`).
 */
export const comparisonVerdictSchema = z.enum(['regression', 'improvement', 'unchanged', 'not-significant']);
export type ComparisonVerdict = z.infer<typeof comparisonVerdictSchema>;

export const comparisonMetricRowSchema = z.object({
  bench: z.string(),
  channel: z.enum(['all', 'mobile', 'web']),
  /** An op name (`get`, `set`...) or `all` for every op of the channel. */
  op: z.string(),
  metric: comparedMetricSchema,
  /** The unit of `baseline`/`current`: µs for latencies, ops/s for throughput, percent for error_rate. */
  unit: z.enum(['us', 'ops/s', '%']),
  baseline: z.number(),
  current: z.number(),
  /** (current − baseline) / baseline × 100; null when the baseline is 0. For error_rate: percentage points. */
  change_percent: z.number().nullable(),
  /** The threshold that applied, signed like the spec's (`p99: 25` = 25 % worse; `throughput: -10`). */
  threshold: z.number(),
  test: comparisonTestSchema,
  /** One-sided p-value (mann-whitney, two-proportion); null for bootstrap / none. */
  p_value: z.number().nullable(),
  /** Bootstrap: the alpha and 1 − alpha quantiles of change_percent's replicates; null for the other tests. */
  interval: z.tuple([z.number(), z.number()]).nullable(),
  /** Samples each side had (seconds for per-second tests, ops for two-proportion). */
  n_baseline: z.number().int().nonnegative(),
  n_current: z.number().int().nonnegative(),
  verdict: comparisonVerdictSchema,
  /** Why a row is not testable, or anything a reader must know ("8 seconds < 10: not tested"). */
  note: z.string().optional(),
});
export type ComparisonMetricRow = z.infer<typeof comparisonMetricRowSchema>;

export const comparisonThresholdsSchema = z.object({
  /** Percent worse (higher) latency allowed. */
  p50: z.number(),
  p99: z.number(),
  p99_9: z.number(),
  /** Percent change of throughput allowed, negative (−10 = 10 % fewer ops/s). */
  throughput: z.number(),
  /** Absolute percentage points of error rate allowed. */
  error_rate: z.number(),
  alpha: z.number().gt(0).lt(1),
  /** The smallest latency change (µs) that can be a regression; absent in comparisons stored before it existed. */
  floor_us: z.object({ p50: z.number(), p99: z.number(), p99_9: z.number() }).optional(),
});
export type ComparisonThresholds = z.infer<typeof comparisonThresholdsSchema>;

export const comparisonResultSchema = z.object({
  /** Where the two documents came from (paths as given), with their run ids / start times when known. */
  baseline: z.object({ path: z.string(), run_id: z.string().optional(), started_at: z.string().optional() }),
  current: z.object({ path: z.string(), run_id: z.string().optional(), started_at: z.string().optional() }),
  thresholds: comparisonThresholdsSchema,
  /** Benches both documents hold (compared), and those only one holds (listed, not compared). */
  benches: z.array(z.string()),
  only_baseline: z.array(z.string()),
  only_current: z.array(z.string()),
  /** Apples vs oranges: every configuration field that differs, compared anyway under `--force`. */
  caveats: z.array(z.object({ bench: z.string(), field: z.string(), baseline: z.string(), current: z.string() })),
  forced: z.boolean(),
  rows: z.array(comparisonMetricRowSchema),
  /** `regression` when a row is one on undisturbed runs; `inconclusive` when none is but a bench's measurement was disturbed (it can neither pass nor fail); else `pass`. */
  verdict: z.enum(['pass', 'regression', 'inconclusive']),
  regressions: z.number().int().nonnegative(),
  improvements: z.number().int().nonnegative(),
  /**
   * `gate --baseline`: the baseline's percentile curves and per-second p99 of each compared bench, so the HTML
   * report draws both runs from the result document alone (the current run's are in its `benches`).
   */
  baseline_series: z
    .array(
      z.object({
        bench: z.string(),
        curves: z.array(curveSchema),
        p99_per_second: z.array(
          z.object({ second: z.number().int().nonnegative(), channel: z.enum(['all', 'mobile', 'web']), p99_us: z.number() }),
        ),
      }),
    )
    .optional(),
});
export type ComparisonResult = z.infer<typeof comparisonResultSchema>;
