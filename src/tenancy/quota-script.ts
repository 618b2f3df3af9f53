import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { InvalidKey, NotProvisioned, PermissionDenied, QuotaExceeded, TenancyError } from './errors.js';
import type { ModuleName, TenantId } from './ids.js';
import { limitsKeyOf, LIMITS_KEY_ROOT, TENANT_KEY_ROOT, tenantModulePrefix } from './keys.js';
import type { Placement } from './placement.js';
import { LIMITS_MAX_KEYS_FIELD, LIMITS_TTL_FIELD_PREFIX } from './quota-limits.js';

/**
 * Per tenant-module `maxKeys`, enforced atomically in the tenant-module's slot (docs/quota.md).
 *
 * Bookkeeping: one sorted set per tenant-module, `cliente:<t>:<m>:{<tag>}:__quota` (the tenant-module
 * prefix + `__quota`), so it shares the slot of every data key of that tenant-module and lies under
 * `cliente:<t>:*`, the tenant's ACL key pattern. member = the data key without that prefix
 * (`<dataType>:<userKey>`), score = the data key's absolute expiry in ms, read back with PEXPIRETIME
 * right after the SETEX, so it is the key's own expiry, not a client's guess.
 *
 * The name cannot collide with a data key: data keys are `<prefix><dataType>:<key>`, data types start
 * with a letter and are followed by `:`; `__quota` has neither.
 *
 * Limits are the server's: maxKeys and each data type's TTL ceiling live in the tenant-module's limits key
 * (`tenant-limits:<t>:<m>:{<tag>}`, same slot, written by provisioning, read-only for the tenant:
 * quota-limits.ts). The caller cannot raise them: the script takes no maxKeys argument, and a TTL above
 * the ceiling is refused. No limits key → NOLIMITS, nothing written.
 *
 * Bounded work: every tenant-callable script refuses more than QUOTA_MAX_KEYS_PER_CALL data keys before
 * doing anything else, and a write prunes at most QUOTA_PRUNE_PER_WRITE expired members (the count is
 * ZCOUNT of live members, O(log n), so unpruned expired members never count). Reconcile is admin-only and
 * bounded per call too. ACL cannot deny EVALSHA of one sha, so each script checks its own bounds/caller.
 *
 * Each write (one Lua script, so atomic in the slot):
 *   1. read maxKeys and the data type's TTL ceiling (HMGET on the limits key); refuse a TTL above it.
 *   2. `now` = `TIME` in ms; drop up to QUOTA_PRUNE_PER_WRITE members with score < now (Redis treats a key
 *      as expired when now > expiry).
 *   3. member present and live → an overwrite: always allowed, never counted twice.
 *      otherwise, `ZCOUNT zset now +inf >= maxKeys` → error `QUOTA n/max`, NOTHING written (the prune aside).
 *   4. `SETEX key ttl value`, then `ZADD zset PEXPIRETIME(key) member`.
 * Deletes go through the delete script (`ZREM` + `DEL`), so the count is exact through TTL expiry and
 * deletes. Keys removed behind the scripts' back (a plain DEL, eviction under volatile-*) leave a member
 * that is counted until its expiry: the count is then conservative (never lets a tenant go over), and
 * `quotaReconcile` drops such members.
 *
 * `TIME` before writes: Redis 7 replicates scripts by their effects only (verbatim script replication is
 * gone), so non-deterministic commands are allowed before writes; replicas receive the ZADD with the
 * score the master computed (verified in tests/integration/quota.test.ts).
 *
 * ACL: commands a script calls are checked against the CALLER's ACL. The script checks the write commands
 * up front with `redis.acl_check_cmd`, so a tenant user missing a grant gets an error and nothing is
 * written (a script does not roll back writes made before an error). The grants a tenant needs are in
 * `QUOTA_ACL_GRANTS` (root) and `QUOTA_ZSET_GRANTS` (a selector on the quota zsets only). Writes use SETEX:
 * tenants are granted `+setex`, not `+set`, so no tenant write creates a key without a TTL. The bookkeeping
 * zset is under the tenant's own key pattern, so a tenant holding raw `+setex`/`+zrem` could bypass or
 * rewrite it: the quota binds clients that write through these scripts
 * (TenantCache), it is not a defence against a tenant with raw access. Redis ACLs cannot allow a command
 * inside a script only.
 *
 * The zset has no TTL on purpose: with `maxmemory-policy volatile-*` a key with a TTL may be evicted, and
 * an evicted zset would reset the count to 0. Members of a tenant-module that stops writing stay until
 * its next write prunes them (or `quotaCount`/`quotaReconcile` run); an empty zset disappears by itself.
 *
 * Memory cost (Redis 7.0.15, MEMORY USAGE ... SAMPLES 0, `npm run bench:quota`; docs/quota.md):
 * with 17-byte members, 31 B per member up to `zset-max-listpack-entries` (256 in the spec, listpack);
 * above it a skiplist + dict: 118.5 B per member at 1,000 members, 122.5 B at 10,000. A data key with a
 * 40-byte name and a 64-byte value is 184 B, so the quota adds about two thirds of a small key's memory.
 * Server time: ~20 µs per quota write vs ~2 µs for a plain SET EX (INFO commandstats, same run).
 */

