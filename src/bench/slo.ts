import type { LatencySummary, SloRow } from '../report/index.js';
import type { Spec } from '../spec/index.js';
import type { Channel } from '../tenancy/index.js';

const ms = (us: number) => Math.round(us / 10) / 100;

/** Pass/fail per channel against the spec's slo.<channel>.p99Ms and p999Ms. A channel with no ops is "no-data". */
export function evaluateSlo(slo: Spec['slo'], channels: ReadonlyArray<LatencySummary & { channel: Channel }>): SloRow[] {
  return (['mobile', 'web'] as const).map((channel) => {
    const limits = slo[channel];
    const s = channels.find((c) => c.channel === channel);
    const base = { channel, p99_limit_ms: limits.p99Ms, p99_9_limit_ms: limits.p999Ms };
    if (!s || s.count === 0) return { ...base, status: 'no-data', count: 0, p99_us: 0, p99_9_us: 0, detail: 'no operations on this channel' };
    const broken: string[] = [];
    if (s.p99_us > limits.p99Ms * 1000) broken.push(`p99 ${ms(s.p99_us)} ms > ${limits.p99Ms} ms`);
    if (s.p99_9_us > limits.p999Ms * 1000) broken.push(`p99.9 ${ms(s.p99_9_us)} ms > ${limits.p999Ms} ms`);
    return {
      ...base, status: broken.length ? 'fail' : 'pass', count: s.count, p99_us: s.p99_us, p99_9_us: s.p99_9_us,
      detail: broken.length ? broken.join('; ') : `p99 ${ms(s.p99_us)} ms ≤ ${limits.p99Ms} ms, p99.9 ${ms(s.p99_9_us)} ms ≤ ${limits.p999Ms} ms`,
    };
  });
}
