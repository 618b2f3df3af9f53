import type { ComparedMetric, ComparisonVerdict } from '../report/comparison-schema.js';

/** Throughput regresses downwards; latencies and the error rate regress upwards. */
export const higherIsWorse = (m: ComparedMetric): boolean => m !== 'throughput';

export interface Evidence {
  /** Percent (points for error_rate); null when it cannot be computed (baseline 0). */
  change: number | null;
  /** The metric's threshold as the spec writes it: +25 (latency, error points) or −10 (throughput). */
  threshold: number;
  /** Whether the test found the current run significantly worse / better at alpha; null when not tested. */
  worse: boolean | null;
  better: boolean | null;
  /** Latencies: the change in µs and the smallest that counts (the spec's `regression.floorUs`). */
  changeUs?: number;
  floorUs?: number;
}

/**
 * The decision rule: a regression is a change beyond its threshold in the bad direction AND significantly worse;
 * an improvement the mirror image (beyond the threshold's size the other way, and significantly better). A change
 * beyond a threshold that the test does not back (or that was not testable) is `not-significant`; anything within
 * the thresholds is `unchanged`, significant or not (a significant 3 % is not worth a failed gate), and so is a
 * latency change within its µs floor (+30 % of a 70 µs p50 is run-to-run noise, not a regression).
 */
export function decide(metric: ComparedMetric, e: Evidence): ComparisonVerdict {
  if (e.change === null) return 'not-significant';
  if (e.changeUs !== undefined && e.floorUs !== undefined && Math.abs(e.changeUs) <= e.floorUs) return 'unchanged';
  const size = Math.abs(e.threshold);
  const bad = higherIsWorse(metric) ? e.change : -e.change;
  if (bad > size) return e.worse === true ? 'regression' : 'not-significant';
  if (-bad > size) return e.better === true ? 'improvement' : 'not-significant';
  return 'unchanged';
}