/** Suffix of the bookkeeping key after the tenant-module prefix. */
export const QUOTA_KEY_SUFFIX = '__quota';

/**
 * Commands (beyond the ioredis cluster basics) a tenant ACL user needs to write through the quota scripts:
 * EVALSHA plus every command the scripts call. Deliberately NOT `+eval`: EVAL would let a tenant run any
 * Lua, e.g. a loop that blocks the shard for every tenant on it until `busy-reply-threshold`. So the
 * scripts are loaded by an admin (`loadQuotaScripts`, on every node) and a tenant only runs them by sha.
 */
export const QUOTA_ACL_GRANTS = ['+evalsha', '+time', '+hmget', '+setex', '+del', '+pexpiretime'] as const;

/**
 * The quota zset commands the scripts call. Granted ONLY in an ACL selector whose key pattern is the
 * tenant's quota zsets, each named exactly (`tenantQuotaKeys`, provision/acl-rule.ts), never at the root: a ZADD on a
 * data key would create a key without a TTL, which `volatile-*` eviction never picks (docs/decisions.md,
 * Eviction). Selectors apply inside scripts and to `redis.acl_check_cmd` (the caller's ACL).
 */
export const QUOTA_ZSET_GRANTS = ['+zrange', '+zscore', '+zcount', '+zadd', '+zrem'] as const;

/** The keys every quota write touches; all in the tenant-module's slot. */
export interface QuotaKeys {
  quotaKey: string;
  /** `tenant-limits:<t>:<m>:{<tag>}`: maxKeys and TTL ceilings (quota-limits.ts). The script derives it from quotaKey; not sent. */
  limitsKey: string;
  dataKey: string;
}

/** What a successful quota write did. */
export interface QuotaSetResult {
  /** true: a new key (counted); false: an overwrite of a key already counted. */
  created: boolean;
  /** Live keys of the tenant-module after the write. */
  count: number;
}

/** ioredis Cluster (tenant or admin) or a plain connection to the master of the slot. */
export type QuotaClient = Cluster | Redis;

/** `cliente:<t>:<m>:{<tag>}:__quota`. The quota needs a hash tag: with placement `none` a tenant-module spans every slot. */
export function quotaKeyOf(tenant: TenantId, module: ModuleName, placement: Placement): string {
  if (placement.tag === null) {
    throw new InvalidKey(
      `placement ${placement.strategy} has no hash tag: a tenant-module's keys span many slots, so no script can count them atomically`,
      'quota-needs-tag',
    );
  }
  return `${tenantModulePrefix(tenant, module, placement)}${QUOTA_KEY_SUFFIX}`;
}

/** The quota key for a data key built with `buildDataKey` for the same tenant-module; rejects a key from elsewhere. */
export function quotaKeysFor(tenant: TenantId, module: ModuleName, placement: Placement, dataKey: string): QuotaKeys {
  const quotaKey = quotaKeyOf(tenant, module, placement);
  const prefix = quotaKey.slice(0, -QUOTA_KEY_SUFFIX.length);
  if (!dataKey.startsWith(prefix) || dataKey.length === prefix.length) {
    throw new InvalidKey(`key ${JSON.stringify(dataKey)} is not a data key of ${prefix}*`, 'quota-key-prefix');
  }
  return { quotaKey, limitsKey: limitsKeyOf(tenant, module, placement), dataKey };
}

