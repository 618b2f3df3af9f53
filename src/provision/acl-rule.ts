import {
  aclUserName,
  escapeGlob,
  limitsPrefix,
  QUOTA_ACL_GRANTS,
  QUOTA_ZSET_GRANTS,
  tenantPrefix,
  tenantQuotaKeys,
  type TenantId,
  type TenantMeta,
} from '../tenancy/index.js';

/**
 * The data commands TenantCache sends. SETEX, not SET: every key a tenant writes has a TTL, so
 * `maxmemory-policy volatile-*` can evict it (a tenant writing keys without a TTL would make every other
 * tenant's keys the only candidates: docs/decisions.md, Eviction). EXPIRE/PEXPIRE can change a TTL but never
 * remove it (a non-positive TTL deletes the key); PERSIST, GETEX, SET, SETNX, MSET and every other
 * TTL-less write stay denied by `-@all`.
 */
const DATA_COMMANDS = ['get', 'setex', 'del', 'unlink', 'exists', 'expire', 'pexpire', 'ttl', 'pttl', 'mget'];
/**
 * What ioredis Cluster needs to connect: cluster|slots, cluster|info (the Cluster's own ready check), readonly
 * for replica reads, ping. Not INFO (total keyspace, commandstats, config path): tenant clients turn off
 * ioredis's per-node ready check (`enableReadyCheck: false`), the only thing that sends it.
 * And client|setname: TenantCache names each connection `<tenant>:<module>:<channel>`, so the server's CLIENT
 * LIST tells whose it is and its channel. Only that subcommand: CLIENT LIST/INFO would show every tenant's
 * connections, CLIENT KILL/PAUSE/NO-EVICT would reach beyond the tenant's own.
 */
const CLUSTER_CLIENT_COMMANDS = ['cluster|slots', 'cluster|info', 'readonly', 'ping', 'client|setname'];

/**
 * What a tenant may run on all its keys: the data commands, EVALSHA and what the quota scripts call besides
 * the zset commands (scripts run with the caller's ACL; the list is tenancy's QUOTA_ACL_GRANTS, EVAL itself
 * stays denied), and the cluster client's needs. The zset commands (QUOTA_ZSET_GRANTS) are granted only in
 * `quotaSelector`, on the quota zsets.
 * Everything else stays denied by `-@all`: ACL key patterns do not filter keyless commands, so
 * KEYS, SCAN, RANDOMKEY, FLUSHALL, FLUSHDB, SWAPDB, CONFIG, DEBUG, MONITOR, ACL, SCRIPT, EVAL... must
 * simply not be granted (SCAN would list other tenants' key names).
 */
export const TENANT_COMMANDS: readonly string[] = [
  ...new Set([...DATA_COMMANDS, ...QUOTA_ACL_GRANTS.map((g) => g.slice(1)), ...CLUSTER_CLIENT_COMMANDS]),
];

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** `~cliente:<id>:*`. Ids are validated (no glob characters); escaping is defence in depth. */
export function tenantKeyPattern(tenant: TenantId): string {
  return `~${escapeGlob(tenantPrefix(tenant))}*`;
}

/**
 * `%R~tenant-limits:<id>:*`: the tenant's quota limits keys, READ-only (the quota script reads maxKeys and
 * TTL ceilings there; only the admin writes them). Key permissions are a union over patterns, and
 * `~cliente:<id>:*` does not match `tenant-limits:...`, so nothing grants the tenant a write there.
 */
export function tenantLimitsPattern(tenant: TenantId): string {
  return `%R~${escapeGlob(limitsPrefix(tenant))}*`;
}

/**
 * The ACL selector granting the quota zset commands on the tenant's quota zsets only, named exactly
 * (`(~cliente:<id>:crm:{<tag>}:__quota ~... +zrange ...)`, from `tenantQuotaKeys`). Not a pattern: a glob `*`
 * also matches `:`, so `~cliente:<id>:*:__quota` would let the tenant ZADD into, i.e. create, a key without a
 * TTL under any name ending in `:__quota`. What remains is ZADD into its real quota zsets (docs/quota.md,
 * Tampering): the admin-side accounting watches their size. Null when the tenant has no quota zset.
 */
export function quotaSelector(meta: TenantMeta): string | null {
  const keys = tenantQuotaKeys(meta);
  if (keys.length === 0) return null;
  return `(${[...keys.map((k) => `~${escapeGlob(k)}`), ...QUOTA_ZSET_GRANTS].join(' ')})`;
}

/**
 * Arguments after `ACL` for the tenant's user. The password goes as `#<sha256>`, so Redis (and
 * ACL SAVE's file) only ever holds the hash. `reset` first (it also clears selectors): re-applying gives the
 * same user. The rule depends on the meta (its modules' quota zsets); the quota selector comes last, as one argument.
 */
export function aclSetUserArgs(meta: TenantMeta, passwordSha256: string): string[] {
  if (!SHA256_HEX.test(passwordSha256)) throw new Error('the password hash must be 64 lower-case hex digits (SHA-256)');
  const tenant = meta.tenant;
  const selector = quotaSelector(meta);
  return [
    'SETUSER',
    aclUserName(tenant),
    'reset',
    'on',
    `#${passwordSha256}`,
    tenantKeyPattern(tenant),
    tenantLimitsPattern(tenant),
    'resetchannels',
    '-@all',
    ...TENANT_COMMANDS.map((c) => `+${c}`),
    ...(selector === null ? [] : [selector]),
  ];
}

/** The whole command as one line, for logs and docs. */
export function aclSetUserCommand(meta: TenantMeta, passwordSha256: string): string {
  return ['ACL', ...aclSetUserArgs(meta, passwordSha256)].join(' ');
}
