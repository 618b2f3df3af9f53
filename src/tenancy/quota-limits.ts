import type { Spec } from '../spec/index.js';
import { CHANNELS, dataTypesOf, type DataType, type ModuleName } from './ids.js';
import { limitsKeyOf } from './keys.js';
import { modulePlacement, type TenantMeta } from './meta.js';
import type { QuotaClient } from './quota-script.js';
import { ttlSeconds } from './ttl.js';

/**
 * Server-side quota limits of one tenant-module: what the quota write script enforces, read from the
 * limits key (`tenant-limits:<t>:<m>:{<tag>}`, keys.ts), never from the caller's arguments. A hash:
 * `maxKeys` → the plan's maxKeys; `ttl:<dataType>` → the TTL ceiling in seconds of that data type (the
 * larger of its mobile and web TTL, so a client of either channel fits). Written by provisioning through
 * the admin (no TTL, like the meta key); the tenant's ACL user may read it (`%R~`) but not write it.
 */
export interface QuotaLimits {
  maxKeys: number;
  /** data type → TTL ceiling (seconds). A data type absent here cannot be written through the script. */
  ttlCeiling: Record<string, number>;
}

export const LIMITS_MAX_KEYS_FIELD = 'maxKeys';
export const LIMITS_TTL_FIELD_PREFIX = 'ttl:';

/** The limits of (module, maxKeys) from the spec: each data type's TTL ceiling over both channels. */
export function quotaLimitsFromSpec(spec: Spec, module: ModuleName, maxKeys: number): QuotaLimits {
  const ttlCeiling = Object.fromEntries(
    dataTypesOf(spec, module).map((dt) => [dt, Math.max(...CHANNELS.map((ch) => ttlSeconds(spec, module, dt as DataType, ch)))]),
  );
  return { maxKeys, ttlCeiling };
}

/** One limits key per module of the tenant's plan, from its meta config (maxKeys, placement) and the spec (TTLs). */
export function tenantQuotaLimits(spec: Spec, meta: TenantMeta): Array<{ module: ModuleName; key: string; limits: QuotaLimits }> {
  const out: Array<{ module: ModuleName; key: string; limits: QuotaLimits }> = [];
  for (const m of meta.modules) {
    const placement = modulePlacement(meta, m);
    if (placement.tag === null) continue; // placement none: no quota script can run, so no limits key
    const module = m as ModuleName; // modulePlacement checked it is one of the tenant's modules
    out.push({ module, key: limitsKeyOf(meta.tenant, module, placement), limits: quotaLimitsFromSpec(spec, module, meta.maxKeys) });
  }
  return out;
}

/** The hash fields of a limits key. */
export function limitsFields(limits: QuotaLimits): string[] {
  if (!Number.isSafeInteger(limits.maxKeys) || limits.maxKeys < 0) throw new Error(`maxKeys ${limits.maxKeys} must be an integer >= 0`);
  const fields = [LIMITS_MAX_KEYS_FIELD, String(limits.maxKeys)];
  for (const [dt, s] of Object.entries(limits.ttlCeiling)) {
    if (!Number.isSafeInteger(s) || s < 1) throw new Error(`TTL ceiling of ${dt} (${s}) must be a positive integer`);
    fields.push(`${LIMITS_TTL_FIELD_PREFIX}${dt}`, String(s));
  }
  return fields;
}

/** Replace a limits key atomically (DEL + HSET in one MULTI: one key, one slot). Admin credentials. */
export async function writeQuotaLimits(client: QuotaClient, key: string, limits: QuotaLimits): Promise<void> {
  const res = await client
    .multi()
    .del(key)
    .hset(key, ...limitsFields(limits))
    .exec();
  const failed = (res ?? []).find(([err]) => err);
  if (!res || failed) throw failed?.[0] ?? new Error(`writing ${key}: transaction aborted`);
}