/** True for the bookkeeping zset's name (`cliente:<t>:<m>:{<tag>}:__quota`), false for every data key. */
export function isQuotaKey(key: string): boolean {
  if (!key.endsWith(`:${QUOTA_KEY_SUFFIX}`)) return false;
  const parts = key.split(':');
  // cliente:<t>:<m>:{<tag>}:__quota (5 parts) or, without a tag, cliente:<t>:<m>:__quota (4 parts).
  if (parts.length === 4) return true;
  return parts.length === 5 && /^\{[^{}]*\}$/.test(parts[3] ?? '');
}

/**
 * Most keys one tenant-callable script call may name (data keys, besides the zset and the limits key).
 * Checked by the script before any other work, so no call a tenant can make walks more than this: the
 * node blocks for about a millisecond at most, not seconds (figures in docs/quota.md). Clients split
 * bigger batches (quotaDelMany, quotaReconcile).
 */
export const QUOTA_MAX_KEYS_PER_CALL = 1000;
/** Expired members one write prunes, at most (the count reads live members with ZCOUNT, so pruning is housekeeping only). */
export const QUOTA_PRUNE_PER_WRITE = 100;

// Shared Lua preamble: checks KEYS[1] is a quota zset `cliente:<t>:<m>:{<tag>}:__quota` and defines `t`, `m`,
// `tag`, `prefix` (the tenant-module prefix). Ids, modules and tags never hold ':', '{' or '}'.
const ZSET_CHECK = `
local zkey = KEYS[1]
local t, m, tag = string.match(zkey, '^${TENANT_KEY_ROOT}:([%w_%-]+):([%w_%-]+):{([%w_%-]+)}:${QUOTA_KEY_SUFFIX}$')
if not t then return redis.error_reply('BADKEY ' .. zkey .. ' is not a quota key') end
local prefix = string.sub(zkey, 1, #zkey - ${QUOTA_KEY_SUFFIX.length})
`;
// Lua 5.1 prints numbers with %.14g: exact for ms timestamps until year 5138.
const NOW = `
local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
`;
/** Refuse a call naming more than `QUOTA_MAX_KEYS_PER_CALL` data keys after `fixed` leading keys, before anything else. */
const keyBound = (fixed: number, name: string) => `
if #KEYS > ${fixed + QUOTA_MAX_KEYS_PER_CALL} then
  return redis.error_reply('TOOMANY ${name} takes at most ${QUOTA_MAX_KEYS_PER_CALL} data keys per call, got ' .. (#KEYS - ${fixed}))
end
`;
/** Drop at most `n` expired members (score < now): bounded, whatever the zset holds. */
const prune = (n: number) => `
local old = redis.call('ZRANGE', zkey, '-inf', '(' .. now, 'BYSCORE', 'LIMIT', 0, ${n})
if #old > 0 then redis.call('ZREM', zkey, unpack(old)) end
`;

/**
 * KEYS: quota zset, data key. ARGV: value, ttl seconds. Returns {created 0|1, count}.
 * maxKeys and the data type's TTL ceiling come from the limits key (written by provisioning, read-only
 * for the tenant); a missing limits key refuses the write (NOLIMITS). The script derives the limits key's
 * name from the zset's and does NOT declare it in KEYS: EVALSHA's key spec is read-write, so a declared key
 * the caller may only read (`%R~`) fails the whole call with NOPERM. Reading an undeclared key is allowed
 * because it hashes to the declared keys' slot (same `{tag}`), and the HMGET inside is checked against
 * the caller's ACL as a read.
 */
