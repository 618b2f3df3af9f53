import type { Spec } from '../../src/spec/index.js';
import { aclUserName, parseModule, parseTenantId, placeTenantModule, ttlTable, type Channel, type PlacementStrategy, type TenantMeta } from '../../src/tenancy/index.js';

/**
 * A tenant meta config as `tenant create` writes it (src/provision builds the same), for suites and tests
 * that need tenants without the provisioner. The strategy defaults to the spec's.
 */
export function syntheticMeta(spec: Spec, tenant: string, plan: string, channel: Channel = 'mobile', strategy: PlacementStrategy = spec.placement.strategy): TenantMeta {
  const id = parseTenantId(tenant);
  const p = spec.plans[plan];
  if (!p) throw new Error(`no plan ${plan} in the spec`);
  const modules = p.modules.map((m) => parseModule(spec, m));
  return {
    version: 1, tenant: id, plan, modules, maxKeys: p.maxKeys, maxMemoryMB: p.maxMemoryMB, channel,
    ttl: Object.fromEntries(modules.map((m) => [m, ttlTable(spec, m, channel)])),
    placement: {
      strategy,
      modules: Object.fromEntries(modules.map((m) => {
        const pl = placeTenantModule(spec, id, m, strategy);
        return [m, { tag: pl.tag, slot: pl.slot }];
      })),
    },
    aclUser: aclUserName(id), createdAt: new Date().toISOString(),
  };
}

/** `count` tenants `<prefix>-<i>` cycling through the spec's plans. */
export function syntheticMetas(spec: Spec, prefix: string, count: number): TenantMeta[] {
  const plans = Object.keys(spec.plans);
  return Array.from({ length: count }, (_, i) => syntheticMeta(spec, `${prefix}-${i}`, plans[i % plans.length] ?? 'basic', i % 2 ? 'web' : 'mobile'));
}
