/** How evenly keys fall over the slots they may use (a shard's slots). */
export interface SlotSpread {
  keys: number;
  slotsAvailable: number;
  distinctSlots: number;
  /** Distinct slots a uniform random placement would use on average: n(1 - (1 - 1/n)^k). */
  expectedDistinct: number;
  maxPerSlot: number;
  /** keys / slotsAvailable. */
  meanPerSlot: number;
  /** maxPerSlot / meanPerSlot. Large even for uniform placement when keys ≈ slots (Poisson tail), hence the rest. */
  skew: number;
  /** keys / distinctSlots, and maxPerSlot over it: 1 when no two keys share a slot (readable at low density). */
  meanPerUsedSlot: number;
  usedSkew: number;
  /** Pearson chi-square over all available slots, divided by its degrees of freedom: ≈ 1 for uniform. */
  chiSquarePerDof: number;
  /** max/mean over `buckets` equal runs of consecutive available slots: coarse, but comparable at any key count. */
  bucketSkew: number;
}

/** Spread of `slots` (one entry per key) over `available` (the allowed slots, in order). */
export function slotSpread(slots: readonly number[], available: readonly number[], buckets = 64): SlotSpread {
  const n = available.length;
  const k = slots.length;
  const index = new Map(available.map((s, i) => [s, i]));
  const counts = new Array<number>(n).fill(0);
  for (const s of slots) {
    const i = index.get(s);
    if (i === undefined) throw new RangeError(`slot ${s} is not among the available slots`);
    counts[i] = (counts[i] ?? 0) + 1;
  }
  const mean = n === 0 ? 0 : k / n;
  const max = counts.reduce((a, b) => Math.max(a, b), 0);
  const chi = mean === 0 ? 0 : counts.reduce((acc, c) => acc + (c - mean) ** 2 / mean, 0);
  const b = Math.max(1, Math.min(buckets, n));
  const perBucket = new Array<number>(b).fill(0);
  counts.forEach((c, i) => {
    const j = Math.floor((i * b) / n);
    perBucket[j] = (perBucket[j] ?? 0) + c;
  });
  const bucketMean = k / b;
  const used = counts.filter((c) => c > 0).length;
  return {
    keys: k,
    slotsAvailable: n,
    distinctSlots: used,
    expectedDistinct: n === 0 ? 0 : n * (1 - (1 - 1 / n) ** k),
    maxPerSlot: max,
    meanPerSlot: mean,
    skew: mean === 0 ? 0 : max / mean,
    meanPerUsedSlot: used === 0 ? 0 : k / used,
    usedSkew: used === 0 ? 0 : max / (k / used),
    chiSquarePerDof: n > 1 ? chi / (n - 1) : 0,
    bucketSkew: bucketMean === 0 ? 0 : Math.max(...perBucket) / bucketMean,
  };
}
