/** A seeded PRNG (mulberry32): the same seed gives the same op table in every process and worker. */
export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A sampler over indices 0..n-1 with the given (non-negative, not all zero) weights: CDF + binary search. */
export interface WeightedSampler {
  readonly size: number;
  sample(rng: Rng): number;
}

export function weightedSampler(weights: readonly number[]): WeightedSampler {
  if (weights.length === 0) throw new RangeError('weightedSampler: no weights');
  const cdf = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => {
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`weightedSampler: weight ${i} is ${w}; weights must be finite and >= 0`);
    sum += w;
    cdf[i] = sum;
  });
  if (sum <= 0) throw new RangeError('weightedSampler: the weights sum to 0');
  return {
    size: weights.length,
    sample(rng) {
      const x = rng() * sum;
      let lo = 0;
      let hi = cdf.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((cdf[mid] ?? 0) > x) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    },
  };
}

/** Zipf over ranks 0..n-1: P(rank k) ∝ 1/(k+1)^s. s = 0 is uniform. */
export function zipfSampler(n: number, s: number): WeightedSampler {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`zipfSampler: n must be a positive integer, got ${n}`);
  return weightedSampler(Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s));
}

/** Uniform over 0..n-1 without a table. */
export function uniformSampler(n: number): WeightedSampler {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`uniformSampler: n must be a positive integer, got ${n}`);
  return { size: n, sample: (rng) => Math.min(n - 1, Math.floor(rng() * n)) };
}

/** The map's value for `key`, made (once) by `make` when missing. */
export function memo<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}
