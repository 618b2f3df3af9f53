import { generatePopulation, validateTenantInputs } from '../../src/provision/index.js';
import type { Spec } from '../../src/spec/index.js';
import { buildTenantMeta, type TenantMeta } from '../../src/tenancy/index.js';

/**
 * `count` tenant meta configs, as `tenant create` would write them, for a placement check that needs many
 * tenants and no provisioning: provisioning's population generator (ids `<prefix>-000001`..., every plan
 * of the spec in turn, mobile and web alternating), validated and built by the product's own code.
 */
export function syntheticMetas(spec: Spec, prefix: string, count: number, createdAt = new Date()): TenantMeta[] {
  const planMix = Object.fromEntries(Object.keys(spec.plans).map((p) => [p, 1]));
  const requests = validateTenantInputs(spec, generatePopulation({ count, prefix: `${prefix}-`, planMix, webPercent: 50 }));
  return requests.map((r) => buildTenantMeta(spec, r.tenant, r.plan, r.channel ?? 'mobile', createdAt));
}
