import type { Spec } from '../spec/index.js';
import { NotProvisioned } from './errors.js';
import { parseModule, parseTenantId } from './ids.js';
import { tenantModulePrefix } from './keys.js';
import { tenantMetaSchema, type TenantMeta } from './meta.js';
import type { Placement } from './placement.js';
import { slotOf } from './slot-tags.js';
import type { WriteScope } from './write-path.js';

/**
 * The tenant-module a client may use, from the tenant's meta config (the provisioner passes it: the tenant's
 * own ACL user cannot read `tenant-meta:*`). The meta's placement is authoritative, so keys stay where
 * they were written even if the spec's strategy changes later. Throws InvalidKey / NotProvisioned.
 */
export function tenantScope(spec: Spec, rawMeta: unknown, tenant: string, module: string): { scope: WriteScope; meta: TenantMeta } {
  const id = parseTenantId(tenant);
  const mod = parseModule(spec, module);
  const parsed = tenantMetaSchema.safeParse(rawMeta);
  if (!parsed.success) throw new NotProvisioned(`tenant ${id}: meta config is missing or invalid (${parsed.error.issues[0]?.message ?? 'unknown'})`, 'meta');
  const meta: TenantMeta = parsed.data;
  if (meta.tenant !== id) throw new NotProvisioned(`meta config is for tenant ${JSON.stringify(meta.tenant)}, not ${id}`, 'meta');
  if (!meta.modules.includes(mod)) throw new NotProvisioned(`tenant ${id} (plan ${meta.plan}) is not provisioned for module ${mod}; its modules: ${meta.modules.join(', ')}`, 'module');
  const placement = placementOf(meta, mod);
  return { scope: { tenant: id, module: mod, placement, prefix: tenantModulePrefix(id, mod, placement), maxKeys: meta.maxKeys }, meta };
}

/** Tags are base-36 strings or tenant ids: never a brace, which would change what Redis hashes. */
const TAG_RULE = /^[A-Za-z0-9_-]{1,64}$/;

function placementOf(meta: TenantMeta, module: string): Placement {
  const p = meta.placement.modules[module];
  const strategy = meta.placement.strategy;
  if (!p) throw new NotProvisioned(`tenant ${meta.tenant}: meta config has no placement for module ${module}`, 'meta');
  if (strategy === 'none') {
    if (p.tag !== null) throw new NotProvisioned(`tenant ${meta.tenant}/${module}: placement "none" must have no tag, got ${JSON.stringify(p.tag)}`, 'meta');
    return { strategy, tag: null, slot: null };
  }
  // A tag that does not hash to the recorded slot would scatter keys: refuse rather than write them.
  if (p.tag === null || p.slot === null || !TAG_RULE.test(p.tag) || slotOf(`{${p.tag}}`) !== p.slot) {
    throw new NotProvisioned(`tenant ${meta.tenant}/${module}: placement tag ${JSON.stringify(p.tag)} does not hash to its recorded slot ${p.slot}`, 'meta');
  }
  return { strategy, tag: p.tag, slot: p.slot };
}
