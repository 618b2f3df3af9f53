import { formatUs } from '../format/duration.js';
import { PERCENTILES, percentileKey, percentileLabel, percentileName } from './percentiles.js';
import { PEER_PERCENTILES, type BenchResult, type LatencySummary, type PeerRunResult } from './perf-schema.js';

/** The columns of a latency summary in every table of one (terminal, HTML, findings): ops, then each percentile. */
export const LATENCY_COLUMNS: readonly string[] = ['ops', ...PERCENTILES.map(percentileLabel)];

/** A summary's cells, in LATENCY_COLUMNS order. */
export function latencyCells(s: LatencySummary): string[] {
  return [String(s.count), ...PERCENTILES.map((p) => formatUs(s[percentileKey(p)]))];
}

/** A summary as a finding's data row: `{ ops, p50: "194 µs", ... }`. */
export function latencyRecord(s: LatencySummary): Record<string, string | number> {
  return { ops: s.count, ...Object.fromEntries(PERCENTILES.map((p) => [percentileLabel(p), formatUs(s[percentileKey(p)])])) };
}

/** The header of a comparison's latency column: "p50/p99", the percentiles both peers report. */
export const PEER_LATENCY_COLUMN = PEER_PERCENTILES.map(percentileLabel).join(' / ');

/** A peer run's cell under PEER_LATENCY_COLUMN: "194 µs / 1.23 ms". */
export function peerLatency(r: PeerRunResult): string {
  return PEER_PERCENTILES.map((p) => formatUs(r[percentileKey(p)])).join(' / ');
}

/** autocannon's percentiles as "p99 3 ms", leaving out any an older document lacks. */
export function autocannonPercentiles(ms: NonNullable<BenchResult['http']>['autocannon']['latency_ms']): string[] {
  return PERCENTILES.flatMap((p) => {
    const v = ms[percentileName(p)];
    return v === undefined ? [] : [`${percentileLabel(p)} ${v} ms`];
  });
}
