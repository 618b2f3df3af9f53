import type { BenchResult } from '../report/perf-schema.js';

/** A configuration field that differs between the baseline's and the current run's bench. */
export interface ConfigDifference {
  bench: string;
  field: string;
  baseline: string;
  current: string;
}

/**
 * What must match for two runs to be compared: the offered load (mode, target rate or in-flight bound, driver),
 * the workload (profile, and each recorded workload field: value sizes, op mix, channel shares, keys, tenants),
 * the topology (masters) and the kind of bench. Seed, duration, warm-up and worker count may differ (the samples
 * are per second). A document written before workload fields were recorded is judged by its profile name only.
 */
const FIELDS: ReadonlyArray<readonly [string, (b: BenchResult) => string | number | undefined]> = [
  ['kind', (b) => b.kind],
  ['mode', (b) => b.mode],
  ['profile', (b) => b.profile],
  ['driver', (b) => b.driver],
  ['config.target_rate', (b) => b.config.target_rate],
  ['config.inflight', (b) => b.config.inflight],
  ['config.masters', (b) => b.config.masters],
  ['config.connections_per_node', (b) => b.config.connections_per_node],
];

/** The workload fields both documents record (none when either predates them). */
function workloadFieldsOf(baseline: BenchResult, current: BenchResult): typeof FIELDS {
  const wb = baseline.workload;
  const wc = current.workload;
  if (!wb || !wc) return [];
  const paths = [...new Set([...Object.keys(wb), ...Object.keys(wc)])].sort();
  return paths.map((path) => [`workload.${path}`, (b: BenchResult) => b.workload?.[path]?.toString()] as const);
}

export function configDifferences(baseline: BenchResult, current: BenchResult): ConfigDifference[] {
  const show = (v: string | number | undefined) => (v === undefined ? '(none)' : String(v));
  return [...FIELDS, ...workloadFieldsOf(baseline, current)]
    .filter(([, f]) => f(baseline) !== f(current))
    .map(([field, f]) => ({
      bench: current.name,
      field,
      baseline: show(f(baseline)),
      current: show(f(current)),
    }));
}
