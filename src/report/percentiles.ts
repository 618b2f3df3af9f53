import { z } from 'zod';

/**
 * The percentiles every latency summary carries, in order; 100 is the max. The one list behind the summary
 * fields, the result schema, autocannon's mapping, table columns and chart labels (autocannon's
 * lib/percentiles.js): adding p75 is one entry here.
 */
export const PERCENTILES = [50, 90, 99, 99.9, 99.99, 100] as const;
export type Percentile = (typeof PERCENTILES)[number];

type Underscored<S extends string> = S extends `${infer A}.${infer B}` ? `${A}_${B}` : S;

/** autocannon's key for a percentile ("p50", "p99_9", "max"): the result's field names are built on it. */
export type PercentileName<P extends number> = P extends 100 ? 'max' : `p${Underscored<`${P}`>}`;
/** A field name: the percentile's name and a unit suffix ("p99_9_us"; "p99_9" with no suffix). */
export type PercentileField<P extends number, U extends string> = `${PercentileName<P>}${U}`;
/** An object with one number per percentile of `Ps`, keyed by field name. */
export type PercentileValues<Ps extends readonly number[], U extends string> = { [P in Ps[number] as PercentileField<P, U>]: number };

export function percentileName<P extends number>(p: P): PercentileName<P> {
  return (p === 100 ? 'max' : `p${String(p).replace('.', '_')}`) as PercentileName<P>;
}

/** A percentile's field with a unit suffix: (99.9, '_limit_ms') → "p99_9_limit_ms". */
export function percentileField<P extends number, U extends string>(p: P, unit: U): PercentileField<P, U> {
  return `${percentileName(p)}${unit}`;
}

/** The result's field for a percentile in µs: p50 → "p50_us", 99.9 → "p99_9_us", 100 → "max_us". */
export function percentileKey<P extends number>(p: P): PercentileField<P, '_us'> {
  return percentileField(p, '_us');
}

/** How a reader sees it (table headers, chart ticks): "p99.9", "max". */
export function percentileLabel(p: number): string {
  return p === 100 ? 'max' : `p${p}`;
}

/** `{ p50_us: f(50), ... }` for the given percentiles (unit `'_us'` by default; `''` gives autocannon's keys). */
export function percentileValues<const Ps extends readonly number[], U extends string = '_us'>(
  ps: Ps,
  f: (p: Ps[number]) => number,
  unit?: U,
): PercentileValues<Ps, U> {
  return Object.fromEntries(ps.map((p) => [percentileField(p, unit ?? '_us'), f(p)])) as PercentileValues<Ps, U>;
}

/** The zod fields of `percentileValues`: `{ p50_us: z.number(), ... }`. */
export function percentileFields<const Ps extends readonly number[], U extends string = '_us'>(
  ps: Ps,
  unit?: U,
): { [K in keyof PercentileValues<Ps, U>]: z.ZodNumber } {
  return Object.fromEntries(ps.map((p) => [percentileField(p, unit ?? '_us'), z.number()])) as {
    [K in keyof PercentileValues<Ps, U>]: z.ZodNumber;
  };
}
