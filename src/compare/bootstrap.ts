import { JsHistogram } from 'hdr-histogram-js';
import { decodeHistogram } from '../bench/histograms.js';
import { mulberry32, type Rng } from '../bench/prng.js';

/**
 * Block bootstrap over seconds for tail percentiles (p99.9 and above), whose per-second values are too noisy
 * (a 2 000 ops/s second holds two ops above its p99.9) for a rank test: each replicate resamples the run's
 * seconds in blocks (moving blocks of ⌈n^⅓⌉ seconds, keeping the short-range dependence between neighbouring
 * seconds), merges their histograms and takes the percentile of the merge; the same for the other run, then
 * the change in percent. The interval is the alpha and 1 − alpha quantiles of those changes (percentile method).
 */

/** A second's histogram as (value, count) pairs over the run's sorted bucket values: cheap to merge many times. */
interface SparseSeconds {
  /** Each distinct bucket value (its highest equivalent value, as getValueAtPercentile reports), ascending. */
  values: Float64Array;
  seconds: Array<{ idx: Uint32Array; counts: Float64Array }>;
}

function sparseSeconds(encoded: ReadonlyArray<readonly string[]>): SparseSeconds {
  const decoded = encoded.map((parts) => {
    const byValue = new Map<number, number>();
    for (const e of parts) {
      if (e === '') continue;
      const h = decodeHistogram(e);
      if (!(h instanceof JsHistogram)) throw new Error('compare: expected a JS histogram from decodeHistogram');
      for (let i = 0; i < h.countsArrayLength; i++) {
        const c = h.getCountAtIndex(i);
        if (c > 0) {
          const v = h.highestEquivalentValue(h.valueFromIndex(i));
          byValue.set(v, (byValue.get(v) ?? 0) + c);
        }
      }
    }
    return [...byValue];
  });
  const values = Float64Array.from(new Set(decoded.flatMap((ps) => ps.map(([v]) => v)))).sort();
  const index = new Map<number, number>();
  values.forEach((v, i) => index.set(v, i));
  return {
    values,
    seconds: decoded.map((ps) => ({ idx: Uint32Array.from(ps, ([v]) => index.get(v) ?? 0), counts: Float64Array.from(ps, ([, c]) => c) })),
  };
}

/** The percentile of merged counts (HdrHistogram's rule: the value at rank max(1, ⌊p/100·N + ½⌋)). */
function percentileOf(values: Float64Array, counts: Float64Array, total: number, p: number): number {
  if (total <= 0) return 0;
  const rank = Math.max(1, Math.floor((p / 100) * total + 0.5));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= rank) return values[i] ?? 0;
  }
  return values[values.length - 1] ?? 0;
}

function merged(s: SparseSeconds, picks: Iterable<number>, into: Float64Array): number {
  into.fill(0);
  let total = 0;
  for (const k of picks) {
    const sec = s.seconds[k];
    if (!sec) continue;
    for (let j = 0; j < sec.idx.length; j++) {
      const c = sec.counts[j] ?? 0;
      into[sec.idx[j] ?? 0] = (into[sec.idx[j] ?? 0] ?? 0) + c;
      total += c;
    }
  }
  return total;
}

/** Moving-block resample of n seconds: ⌈n / L⌉ blocks of L consecutive seconds, cut to n. */
function* blockResample(n: number, rng: Rng): Generator<number> {
  const len = Math.max(1, Math.min(n, Math.ceil(Math.cbrt(n))));
  let emitted = 0;
  while (emitted < n) {
    const start = Math.floor(rng() * (n - len + 1));
    for (let k = 0; k < len && emitted < n; k++, emitted++) yield start + k;
  }
}

export interface BootstrapChange {
  baseline: number;
  current: number;
  /** (current − baseline) / baseline × 100 of the full runs; null when the baseline is 0. */
  changePercent: number | null;
  /** The alpha and 1 − alpha quantiles of the replicates' change in percent. */
  interval: [number, number] | null;
}

export interface BootstrapOptions {
  percentile: number;
  alpha: number;
  replicates?: number;
  seed?: number;
}

/**
 * Bootstrap the change of a percentile from the baseline's seconds to the current run's seconds: each second is
 * the encoded HDR histograms recorded in it (one per channel; merged). Seeded: the same inputs give the same interval.
 */
export function bootstrapPercentileChange(
  baseline: ReadonlyArray<readonly string[]>,
  current: ReadonlyArray<readonly string[]>,
  o: BootstrapOptions,
): BootstrapChange {
  const b = sparseSeconds(baseline);
  const c = sparseSeconds(current);
  const bufB = new Float64Array(b.values.length);
  const bufC = new Float64Array(c.values.length);
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  const qB = percentileOf(b.values, bufB, merged(b, all(b.seconds.length), bufB), o.percentile);
  const qC = percentileOf(c.values, bufC, merged(c, all(c.seconds.length), bufC), o.percentile);
  const changePercent = qB > 0 ? ((qC - qB) / qB) * 100 : null;
  if (qB <= 0) return { baseline: qB, current: qC, changePercent, interval: null };
  const rng = mulberry32(o.seed ?? 0x5eed);
  const reps = o.replicates ?? 1000;
  const changes = new Float64Array(reps);
  for (let r = 0; r < reps; r++) {
    const rb = percentileOf(b.values, bufB, merged(b, blockResample(b.seconds.length, rng), bufB), o.percentile);
    const rc = percentileOf(c.values, bufC, merged(c, blockResample(c.seconds.length, rng), bufC), o.percentile);
    changes[r] = rb > 0 ? ((rc - rb) / rb) * 100 : 0;
  }
  changes.sort();
  const q = (p: number) => changes[Math.min(reps - 1, Math.max(0, Math.floor(p * reps)))] ?? 0;
  return { baseline: qB, current: qC, changePercent, interval: [q(o.alpha), q(1 - o.alpha)] };
}
