import type { Spec } from '../spec/index.js';
import { parseModule, parseTenantId, placeTenantModule, tenantModulePrefix, type ModuleName, type Placement, type TenantId } from '../tenancy/index.js';
import type { Workload } from './workload.js';

/** One synthetic tenant of the run and its plan. */
export interface BenchTenant {
  id: TenantId;
  plan: string;
  modules: ModuleName[];
}

/** One (tenant, module): where its keys go. */
export interface TenantModule {
  tenant: TenantId;
  plan: string;
  module: ModuleName;
  placement: Placement;
  /** `cliente:<tenant>:<module>:{<tag>}:` */
  prefix: string;
}

/** Prefix of every synthetic bench tenant id, so they can never be mistaken for real ones. */
export const BENCH_TENANT_PREFIX = 'bench-';

/**
 * Tenants per plan by the workload's shares (largest remainder, so the counts add up exactly),
 * named `bench-<plan>-<n>`, each with its plan's modules from the spec.
 */
export function buildPopulation(spec: Spec, w: Workload): BenchTenant[] {
  const plans = Object.entries(w.tenants.plans).filter(([, share]) => share > 0);
  const total = plans.reduce((a, [, s]) => a + s, 0);
  const exact = plans.map(([plan, share]) => ({ plan, n: (w.tenants.count * share) / total }));
  const counts = exact.map((e) => ({ plan: e.plan, n: Math.floor(e.n), rem: e.n - Math.floor(e.n) }));
  let left = w.tenants.count - counts.reduce((a, c) => a + c.n, 0);
  for (const c of [...counts].sort((a, b) => b.rem - a.rem)) {
    if (left <= 0) break;
    c.n++;
    left--;
  }
  return counts.flatMap(({ plan, n }) => {
    const planSpec = spec.plans[plan];
    if (!planSpec) throw new Error(`plan ${plan} is not in the spec`);
    const modules = planSpec.modules.map((m) => parseModule(spec, m));
    return Array.from({ length: n }, (_, i) => ({ id: parseTenantId(`${BENCH_TENANT_PREFIX}${plan}-${i}`), plan, modules }));
  });
}

/** Every (tenant, module) of the population, placed as the spec says. */
export function tenantModules(spec: Spec, tenants: readonly BenchTenant[]): TenantModule[] {
  return tenants.flatMap((t) => t.modules.map((module) => {
    const placement = placeTenantModule(spec, t.id, module);
    return { tenant: t.id, plan: t.plan, module, placement, prefix: tenantModulePrefix(t.id, module, placement) };
  }));
}
