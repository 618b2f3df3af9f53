import type { Spec } from '../spec/index.js';
import { InvalidKey } from './errors.js';
import { parseDataType, type DataType, type ModuleName, type TenantId } from './ids.js';
import type { Placement } from './placement.js';

/** Every key of a tenant starts with this; its ACL user gets `~cliente:<id>:*`. */
export const TENANT_KEY_ROOT = 'cliente';
export const MAX_USER_KEY_LENGTH = 4096;

export function tenantPrefix(tenant: TenantId): string {
  return `${TENANT_KEY_ROOT}:${tenant}:`;
}

/**
 * `cliente:<tenant>:<module>:{<tag>}:` — the tag comes before any user-controlled part, so a `{` in a
 * user key cannot move the key's slot (Redis hashes the FIRST {...} only). `none` has no tag (seed layout).
 */
export function tenantModulePrefix(tenant: TenantId, module: ModuleName, placement: Placement): string {
  return placement.tag === null ? `${tenantPrefix(tenant)}${module}:` : `${tenantPrefix(tenant)}${module}:{${placement.tag}}:`;
}

/** `cliente:<tenant>:<module>:{<tag>}:<dataType>:<key>`; the user key may hold any character. */
export function buildDataKey(tenant: TenantId, module: ModuleName, placement: Placement, dataType: DataType, userKey: string): string {
  if (userKey.length === 0) throw new InvalidKey('the key must not be empty', 'user-key');
  if (userKey.length > MAX_USER_KEY_LENGTH)
    throw new InvalidKey(`the key is ${userKey.length} characters; at most ${MAX_USER_KEY_LENGTH}`, 'user-key');
  return `${tenantModulePrefix(tenant, module, placement)}${dataType}:${userKey}`;
}

/** Same, validating the data type against the spec first. */
export function buildKey(
  spec: Spec,
  tenant: TenantId,
  module: ModuleName,
  placement: Placement,
  dataType: string,
  userKey: string,
): string {
  return buildDataKey(tenant, module, placement, parseDataType(spec, module, dataType), userKey);
}

/** The tenant's meta config lives outside `cliente:<id>:*`, so the tenant's own ACL user cannot rewrite its plan. */
export const META_KEY_ROOT = 'tenant-meta';
export function metaKey(tenant: TenantId): string {
  return `${META_KEY_ROOT}:${tenant}`;
}

/**
 * The server-side quota limits of one tenant-module (maxKeys, TTL ceiling per data type; a hash written by
 * provisioning, src/tenancy/quota-limits.ts): `tenant-limits:<tenant>:<module>:{<tag>}`. Outside
 * `cliente:<id>:*`, so the tenant's read-write key pattern does not cover it (its ACL user gets
 * `%R~tenant-limits:<id>:*`: read-only), and in the tenant-module's slot (same `{tag}`, the key's only
 * brace: ids and modules never hold one), so the quota script can read it next to the zset.
 */
export const LIMITS_KEY_ROOT = 'tenant-limits';
export function limitsKeyOf(tenant: TenantId, module: ModuleName, placement: Placement): string {
  if (placement.tag === null)
    throw new InvalidKey(`placement ${placement.strategy} has no hash tag: quota limits need the tenant-module's slot`, 'quota-needs-tag');
  return `${LIMITS_KEY_ROOT}:${tenant}:${module}:{${placement.tag}}`;
}
/** Every limits key of a tenant starts with this (`tenant-limits:<id>:`). */
export function limitsPrefix(tenant: TenantId): string {
  return `${LIMITS_KEY_ROOT}:${tenant}:`;
}

/**
 * The exporter's latency probe key of a tenant-module (`cache-harness-probe:<tenant>:<module>:{<tag>}`): in the
 * tenant-module's slot (same `{tag}`), so the probe times the shard that serves the tenant, and outside
 * `cliente:<id>:*`, so the tenant cannot touch it and accounting never counts it as the tenant's. Only for a
 * placement with a tag (the meta's `placement.modules[m].tag`): under `none` a tenant-module has no one slot.
 */
export const PROBE_KEY_ROOT = 'cache-harness-probe';
export function probeKeyOf(tenant: TenantId, module: ModuleName, tag: string): string {
  return `${PROBE_KEY_ROOT}:${tenant}:${module}:{${tag}}`;
}

/** Escape glob metacharacters for SCAN MATCH (ids are validated anyway; defence in depth). */
export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
