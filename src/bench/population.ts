import { generatePopulation } from '../provision/population.js';
import type { Spec } from '../spec/index.js';
import {
  parseModule,
  parseTenantId,
  placeTenantModule,
  tenantModulePrefix,
  type ModuleName,
  type Placement,
  type TenantId,
} from '../tenancy/index.js';
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
 * The run's tenants: provisioning's population generator (`bench-000001`, ...; plans interleaved by the
 * workload's shares, so counts are within one of exact), each with its plan's modules from the spec.
 * Channels are the op table's business, not the tenant's: the generator is asked for mobile tenants only.
 */
export function buildPopulation(spec: Spec, w: Workload): BenchTenant[] {
  return generatePopulation({ count: w.tenants.count, prefix: BENCH_TENANT_PREFIX, planMix: w.tenants.plans, webPercent: 0 }).map((t) => {
    const planSpec = spec.plans[t.plan];
    if (!planSpec) throw new Error(`plan ${t.plan} is not in the spec`);
    return { id: parseTenantId(t.id), plan: t.plan, modules: planSpec.modules.map((m) => parseModule(spec, m)) };
  });
}

/** Every (tenant, module) of the population, placed as the spec says. */
export function tenantModules(spec: Spec, tenants: readonly BenchTenant[]): TenantModule[] {
  return tenants.flatMap((t) =>
    t.modules.map((module) => {
      const placement = placeTenantModule(spec, t.id, module);
      return { tenant: t.id, plan: t.plan, module, placement, prefix: tenantModulePrefix(t.id, module, placement) };
    }),
  );
}
