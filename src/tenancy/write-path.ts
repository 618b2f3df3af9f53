import type { Cluster } from 'ioredis';
import type { ModuleName, TenantId } from './ids.js';
import type { Placement } from './placement.js';

/** The tenant-module a write belongs to: enough for a quota script to name its counter key in the same slot. */
export interface WriteScope {
  tenant: TenantId;
  module: ModuleName;
  placement: Placement;
  /** `cliente:<tenant>:<module>:{<tag>}:` — every key of the tenant-module, and nothing else, starts with it. */
  prefix: string;
  /** The plan's maxKeys, from the tenant's meta config: informational; the quota script enforces the limits key's. */
  maxKeys: number;
}

/** One validated write: the key is inside `scope.prefix`, the TTL came from the spec's tier. */
export interface PreparedWrite {
  key: string;
  payload: Buffer;
  ttlSeconds: number;
}

/**
 * How set() and del() reach Redis. TenantCache's default is quotaWriteStrategy (quota-strategy.ts: an EVALSHA
 * that counts the tenant-module's keys in its slot and refuses beyond maxKeys); under placement `none`, where
 * no script can count a tenant-module, it is `plainSet` (SETEX / DEL). A strategy may throw QuotaExceeded;
 * Redis errors it lets through are mapped by TenantCache (NOPERM → PermissionDenied). Keys reach it
 * validated, in `scope.prefix`.
 */
export interface WriteStrategy {
  readonly name: string;
  write(redis: Cluster, scope: WriteScope, write: PreparedWrite): Promise<void>;
  /** Delete keys of one slot, returning how many existed; absent → DEL. A quota strategy keeps its count exact here. */
  del?(redis: Cluster, scope: WriteScope, keys: readonly string[]): Promise<number>;
}

/** SETEX key ttl value in one command: a key never exists without its TTL (tenants are granted SETEX, not SET). */
export const plainSet: WriteStrategy = {
  name: 'set-ex',
  async write(redis, _scope, w) {
    await redis.setex(w.key, w.ttlSeconds, w.payload);
  },
};
