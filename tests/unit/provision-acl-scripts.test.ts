import { describe, expect, it } from 'vitest';
import { aclSetUserArgs, parsePlan, sha256Hex } from '../../src/provision/index.js';
import { loadSpec } from '../../src/spec/index.js';
import {
  buildTenantMeta,
  parseTenantId,
  QUOTA_ACL_GRANTS,
  QUOTA_SCRIPTS,
  QUOTA_ZSET_GRANTS,
  tenantQuotaKeys,
} from '../../src/tenancy/index.js';

// Scripts run with the CALLER's ACL: every command a tenant-callable script calls must be granted by the
// rule provisioning writes (aclSetUserArgs), or the tenant's writes fail with NOPERM in production.

type ScriptName = keyof typeof QUOTA_SCRIPTS;

/** Admin-only: the reconcile script refuses a caller without ZSCAN (checked in the script), which no tenant is granted. Every other script is tenant-callable. */
const ADMIN_ONLY: ReadonlySet<ScriptName> = new Set(['reconcile']);
const TENANT_SCRIPTS = (Object.keys(QUOTA_SCRIPTS) as ScriptName[]).filter((n) => !ADMIN_ONLY.has(n));

/** What provisioning really sends for a tenant (`ACL SETUSER ...` arguments). */
const spec = loadSpec();
const META = buildTenantMeta(spec, parseTenantId('acme'), parsePlan(spec, 'basic'), 'mobile', new Date()); // crm, whatsapp
const RULE = aclSetUserArgs(META, sha256Hex('pw'));
const [CRM_QUOTA, WHATSAPP_QUOTA] = tenantQuotaKeys(META);

