import { errorMessage } from '../../src/errors.js'; /**
 * Commands a tenant must not run. `live: false` ones are checked with ACL DRYRUN only: if the ACL were
 * wrong, sending them for real would stop a node or reset the cluster. The others are also sent as the
 * tenant, each only after ACL DRYRUN said no, so a broken ACL shows up as a failure, not as data loss.
 */
export interface Probe {
  args: string[];
  live: boolean;
  /** Besides NOPERM, a reply that also means "refused" (DEBUG is blocked by enable-debug-command before the ACL check). */
  alsoRefused?: RegExp;
}

/** Keyless and admin commands: key patterns do not filter these, `-@all` must. `bKey` is another tenant's key. */
export function keylessProbes(bKey: string, bMatch: string, aUser: string): Probe[] {
  return [
    { args: ['KEYS', '*'], live: true },
    { args: ['KEYS', bMatch], live: true },
    { args: ['SCAN', '0'], live: true },
    { args: ['SCAN', '0', 'MATCH', bMatch, 'COUNT', '1000'], live: true },
    { args: ['RANDOMKEY'], live: true },
    { args: ['DBSIZE'], live: true },
    { args: ['FLUSHALL'], live: true },
    { args: ['FLUSHDB'], live: true },
    { args: ['SWAPDB', '0', '1'], live: true },
    { args: ['CONFIG', 'GET', '*'], live: true },
    { args: ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'], live: true },
    { args: ['CONFIG', 'REWRITE'], live: false },
    { args: ['DEBUG', 'SLEEP', '0'], live: true, alsoRefused: /DEBUG command not allowed/ },
    { args: ['MONITOR'], live: true },
    { args: ['ACL', 'LIST'], live: true },
    { args: ['ACL', 'SETUSER', aUser, '+@all', '~*'], live: true },
    { args: ['SCRIPT', 'LOAD', 'return 1'], live: true },
    { args: ['SCRIPT', 'FLUSH'], live: true },
    { args: ['EVAL', "return redis.call('GET', KEYS[1])", '1', bKey], live: true },
    { args: ['EVAL', "return redis.call('FLUSHALL')", '0'], live: true },
    { args: ['FUNCTION', 'FLUSH'], live: true },
    { args: ['CLIENT', 'LIST'], live: true },
    { args: ['CLIENT', 'KILL', 'TYPE', 'normal'], live: false },
    { args: ['OBJECT', 'ENCODING', bKey], live: true },
    { args: ['DUMP', bKey], live: true },
    { args: ['MEMORY', 'USAGE', bKey], live: true },
    { args: ['RENAME', bKey, `${bKey}:x`], live: true },
    { args: ['CLUSTER', 'NODES'], live: true },
    { args: ['PUBLISH', 'ch', 'x'], live: true },
    { args: ['BGSAVE'], live: false },
    { args: ['MIGRATE', '127.0.0.1', '1', bKey, '0', '1000'], live: false },
    { args: ['REPLICAOF', 'NO', 'ONE'], live: false },
    { args: ['CLUSTER', 'RESET'], live: false },
    { args: ['SHUTDOWN', 'NOSAVE'], live: false },
  ];
}

/**
 * Writes that would leave the tenant's OWN key without a TTL: under `volatile-*` eviction such a key is never
 * evicted, so every other tenant's keys would go first (docs/decisions.md, Eviction). Tenants get SETEX, not
 * SET, and the zset commands only on their quota zsets. `aKey` is one of the tenant's own data keys.
 */
export function noTtlWriteProbes(aKey: string): Probe[] {
  return [
    { args: ['SET', aKey, 'x'], live: true },
    { args: ['SET', aKey, 'x', 'EX', '10'], live: true },
    { args: ['SETNX', aKey, 'x'], live: true },
    { args: ['MSET', aKey, 'x'], live: true },
    { args: ['GETSET', aKey, 'x'], live: true },
    { args: ['PERSIST', aKey], live: true },
    { args: ['GETEX', aKey, 'PERSIST'], live: true },
    { args: ['APPEND', aKey, 'x'], live: true },
    { args: ['ZADD', aKey, '1', 'm'], live: true },
    { args: ['HSET', aKey, 'f', 'v'], live: true },
    { args: ['RESTORE', aKey, '0', 'x', 'REPLACE'], live: true },
  ];
}

/** A reply that means "no permission": NOPERM, or the script-level ACL error (a redis.call inside a script). */
export const REFUSED = /NOPERM|no permissions|can't access at least one of the keys/i;

export interface Reply {
  ok: boolean;
  text: string;
}

/** Settle a command into ok/text, so every reply can be checked and reported. */
export async function replyOf(p: Promise<unknown>): Promise<Reply> {
  try {
    const v = await p;
    return { ok: true, text: typeof v === 'string' ? v : (JSON.stringify(v)?.slice(0, 200) ?? String(v)) };
  } catch (err) {
    return { ok: false, text: errorMessage(err) };
  }
}