export const QUOTA_SET_LUA = `#!lua
if #KEYS ~= 2 or #ARGV ~= 2 then
  return redis.error_reply('TOOMANY quota-set takes 2 keys (zset, data key) and 2 arguments (value, ttl)')
end
${ZSET_CHECK}
local dkey = KEYS[2]
local lkey = '${LIMITS_KEY_ROOT}:' .. t .. ':' .. m .. ':{' .. tag .. '}'
if #dkey <= #prefix or string.sub(dkey, 1, #prefix) ~= prefix then
  return redis.error_reply('BADKEY ' .. dkey .. ' is not under ' .. prefix)
end
local member = string.sub(dkey, #prefix + 1)
local dtype = string.match(member, '^([%w_%-]+):')
if not dtype then return redis.error_reply('BADKEY ' .. dkey .. ' is not a data key') end
local lim = redis.call('HMGET', lkey, '${LIMITS_MAX_KEYS_FIELD}', '${LIMITS_TTL_FIELD_PREFIX}' .. dtype)
local max, ceil = tonumber(lim[1]), tonumber(lim[2])
if not max then
  return redis.error_reply('NOLIMITS ' .. lkey .. ' holds no quota limits: the tenant-module is not provisioned')
end
if not ceil then return redis.error_reply('BADARG data type ' .. dtype .. ' has no TTL ceiling in ' .. lkey) end
local ttl = tonumber(ARGV[2])
if not ttl or ttl < 1 or ttl ~= math.floor(ttl) then return redis.error_reply('BADARG ttl must be a positive integer') end
if ttl > ceil then
  return redis.error_reply('BADARG ttl ' .. ARGV[2] .. ' s is above the ' .. dtype .. ' ceiling of ' .. lim[2] .. ' s in ' .. lkey)
end
if not (redis.acl_check_cmd('ZRANGE', zkey, '0', '1') and redis.acl_check_cmd('ZREM', zkey, member)
    and redis.acl_check_cmd('SETEX', dkey, ARGV[2], ARGV[1])
    and redis.acl_check_cmd('PEXPIRETIME', dkey) and redis.acl_check_cmd('ZADD', zkey, '0', member)) then
  return redis.error_reply('NOPERM the user may not run the quota write (needs ZRANGE, ZREM, SETEX, PEXPIRETIME, ZADD on ' .. zkey .. ')')
end
${NOW}
${prune(QUOTA_PRUNE_PER_WRITE)}
local created = 0
local score = redis.call('ZSCORE', zkey, member)
if not score or tonumber(score) < now then
  local n = redis.call('ZCOUNT', zkey, now, '+inf')
  if n >= max then return redis.error_reply('QUOTA ' .. n .. '/' .. max .. ' keys in ' .. zkey) end
  created = 1
end
redis.call('SETEX', dkey, ttl, ARGV[1])
redis.call('ZADD', zkey, redis.call('PEXPIRETIME', dkey), member)
return {created, redis.call('ZCOUNT', zkey, now, '+inf')}
`;

/** KEYS: quota zset, then 1 to QUOTA_MAX_KEYS_PER_CALL data keys of its tenant-module. Deletes them and their members; returns how many keys existed. */
export const QUOTA_DEL_LUA = `#!lua
${keyBound(1, 'quota-del')}
if #KEYS < 2 or #ARGV ~= 0 then return redis.error_reply('BADARG quota-del takes the zset and 1+ data keys, no arguments') end
${ZSET_CHECK}
for i = 2, #KEYS do
  local k = KEYS[i]
  if #k <= #prefix or string.sub(k, 1, #prefix) ~= prefix then
    return redis.error_reply('BADKEY ' .. k .. ' is not under ' .. prefix)
  end
  if not (redis.acl_check_cmd('ZREM', zkey, string.sub(k, #prefix + 1)) and redis.acl_check_cmd('DEL', k)) then
    return redis.error_reply('NOPERM the user may not run the quota delete (needs ZREM, DEL on ' .. zkey .. ')')
  end
end
local deleted = 0
for i = 2, #KEYS do
  redis.call('ZREM', zkey, string.sub(KEYS[i], #prefix + 1))
  deleted = deleted + redis.call('DEL', KEYS[i])
end
return deleted
`;

/** KEYS: quota zset. Live (unexpired) keys counted, without writing. */
export const QUOTA_COUNT_LUA = `#!lua flags=no-writes
if #KEYS ~= 1 then return redis.error_reply('TOOMANY quota-count takes the zset only') end
${ZSET_CHECK}
${NOW}
return redis.call('ZCOUNT', zkey, now, '+inf')
`;

/**
 * Admin only: refused (NOPERM) to a caller without ZSCAN, which no tenant is granted. ACL cannot deny
 * EVALSHA of one sha, so the script checks its caller itself. KEYS: quota zset, then up to
 * QUOTA_MAX_KEYS_PER_CALL data keys whose members to check. Drops at most QUOTA_MAX_KEYS_PER_CALL expired
 * members, and the members of the given keys that no longer exist. Returns members removed.
 */
export const QUOTA_RECONCILE_LUA = `#!lua
${keyBound(1, 'quota-reconcile')}
${ZSET_CHECK}
if not redis.acl_check_cmd('ZSCAN', zkey, '0') then
  return redis.error_reply('NOPERM quota-reconcile is an admin operation (the caller needs ZSCAN)')
end
${NOW}
${prune(QUOTA_MAX_KEYS_PER_CALL)}
local removed = #old
for i = 2, #KEYS do
  local k = KEYS[i]
  if #k > #prefix and string.sub(k, 1, #prefix) == prefix and redis.call('EXISTS', k) == 0 then
    removed = removed + redis.call('ZREM', zkey, string.sub(k, #prefix + 1))
  end
end
return removed
`;

