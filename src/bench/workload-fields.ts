import type { Workload } from './workload.js';

/**
 * What of a workload shapes its latencies, as flat `path: value` fields (value sizes, op mix, channel shares,
 * keys, tenants, modules), so `compare` can name the field two runs differ in. The seed, prefill and cleanup
 * are left out: they change which keys are drawn, not the load.
 */
export type WorkloadFields = Record<string, string | number | boolean>;

const LEFT_OUT = new Set(['name', 'seed', 'prefill', 'cleanup']);

/** An array of `{ bytes, weight }`-like items as one readable value: "256×0.5, 1024×0.4". */
function listValue(xs: readonly unknown[]): string {
  return xs.map((x) => (x !== null && typeof x === 'object' ? Object.values(x).map(String).join('×') : String(x))).join(', ');
}

function flatten(value: unknown, path: string, out: WorkloadFields): void {
  if (Array.isArray(value)) out[path] = listValue(value);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value).sort(([a], [b]) => a.localeCompare(b))) flatten(v, path ? `${path}.${k}` : k, out);
  } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[path] = value;
}

export function workloadFields(w: Workload): WorkloadFields {
  const out: WorkloadFields = {};
  flatten(Object.fromEntries(Object.entries(w).filter(([k]) => !LEFT_OUT.has(k))), '', out);
  return out;
}
