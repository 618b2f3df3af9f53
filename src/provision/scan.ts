import { escapeGlob, META_KEY_ROOT, tenantPrefix, type TenantId } from '../tenancy/index.js';

// SCAN MATCH patterns for tenant keys; the SCAN itself is src/cluster/scan.ts.

/** `cliente:<id>:*`, glob-escaped: removing `1` matches `cliente:1:...` and never `cliente:10:...`. */
export function tenantKeysMatch(tenant: TenantId): string {
  return `${escapeGlob(tenantPrefix(tenant))}*`;
}

/** Every meta config key: `tenant-meta:*`. */
export const META_KEYS_MATCH = `${escapeGlob(`${META_KEY_ROOT}:`)}*`;
