import { z } from 'zod';
import type { Spec } from '../spec/index.js';

/** The spec's `perf:` section (proposed): the rate and length of the perf suite's runs. */
export const perfSettingsSchema = z.strictObject({
  rate: z.number().positive().default(2000),
  durationSeconds: z.number().positive().default(5),
  warmupSeconds: z.number().nonnegative().default(1),
});
export type PerfSettings = z.output<typeof perfSettingsSchema>;

/** `spec.perf`, or the defaults when the spec has no perf section. */
export function perfSettings(spec: Spec): PerfSettings {
  return perfSettingsSchema.parse(spec.perf ?? {});
}

/** "30s", "500ms", "2m", or a bare number of seconds → ms. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s.trim());
  if (!m) throw new RangeError(`"${s}" is not a duration (e.g. 30s, 500ms, 2m)`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}
