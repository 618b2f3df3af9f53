import { HarnessError } from '../errors.js';
import type { ComparisonThresholds } from '../report/comparison-schema.js';
import type { RegressionThresholds } from '../spec/index.js';

/** The spec's `regression:` section as the comparison's thresholds. */
export function thresholdsFromSpec(r: RegressionThresholds): ComparisonThresholds {
  return {
    p50: r.p50,
    p99: r.p99,
    p99_9: r.p99_9,
    throughput: r.throughput,
    error_rate: r.errorRate,
    alpha: r.alpha,
    floor_us: { ...r.floorUs },
  };
}

type Percentile = 'p50' | 'p99' | 'p99_9';
/** `--threshold` keys of the µs floors: `p99_floor_us=200`. */
const FLOOR_KEYS: Record<string, Percentile> = { p50_floor_us: 'p50', p99_floor_us: 'p99', p99_9_floor_us: 'p99_9' };

/** `--threshold` keys, as written on the command line → the thresholds' keys (the spec's spelling works too). */
const KEYS: Record<string, Exclude<keyof ComparisonThresholds, 'alpha' | 'floor_us'>> = {
  p50: 'p50',
  p99: 'p99',
  p99_9: 'p99_9',
  'p99.9': 'p99_9',
  throughput: 'throughput',
  error_rate: 'error_rate',
  errorRate: 'error_rate',
};

const HINT =
  'write --threshold KEY=NUMBER with KEY one of p50, p99, p99_9, throughput, error_rate, p50_floor_us, p99_floor_us, p99_9_floor_us (e.g. --threshold p99=30 --threshold throughput=-5 --threshold p99_floor_us=200)';

/** Apply `--threshold k=v` flags and `--alpha`: each a HarnessError (exit 2) when malformed or of the wrong sign. */
export function applyOverrides(base: ComparisonThresholds, flags: readonly string[], alpha?: string): ComparisonThresholds {
  const out = { ...base };
  for (const flag of flags) {
    const m = /^([A-Za-z0-9_.]+)=([-+]?[0-9.]+%?)$/.exec(flag.trim());
    const floor = m?.[1] !== undefined ? FLOOR_KEYS[m[1]] : undefined;
    if (floor) {
      const us = Number(m?.[2]);
      if (!(us >= 0)) throw new HarnessError(`--threshold ${flag}: a floor is a number of µs, 0 or more`, HINT);
      out.floor_us = { ...(out.floor_us ?? { p50: 0, p99: 0, p99_9: 0 }), [floor]: us };
      continue;
    }
    const key = m?.[1] !== undefined ? KEYS[m[1]] : undefined;
    const value = m?.[2] !== undefined ? Number(m[2].replace('%', '')) : NaN;
    if (!key || !Number.isFinite(value)) throw new HarnessError(`--threshold ${flag}: not KEY=NUMBER with a known key`, HINT);
    if (key === 'throughput' ? !(value < 0) : !(value > 0))
      throw new HarnessError(
        `--threshold ${flag}: ${key === 'throughput' ? 'a throughput threshold is a drop, below 0' : `a ${key} threshold is a rise, above 0`}`,
        HINT,
      );
    out[key] = value;
  }
  if (alpha !== undefined) {
    const a = Number(alpha);
    if (!(a > 0 && a < 0.5)) throw new HarnessError(`--alpha ${alpha} must be a number between 0 and 0.5`, 'e.g. --alpha 0.01');
    out.alpha = a;
  }
  return out;
}