interface Script {
  name: string;
  lua: string;
  sha: string;
}

function script(name: string, lua: string): Script {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

export const QUOTA_SCRIPTS = {
  set: script('quota-set', QUOTA_SET_LUA),
  del: script('quota-del', QUOTA_DEL_LUA),
  count: script('quota-count', QUOTA_COUNT_LUA),
  reconcile: script('quota-reconcile', QUOTA_RECONCILE_LUA),
} as const;

function isCluster(client: QuotaClient): client is Cluster {
  return 'isCluster' in client && client.isCluster === true;
}

/**
 * SCRIPT LOAD every quota script (admin, once at start and after a node restarts). The script cache is per
 * node, not replicated and not persisted, and a replica promoted by a failover must already hold the
 * scripts a tenant calls by sha: so load them on EVERY node, replicas included. Pass the admin
 * connections of every node (e.g. provision's `AdminSession.nodes`); given a Cluster client, only the
 * nodes it knows are loaded, and Redis 7.0's CLUSTER SLOTS leaves out replicas whose replication offset
 * is still 0 (a fresh cluster), so a Cluster client may know the masters only.
 * Later calls use EVALSHA; on NOSCRIPT they fall back to EVAL, which works for clients allowed to EVAL
 * (admin) and caches the script there; a tenant (no +eval) gets PermissionDenied naming the fix instead.
 */
export async function loadQuotaScripts(target: QuotaClient | readonly Redis[]): Promise<{ nodes: number; shas: string[] }> {
  const nodes: readonly Redis[] = Array.isArray(target)
    ? target
    : isCluster(target as QuotaClient)
      ? (target as Cluster).nodes('all')
      : [target as Redis];
  const scripts = Object.values(QUOTA_SCRIPTS);
  for (const node of nodes) {
    for (const s of scripts) {
      const sha = String(await node.call('SCRIPT', 'LOAD', s.lua));
      if (sha !== s.sha) throw new Error(`${s.name}: SCRIPT LOAD returned ${sha}, expected ${s.sha}`);
    }
  }
  return { nodes: nodes.length, shas: scripts.map((s) => s.sha) };
}

/** EVALSHA, falling back to EVAL on NOSCRIPT. Reply errors are mapped to tenancy errors. */
async function run(
  client: QuotaClient,
  s: Script,
  keys: readonly string[],
  args: ReadonlyArray<string | Buffer | number>,
): Promise<unknown> {
  try {
    try {
      return await client.call('EVALSHA', s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      try {
        return await client.call('EVAL', s.lua, keys.length, ...keys, ...args);
      } catch (evalErr) {
        if (evalErr instanceof Error && /NOPERM[^\n]*'eval'/.test(evalErr.message)) {
          throw new PermissionDenied(
            `${s.name} is not loaded on the node serving ${keys[0] ?? ''} (restarted, or promoted by a failover) and this user may not EVAL: an admin must run loadQuotaScripts`,
            'quota-script-not-loaded',
          );
        }
        throw evalErr;
      }
    }
  } catch (err) {
    throw mapQuotaError(err, keys[0] ?? '');
  }
}

/** A reply error of the quota scripts as a tenancy error; anything else unchanged. */
export function mapQuotaError(err: unknown, quotaKey: string): unknown {
  if (!(err instanceof Error) || err instanceof TenancyError) return err;
  const msg = err.message;
  const q = /^QUOTA (\d+)\/(\d+)/.exec(msg);
  if (q) {
    const prefix = quotaKey.slice(0, -QUOTA_KEY_SUFFIX.length);
    return new QuotaExceeded(`quota exceeded: ${q[1]} of ${q[2]} keys in use for ${prefix}*; the new key was not written`, 'max-keys');
  }
  if (msg.startsWith('BADKEY ') || msg.startsWith('BADARG ')) return new InvalidKey(msg.slice(7), 'quota-script');
  if (msg.startsWith('TOOMANY ')) return new InvalidKey(msg.slice(8), 'quota-keys-per-call');
  if (msg.startsWith('NOLIMITS ')) {
    return new NotProvisioned(
      `${msg.slice(9)}; nothing was written. An admin writes it: \`cache-harness tenant create\` for the tenant again`,
      'quota-limits',
    );
  }
  if (/^NOPERM|can't run this command|no permissions/.test(msg)) return new PermissionDenied(msg, 'acl');
  return err;
}

function checkTtl(ttlSeconds: number): void {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1)
    throw new InvalidKey(`ttl ${ttlSeconds} must be a positive integer of seconds (every data key has a TTL)`, 'ttl');
}

/**
 * Write `value` at `keys.dataKey` with a TTL, unless it is a NEW key and the tenant-module already holds
 * its maxKeys live keys: then QuotaExceeded is thrown and nothing is written. Overwrites are always allowed.
 * maxKeys and the TTL ceiling are the server's (the limits key), never the caller's: a TTL above the data
 * type's ceiling is InvalidKey, a missing limits key NotProvisioned.
 */
export async function quotaSet(client: QuotaClient, keys: QuotaKeys, value: string | Buffer, ttlSeconds: number): Promise<QuotaSetResult> {
  checkTtl(ttlSeconds);
  const reply = await run(client, QUOTA_SCRIPTS.set, [keys.quotaKey, keys.dataKey], [value, ttlSeconds]);
  if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`quota-set: unexpected reply ${JSON.stringify(reply)}`);
  return { created: Number(reply[0]) === 1, count: Number(reply[1]) };
}

/** Delete a data key and its quota member; true when the key existed. */
export async function quotaDel(client: QuotaClient, keys: QuotaKeys): Promise<boolean> {
  return (await quotaDelMany(client, keys.quotaKey, [keys.dataKey])) === 1;
}

/**
 * Delete data keys of ONE tenant-module (one slot) and their quota members: one script call per
 * QUOTA_MAX_KEYS_PER_CALL keys (the script refuses more), in sequence. Returns how many existed.
 */
export async function quotaDelMany(client: QuotaClient, quotaKey: string, dataKeys: readonly string[]): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < dataKeys.length; i += QUOTA_MAX_KEYS_PER_CALL) {
    deleted += Number(await run(client, QUOTA_SCRIPTS.del, [quotaKey, ...dataKeys.slice(i, i + QUOTA_MAX_KEYS_PER_CALL)], []));
  }
  return deleted;
}

