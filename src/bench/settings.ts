import { perfSchema, type PerfSettings, type Spec } from '../spec/index.js';

export type { PerfSettings };

/** `spec.perf`, or its defaults when the spec has no perf section (the schema lives with the spec's). */
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
