import { HarnessError } from '../errors.js';
import type { Spec } from '../spec/index.js';
import { aclUserName, parseModule, placeTenantModule, tenantMetaSchema, ttlTable, type Channel, type TenantId, type TenantMeta } from '../tenancy/index.js';
import type { PlanName } from './input.js';

/** The meta config of a tenant: plan limits, modules, TTL table and placement of each module, all from the spec. */
export function buildTenantMeta(spec: Spec, tenant: TenantId, plan: PlanName, channel: Channel, createdAt: Date): TenantMeta {
  const p = spec.plans[plan];
  if (!p) throw new Error(`plan ${plan} vanished from the spec`);
  const modules = p.modules.map((m) => parseModule(spec, m));
  return {
    version: 1,
    tenant,
    plan,
    modules,
    maxKeys: p.maxKeys,
    maxMemoryMB: p.maxMemoryMB,
    channel,
    ttl: Object.fromEntries(modules.map((m) => [m, ttlTable(spec, m, channel)])),
    placement: {
      strategy: spec.placement.strategy,
      modules: Object.fromEntries(modules.map((m) => {
        const pl = placeTenantModule(spec, tenant, m);
        return [m, { tag: pl.tag, slot: pl.slot }];
      })),
    },
    aclUser: aclUserName(tenant),
    createdAt: createdAt.toISOString(),
  };
}

/** A stored meta config, checked against the schema; a broken one is an error naming its key. */
export function parseStoredMeta(key: string, raw: string): TenantMeta {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw new HarnessError(`${key} does not hold JSON`, `inspect it with redis-cli GET ${key}; \`tenant remove\` deletes it`);
  }
  const res = tenantMetaSchema.safeParse(doc);
  if (!res.success) {
    throw new HarnessError(`${key} is not a valid tenant meta config: ${res.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return res.data;
}
