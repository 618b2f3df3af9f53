import { CHANNELS } from '../tenancy/index.js';
import { formatUs } from '../format/duration.js';
import { percentileKey, percentileLabel, percentileValues, SLO_PERCENTILES, type LatencySummary, type SloRow } from '../report/index.js';
import type { Spec } from '../spec/index.js';
import type { Channel } from '../tenancy/index.js';

/** The spec's limit (ms) for each SLO percentile. */
const SPEC_LIMIT = { 99: 'p99Ms', 99.9: 'p999Ms' } as const satisfies Record<(typeof SLO_PERCENTILES)[number], keyof Spec['slo']['mobile']>;

/** Pass/fail per channel against the spec's slo.<channel>.p99Ms and p999Ms. A channel with no ops is "no-data". */
export function evaluateSlo(slo: Spec['slo'], channels: ReadonlyArray<LatencySummary & { channel: Channel }>): SloRow[] {
  return CHANNELS.map((channel) => {
    const limitMs = (p: (typeof SLO_PERCENTILES)[number]) => slo[channel][SPEC_LIMIT[p]];
    const base = { channel, ...percentileValues(SLO_PERCENTILES, limitMs, '_limit_ms') };
    const s = channels.find((c) => c.channel === channel);
    if (!s || s.count === 0)
      return {
        ...base,
        status: 'no-data',
        count: 0,
        ...percentileValues(SLO_PERCENTILES, () => 0),
        detail: 'no operations on this channel',
      };
    const checks = SLO_PERCENTILES.map((p) => ({ label: percentileLabel(p), us: s[percentileKey(p)], limit: limitMs(p) }));
    const broken = checks.filter((c) => c.us > c.limit * 1000);
    return {
      ...base,
      status: broken.length ? 'fail' : 'pass',
      count: s.count,
      ...percentileValues(SLO_PERCENTILES, (p) => s[percentileKey(p)]),
      detail: broken.length
        ? broken.map((c) => `${c.label} ${formatUs(c.us)} > ${c.limit} ms`).join('; ')
        : checks.map((c) => `${c.label} ${formatUs(c.us)} ≤ ${c.limit} ms`).join(', '),
    };
  });
}
