import { perfSchema, type PerfSettings, type Spec } from '../spec/index.js';

export type { PerfSettings };

/** The perf settings of a spec with no perf section: the schema's defaults (the schema lives with the spec's). */
export const PERF_DEFAULTS: Readonly<PerfSettings> = perfSchema.parse({});

/** `spec.perf`, or the defaults (a fresh copy, the caller's to change) when the spec has no perf section. */
export function perfSettings(spec: Spec): PerfSettings {
  return spec.perf ?? perfSchema.parse({});
}

/** "30s", "500ms", "2m", or a bare number of seconds → ms. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s.trim());
  if (!m) throw new RangeError(`"${s}" is not a duration (e.g. 30s, 500ms, 2m)`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}