const CALL_SITE = /redis\.(?:p?call|acl_check_cmd)\s*\(/g;
const LITERAL_CALL = /redis\.(?:p?call|acl_check_cmd)\s*\(\s*(['"])([^'"]+)\1(?:\s*,\s*([^,)]+))?/g;

/** Commands a Lua source calls (redis.call / redis.pcall) or checks (redis.acl_check_cmd), lower-case, sorted. */
function commandsCalled(lua: string): string[] {
  return [...new Set([...lua.matchAll(LITERAL_CALL)].map((m) => (m[2] ?? '').toLowerCase()))].sort();
}

/** A quota zset and a data key of tenant `acme` (the scripts name the zset `zkey`; every other key argument is taken as a data key). */
const ZSET_KEY = CRM_QUOTA ?? '';
const DATA_KEY = `${ZSET_KEY.slice(0, -'__quota'.length)}kv:some-key`;

/** `command` and the key it is called on (none for keyless commands such as TIME), for every call site. */
function callsWithKey(lua: string): Array<{ command: string; key: string | null }> {
  return [...lua.matchAll(LITERAL_CALL)].map((m) => {
    const arg = (m[3] ?? '').trim();
    return { command: (m[2] ?? '').toLowerCase(), key: arg === '' ? null : arg === 'zkey' ? ZSET_KEY : DATA_KEY };
  });
}

/** Redis glob (`*`, `?`, `\x`; no classes, which the rule never holds) as a RegExp. */
function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '\\') re += (glob[++i] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') throw new Error(`glob class in ${glob} cannot be evaluated offline; extend globRegExp()`);
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/**
 * Whether the rule lets its user run `command` on `key`: the root rule (commands only, as `allows`), or a
 * selector `(~pattern ... +cmd ...)` whose read-write key pattern matches the key and whose commands allow it
 * (a selector starts with no command). Keyless commands are only granted at the root here.
 */
function allowsOn(rule: readonly string[], command: string, key: string | null): boolean {
  if (
    allows(
      rule.filter((t) => !t.startsWith('(')),
      command,
    )
  )
    return true;
  if (key === null) return false;
  return rule
    .filter((t) => t.startsWith('(') && t.endsWith(')'))
    .some((sel) => {
      const toks = sel.slice(1, -1).split(' ');
      const keyOk = toks.some((t) => t.startsWith('~') && globRegExp(t.slice(1)).test(key));
      return keyOk && allows(['-@all', ...toks.filter((t) => !/^(%[RW]+)?~/.test(t))], command);
    });
}

/**
 * Whether an `ACL SETUSER` rule lets its user run `command`: the last command rule that applies wins.
 * Evaluates reset / nocommands / allcommands / ±@all / ±cmd; any other category needs a live server.
 */
function allows(rule: readonly string[], command: string): boolean {
  let allowed = false;
  for (const tok of rule) {
    if (tok === 'reset' || tok === 'nocommands' || tok === '-@all') allowed = false;
    else if (tok === 'allcommands' || tok === '+@all') allowed = true;
    else if (/^[+-]@/.test(tok)) throw new Error(`category rule ${tok} cannot be evaluated offline; extend allows()`);
    else if (tok === `+${command}`) allowed = true;
    else if (tok === `-${command}`) allowed = false;
  }
  return allowed;
}

/** `script: command` for every command a script calls that the rule does not grant. */
function ungranted(scripts: ReadonlyArray<{ name: string; lua: string }>, rule: readonly string[]): string[] {
  return scripts.flatMap((s) =>
    [
      ...new Set(
        callsWithKey(s.lua)
          .filter((c) => !allowsOn(rule, c.command, c.key))
          .map((c) => `${s.name}: ${c.command}`),
      ),
    ].sort(),
  );
}

describe("tenant ACL rule vs the quota scripts' own source", () => {
  it('grants every command the tenant-callable scripts call', () => {
    const missing = ungranted(
      TENANT_SCRIPTS.map((n) => QUOTA_SCRIPTS[n]),
      RULE,
    );
    expect(
      missing,
      `not granted by aclSetUserArgs (add them to QUOTA_ACL_GRANTS in src/tenancy/quota-script.ts; TENANT_COMMANDS includes it):\n${missing.join('\n')}`,
    ).toEqual([]);
  });

  it('grants EVALSHA (how tenants run the scripts) and never EVAL or SCRIPT', () => {
    expect(allows(RULE, 'evalsha')).toBe(true);
    expect(allows(RULE, 'eval')).toBe(false);
    expect(allows(RULE, 'script')).toBe(false);
  });

  it('QUOTA_ACL_GRANTS + QUOTA_ZSET_GRANTS (the documented lists) name every command the tenant-callable scripts call, and the rule grants all of it', () => {
    const rootGrants = QUOTA_ACL_GRANTS.map((g) => g.slice(1));
    const zsetGrants = QUOTA_ZSET_GRANTS.map((g) => g.slice(1));
    const documented = new Set([...rootGrants, ...zsetGrants]);
    const undocumented = TENANT_SCRIPTS.flatMap((n) =>
      commandsCalled(QUOTA_SCRIPTS[n].lua)
        .filter((c) => !documented.has(c))
        .map((c) => `${n}: ${c}`),
    );
    expect(undocumented).toEqual([]);
    expect(rootGrants.filter((c) => !allows(RULE, c))).toEqual([]);
    expect(zsetGrants.filter((c) => !allowsOn(RULE, c, ZSET_KEY))).toEqual([]);
  });

  it('grants the quota zset commands only in the selector, on the quota zsets: not at the root, not on a data key', () => {
    const root = RULE.filter((t) => !t.startsWith('('));
    // Each quota zset named exactly: a pattern (`~cliente:acme:*:__quota`) would let the tenant create new
    // TTL-less zsets under any name ending in `:__quota`.
    expect(RULE.filter((t) => t.startsWith('('))).toEqual([`(~${ZSET_KEY} ~${WHATSAPP_QUOTA} +zrange +zscore +zcount +zadd +zrem)`]);
    expect(ZSET_KEY).toMatch(/^cliente:acme:crm:\{[^{}]+\}:__quota$/);
    for (const g of QUOTA_ZSET_GRANTS) {
      const c = g.slice(1);
      expect(allows(root, c), `${c} at the root`).toBe(false);
      expect(allowsOn(RULE, c, ZSET_KEY), `${c} on ${ZSET_KEY}`).toBe(true);
      expect(allowsOn(RULE, c, DATA_KEY), `${c} on ${DATA_KEY}`).toBe(false);
      expect(allowsOn(RULE, c, ZSET_KEY.replace('acme', 'other')), `${c} on another tenant's zset`).toBe(false);
      expect(allowsOn(RULE, c, `${DATA_KEY}:__quota`), `${c} on a made-up key ending in :__quota`).toBe(false);
      expect(allowsOn(RULE, c, 'cliente:acme:made-up:{x}:__quota'), `${c} on a made-up module's zset`).toBe(false);
    }
  });

  it('grants no command that writes a key without a TTL (SET, PERSIST, GETEX...), and SETEX for the writes', () => {
    for (const c of [
      'set',
      'setnx',
      'mset',
      'msetnx',
      'getset',
      'getex',
      'persist',
      'append',
      'setrange',
      'incr',
      'hset',
      'lpush',
      'sadd',
      'restore',
      'copy',
      'rename',
      'zadd',
    ]) {
      expect(
        allows(
          RULE.filter((t) => !t.startsWith('(')),
          c,
        ),
        c,
      ).toBe(false);
    }
    expect(allows(RULE, 'setex')).toBe(true);
  });

  it('the extraction sees every call site (no dynamic command name slips past it) and finds the known commands', () => {
    for (const n of Object.keys(QUOTA_SCRIPTS) as ScriptName[]) {
      const { lua } = QUOTA_SCRIPTS[n];
      expect([...lua.matchAll(LITERAL_CALL)].length, `${n}: a redis.call without a literal command name`).toBe(
        [...lua.matchAll(CALL_SITE)].length,
      );
    }
    expect(commandsCalled(QUOTA_SCRIPTS.set.lua)).toEqual([
      'hmget',
      'pexpiretime',
      'setex',
      'time',
      'zadd',
      'zcount',
      'zrange',
      'zrem',
      'zscore',
    ]);
    expect(commandsCalled(QUOTA_SCRIPTS.del.lua)).toEqual(['del', 'zrem']);
    expect(commandsCalled(QUOTA_SCRIPTS.count.lua)).toEqual(['time', 'zcount']);
  });

  it('fails for a command added to a script without a grant, whatever the call style', () => {
    const lua = `${QUOTA_SCRIPTS.set.lua}\nredis.call('HSET', zkey, 'a', 'b')\nredis.pcall("PERSIST", dkey)\nredis.acl_check_cmd('GETDEL', dkey)\n`;
    expect(ungranted([{ name: 'quota-set+', lua }], RULE)).toEqual(['quota-set+: getdel', 'quota-set+: hset', 'quota-set+: persist']);
  });

  it('fails for a zset command a script calls on a data key (the selector grants it on the quota zsets only)', () => {
    const lua = `${QUOTA_SCRIPTS.set.lua}\nredis.call('ZADD', dkey, 1, 'm')\n`;
    expect(ungranted([{ name: 'quota-set+', lua }], RULE)).toEqual(['quota-set+: zadd']);
  });

  it('the admin-only reconcile script gates its caller on a command the tenant rule does not grant', () => {
    expect(commandsCalled(QUOTA_SCRIPTS.reconcile.lua)).toContain('zscan');
    expect(allows(RULE, 'zscan')).toBe(false);
    const lua = QUOTA_SCRIPTS.reconcile.lua;
    expect(lua.indexOf("redis.acl_check_cmd('ZSCAN'")).toBeLessThan(lua.indexOf("redis.call('TIME')"));
  });

  it('every script is classified: ADMIN_ONLY names real scripts and at least one is tenant-callable', () => {
    expect([...ADMIN_ONLY].every((n) => n in QUOTA_SCRIPTS)).toBe(true);
    expect(TENANT_SCRIPTS).toEqual(['set', 'del', 'count']);
  });
});

describe('allows() (the rule evaluator above)', () => {
  it('applies rules in order, the last one winning', () => {
    expect(allows(['reset', '-@all', '+get'], 'get')).toBe(true);
    expect(allows(['reset', '-@all', '+get'], 'set')).toBe(false);
    expect(allows(['+@all', '-set'], 'set')).toBe(false);
    expect(allows(['-set', '+@all'], 'set')).toBe(true);
    expect(allows(['+get', 'reset'], 'get')).toBe(false);
  });

  it('does not read a subcommand grant as the whole command, and refuses categories it cannot evaluate', () => {
    expect(allows(['-@all', '+cluster|slots'], 'cluster')).toBe(false);
    expect(() => allows(['-@all', '+@sortedset'], 'zadd')).toThrow(/cannot be evaluated offline/);
  });
});
