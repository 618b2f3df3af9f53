import { quotaDelMany, quotaKeyOf, quotaKeysFor, quotaSet } from './quota-script.js';
import type { WriteStrategy } from './write-path.js';

/**
 * TenantCache's write path with the plan's maxKeys enforced (docs/quota.md): set() runs the quota
 * script (QuotaExceeded beyond maxKeys, nothing written; maxKeys and the TTL ceiling are read by the script from
 * the tenant-module's limits key, which provisioning writes), del() removes keys and their quota members in
 * one script per slot, so the count stays exact. TenantCache's default writer (except under placement `none`).
 * The tenant's ACL user needs QUOTA_ACL_GRANTS and QUOTA_ZSET_GRANTS (provision/acl-rule.ts grants both), and an admin must have run `loadQuotaScripts` on the
 * cluster (tenants are not granted EVAL).
 */
export const quotaWriteStrategy: WriteStrategy = {
  name: 'quota-evalsha',
  async write(redis, scope, w) {
    await quotaSet(redis, quotaKeysFor(scope.tenant, scope.module, scope.placement, w.key), w.payload, w.ttlSeconds);
  },
  async del(redis, scope, keys) {
    return quotaDelMany(redis, quotaKeyOf(scope.tenant, scope.module, scope.placement), keys);
  },
};
