import { formatUs } from '../format/duration.js';
import type { BenchResult, PerSecondPoint, Saturation } from '../report/index.js';

/** Below this share of the offered rate completed, an open loop did not keep up. */
const MIN_COMPLETED_SHARE = 0.99;
/** Deferred ops above this share of the measured ops: the in-flight bound was the queue. */
const MAX_DEFERRED_SHARE = 0.001;
/** The last third's median p50 this many times the first third's (and at least 1 ms): a growing queue. */
const P50_GROWTH = 2;
const P50_GROWTH_FLOOR_US = 1000;
/** Outstanding ops in the last third this many times the first third's (and above the floor): a growing queue. */
const OUTSTANDING_GROWTH = 4;
const OUTSTANDING_FLOOR = 64;

/** What the detection reads of a run. */
export interface SaturationFacts {
  mode: BenchResult['mode'];
  config: { inflight?: number; target_rate?: number };
  totals: { issued: number; completed_rate: number };
  schedule?: Pick<NonNullable<BenchResult['schedule']>, 'deferred' | 'unsent' | 'max_inflight_per_conn'>;
  per_second: readonly PerSecondPoint[];
}

/**
 * Is this run past the target's (or the generator's) capacity? Read from the run itself: ops that could
 * not be sent on time, a completed rate below the offered one, and a queue that grows (outstanding ops,
 * per-second p50). A closed loop runs at saturation by construction.
 */
export function detectSaturation(r: SaturationFacts, outstandingPerSecond: readonly number[]): Saturation {
  const reasons: string[] = [];
  const base = { outstanding_per_second: [...outstandingPerSecond] };
  if (r.mode === 'closed') {
    reasons.push(
      `closed loop: ${r.config.inflight ?? '?'} ops kept in flight, so the target (or the generator) runs at its capacity for that concurrency; its rate is a capacity, its latency a service time under load`,
    );
    return { saturated: true, reasons, ...base };
  }
  const offered = r.config.target_rate ?? 0;
  const measured = r.totals.issued;
  const s = r.schedule;
  if (s && s.unsent > 0)
    reasons.push(
      `${s.unsent} op(s) were never sent: the in-flight bound (${s.max_inflight_per_conn} per connection) stayed full until the end`,
    );
  if (s && measured > 0 && s.deferred / measured > MAX_DEFERRED_SHARE) {
    reasons.push(
      `${s.deferred} op(s) (${pct(s.deferred / measured)}) waited for room under the in-flight bound (${s.max_inflight_per_conn} per connection): offered faster than answered`,
    );
  }
  if (offered > 0 && r.totals.completed_rate < offered * MIN_COMPLETED_SHARE) {
    reasons.push(`completed ${r.totals.completed_rate} ops/s of ${offered} offered (${pct(r.totals.completed_rate / offered)})`);
  }
  const p50 = thirds(r.per_second.filter((p) => p.channel === 'all').map((p: PerSecondPoint) => p.p50_us));
  if (p50 && p50.last >= P50_GROWTH * p50.first && p50.last >= P50_GROWTH_FLOOR_US) {
    reasons.push(`per-second p50 grew from ${formatUs(p50.first)} to ${formatUs(p50.last)} during the run: a queue builds up`);
  }
  const out = thirds(outstandingPerSecond);
  if (out && out.last >= OUTSTANDING_GROWTH * Math.max(1, out.first) && out.last >= OUTSTANDING_FLOOR) {
    reasons.push(`ops outstanding grew from ${Math.round(out.first)} to ${Math.round(out.last)} during the run`);
  }
  return { saturated: reasons.length > 0, reasons, ...base };
}

/** Median of the first and of the last third of a series (null below 3 points). */
function thirds(xs: readonly number[]): { first: number; last: number } | null {
  if (xs.length < 3) return null;
  const k = Math.floor(xs.length / 3);
  return { first: median(xs.slice(0, k)), last: median(xs.slice(xs.length - k)) };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