/** Live keys the quota counts for a tenant-module (expired members excluded; writes nothing). */
export async function quotaCount(client: QuotaClient, quotaKey: string): Promise<number> {
  return Number(await run(client, QUOTA_SCRIPTS.count, [quotaKey], []));
}

/**
 * Drop members whose data key no longer exists (deleted without the script, or evicted) and expired ones,
 * walking the zset with ZSCAN: one bounded script call per batch of at most QUOTA_MAX_KEYS_PER_CALL
 * members, so the node is never blocked for the whole zset. Admin only: the script refuses a caller
 * without ZSCAN (no tenant has it). Bounded by `maxBatches`.
 */
export async function quotaReconcile(
  client: QuotaClient,
  quotaKey: string,
  opts: { batch?: number; maxBatches?: number } = {},
): Promise<{ checked: number; removed: number }> {
  const batch = Math.min(opts.batch ?? 500, QUOTA_MAX_KEYS_PER_CALL);
  const maxBatches = opts.maxBatches ?? 10_000;
  const prefix = quotaKey.slice(0, -QUOTA_KEY_SUFFIX.length);
  let cursor = '0';
  let checked = 0;
  let removed = 0;
  for (let i = 0; i < maxBatches; i++) {
    const reply = await client.call('ZSCAN', quotaKey, cursor, 'COUNT', batch);
    if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1]))
      throw new Error(`ZSCAN: unexpected reply ${JSON.stringify(reply)}`);
    cursor = String(reply[0]);
    const flat = reply[1] as unknown[];
    const dataKeys: string[] = [];
    for (let j = 0; j < flat.length; j += 2) dataKeys.push(`${prefix}${String(flat[j])}`);
    checked += dataKeys.length;
    // ZSCAN's COUNT is a hint (a small listpack zset comes back whole): split to the script's bound.
    for (let j = 0; j < Math.max(dataKeys.length, 1); j += QUOTA_MAX_KEYS_PER_CALL) {
      removed += Number(await run(client, QUOTA_SCRIPTS.reconcile, [quotaKey, ...dataKeys.slice(j, j + QUOTA_MAX_KEYS_PER_CALL)], []));
    }
    if (cursor === '0') return { checked, removed };
  }
  throw new Error(`quotaReconcile(${quotaKey}): stopped after ${maxBatches} batches without finishing`);
}
