import { describe, expect, it } from 'vitest';
import { aclSetUserArgs, sha256Hex } from '../../src/provision/index.js';
import { parseTenantId, QUOTA_ACL_GRANTS, QUOTA_SCRIPTS } from '../../src/tenancy/index.js';

// Scripts run with the CALLER's ACL: every command a tenant-callable script calls must be granted by the
// rule provisioning writes (aclSetUserArgs), or the tenant's writes fail with NOPERM in production.

type ScriptName = keyof typeof QUOTA_SCRIPTS;

/** Admin-only: the reconcile script refuses a caller without ZSCAN (checked in the script), which no tenant is granted. Every other script is tenant-callable. */
const ADMIN_ONLY: ReadonlySet<ScriptName> = new Set(['reconcile']);
const TENANT_SCRIPTS = (Object.keys(QUOTA_SCRIPTS) as ScriptName[]).filter((n) => !ADMIN_ONLY.has(n));

/** What provisioning really sends for a tenant (`ACL SETUSER ...` arguments). */
const RULE = aclSetUserArgs(parseTenantId('acme'), sha256Hex('pw'));

const CALL_SITE = /redis\.(?:p?call|acl_check_cmd)\s*\(/g;
const LITERAL_CALL = /redis\.(?:p?call|acl_check_cmd)\s*\(\s*(['"])([^'"]+)\1/g;

/** Commands a Lua source calls (redis.call / redis.pcall) or checks (redis.acl_check_cmd), lower-case, sorted. */
function commandsCalled(lua: string): string[] {
  return [...new Set([...lua.matchAll(LITERAL_CALL)].map((m) => (m[2] ?? '').toLowerCase()))].sort();
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
    commandsCalled(s.lua)
      .filter((c) => !allows(rule, c))
      .map((c) => `${s.name}: ${c}`),
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

  it('QUOTA_ACL_GRANTS (the documented list) names every command the tenant-callable scripts call, and the rule grants all of it', () => {
    const documented = new Set(QUOTA_ACL_GRANTS.map((g) => g.slice(1)));
    const undocumented = TENANT_SCRIPTS.flatMap((n) =>
      commandsCalled(QUOTA_SCRIPTS[n].lua)
        .filter((c) => !documented.has(c))
        .map((c) => `${n}: ${c}`),
    );
    expect(undocumented).toEqual([]);
    expect([...documented].filter((c) => !allows(RULE, c))).toEqual([]);
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
      'set',
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
