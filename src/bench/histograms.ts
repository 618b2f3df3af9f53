import hdr, { type Histogram } from 'hdr-histogram-js';
import { PERCENTILES, percentileValues, type LatencySummary, type PercentileCurve } from '../report/index.js';

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
  return {
    count: n,
    min_us: n === 0 ? 0 : h.minNonZeroValue,
    mean_us: n === 0 ? 0 : round1(h.mean),
    ...percentileValues(PERCENTILES, (p) => (n === 0 ? 0 : h.getValueAtPercentile(p))),
  };
}

/**
 * The percentile-curve chart's points (x = 1/(1-p) on a log axis): every summary percentile, so the curve
 * passes through the tables' figures, and points between them to draw its shape.
 */
export const CURVE_PERCENTILES: readonly number[] = [...new Set([0, 25, 75, 95, 99.5, 99.95, 99.995, 99.999, ...PERCENTILES])].sort(
  (a, b) => a - b,
);

export function percentileCurve(label: string, h: Histogram): PercentileCurve {
  if (h.totalCount === 0) return { label, points: [] };
  return { label, points: CURVE_PERCENTILES.map((p) => ({ percentile: p, value_us: h.getValueAtPercentile(p) })) };
}
