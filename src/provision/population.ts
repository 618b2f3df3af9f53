import type { TenantInput } from './input.js';

/** The seed's expected plan mix, in percent. */
export const DEFAULT_PLAN_MIX: Readonly<Record<string, number>> = { basic: 60, pro: 30, enterprise: 10 };
/** Share of web tenants; the rest are mobile (the seed is mobile-first). */
export const DEFAULT_WEB_PERCENT = 30;

export interface PopulationOptions {
  count: number;
  /** Ids are `<prefix><n>`, n zero-padded to 6 digits (more when count needs it): t000001, t000002... */
  prefix?: string;
  planMix?: Readonly<Record<string, number>>;
  webPercent?: number;
}

/**
 * A deterministic population: same options, same tenants, in every process. Plans and channels are
 * interleaved by smooth weighted round-robin, so any prefix of the list keeps the mix (exact at multiples of 10).
 * The one generator of synthetic tenants: population files (`generate:`), the bench and the sharding suite use it.
 */
export function generatePopulation(opts: PopulationOptions): Array<Required<TenantInput>> {
  const { count, prefix = 't', planMix = DEFAULT_PLAN_MIX, webPercent = DEFAULT_WEB_PERCENT } = opts;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  if (webPercent < 0 || webPercent > 100) throw new RangeError(`webPercent must be 0-100, got ${webPercent}`);
  const width = Math.max(6, String(count).length);
  const plans = weightedRoundRobin(planMix, count);
  const channels = weightedRoundRobin({ mobile: 100 - webPercent, web: webPercent }, count);
  return plans.map((plan, i) => ({ id: `${prefix}${String(i + 1).padStart(width, '0')}`, plan, channel: channels[i] ?? 'mobile' }));
}

/**
 * Smooth weighted round-robin (as in nginx): each step every name gains its weight, the largest is
 * picked and pays the total back. Over any window of sum(weights) picks each name appears weight times.
 */
export function weightedRoundRobin(weights: Readonly<Record<string, number>>, n: number): string[] {
  const entries = Object.entries(weights).filter(([, w]) => w > 0);
  if (entries.some(([, w]) => !Number.isFinite(w))) throw new RangeError('weights must be finite');
  if (n > 0 && entries.length === 0) throw new RangeError('at least one weight must be positive');
  const total = entries.reduce((a, [, w]) => a + w, 0);
  const current = entries.map(() => 0);
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    let best = 0;
    entries.forEach(([, w], i) => {
      current[i] = (current[i] ?? 0) + w;
      if ((current[i] ?? 0) > (current[best] ?? 0)) best = i;
    });
    current[best] = (current[best] ?? 0) - total;
    out.push(entries[best]?.[0] ?? '');
  }
  return out;
}
