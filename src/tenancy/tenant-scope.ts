import type { Spec } from '../spec/index.js';
import { NotProvisioned } from './errors.js';
import { parseModule, parseTenantId } from './ids.js';
import { tenantModulePrefix } from './keys.js';
import { modulePlacement, parseTenantMeta, type TenantMeta } from './meta.js';
import type { WriteScope } from './write-path.js';

/**
 * The tenant-module a client may use, from the tenant's meta config (the provisioner passes it: the tenant's
 * own ACL user cannot read `tenant-meta:*`). The meta's placement is authoritative, so keys stay where
 * they were written even if the spec's strategy changes later. Throws InvalidKey / NotProvisioned.
 */
export function tenantScope(spec: Spec, rawMeta: unknown, tenant: string, module: string): { scope: WriteScope; meta: TenantMeta } {
  const id = parseTenantId(tenant);
  const mod = parseModule(spec, module);
  const meta = parseTenantMeta(rawMeta, `tenant ${id}'s meta config`);
  if (meta.tenant !== id) throw new NotProvisioned(`meta config is for tenant ${JSON.stringify(meta.tenant)}, not ${id}`, 'meta');
  const placement = modulePlacement(meta, mod);
  return { scope: { tenant: id, module: mod, placement, prefix: tenantModulePrefix(id, mod, placement), maxKeys: meta.maxKeys }, meta };
}
