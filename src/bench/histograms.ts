import hdr, { type Histogram } from 'hdr-histogram-js';
import type { LatencySummary, PercentileCurve } from '../report/index.js';

export type { Histogram };

/** Latency histogram: µs, 3 significant digits, 1 µs .. 60 s (grows if a value is larger). */
export function latencyHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Per-second series histogram: 2 significant digits (a 1% bucket), to keep many seconds cheap. */
export function seriesHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 2, autoResize: true });
}

/** Compressed base64 (the HdrHistogram interchange format); '' for an empty histogram. */
export function encodeHistogram(h: Histogram): string {
  return h.totalCount === 0 ? '' : hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(s: string): Histogram {
  if (s === '') return latencyHistogram();
  return hdr.decodeFromCompressedBase64(s, 32, false);
}

/** One histogram holding every encoded input (workers, runs, groups). */
export function mergeEncoded(encoded: readonly string[], into: Histogram = latencyHistogram()): Histogram {
  for (const e of encoded) if (e !== '') into.add(decodeHistogram(e));
  return into;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Stable-keyed summary, µs. An empty histogram gives zeros with count 0. Every percentile, the max
 * included, is its bucket's highest equivalent value (within 0.1%), so a summary is the same before and
 * after encoding and merging (the encoding does not keep the exact max).
 */
export function summarize(h: Histogram): LatencySummary {
  const n = h.totalCount;
  if (n === 0) return { count: 0, min_us: 0, mean_us: 0, p50_us: 0, p90_us: 0, p99_us: 0, p99_9_us: 0, p99_99_us: 0, max_us: 0 };
  return {
    count: n,
    min_us: h.minNonZeroValue,
    mean_us: round1(h.mean),
    p50_us: h.getValueAtPercentile(50),
    p90_us: h.getValueAtPercentile(90),
    p99_us: h.getValueAtPercentile(99),
    p99_9_us: h.getValueAtPercentile(99.9),
    p99_99_us: h.getValueAtPercentile(99.99),
    max_us: h.getValueAtPercentile(100),
  };
}

/** Percentiles for the percentile-curve chart (x = 1/(1-p) on a log axis). */
export const CURVE_PERCENTILES = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999, 100] as const;

export function percentileCurve(label: string, h: Histogram): PercentileCurve {
  if (h.totalCount === 0) return { label, points: [] };
  return { label, points: CURVE_PERCENTILES.map((p) => ({ percentile: p, value_us: h.getValueAtPercentile(p) })) };
}
