import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  TENANT_COMMANDS,
  aclSetUserArgs,
  aclSetUserCommand,
  generatePassword,
  parsePlan,
  sha256Hex,
  tenantKeyPattern,
  tenantLimitsPattern,
} from '../../src/provision/index.js';
import { loadSpec } from '../../src/spec/index.js';
import { buildTenantMeta, parseTenantId, TENANT_ID_RULE, tenantQuotaKeys, type TenantMeta } from '../../src/tenancy/index.js';

const hash = sha256Hex('pw');
const spec = loadSpec();
/** A meta as provisioning builds it (plan basic: crm and whatsapp, each with a quota zset). */
const metaOf = (id: string, plan = 'basic'): TenantMeta =>
  buildTenantMeta(spec, parseTenantId(id), parsePlan(spec, plan), 'mobile', new Date());

describe('ACL rule builder', () => {
  it('builds the exact SETUSER line: reset, hashed password, own key pattern, -@all then the grants', () => {
    const [crm, whatsapp] = tenantQuotaKeys(metaOf('acme'));
    expect(aclSetUserCommand(metaOf('acme'), hash)).toBe(
      `ACL SETUSER tenant-acme reset on #${hash} ~cliente:acme:* %R~tenant-limits:acme:* resetchannels -@all ` +
        '+get +setex +del +unlink +exists +expire +pexpire +ttl +pttl +mget +evalsha ' +
        '+time +hmget +pexpiretime ' +
        '+cluster|slots +cluster|info +readonly +ping +client|setname ' +
        `(~${crm} ~${whatsapp} +zrange +zscore +zcount +zadd +zrem)`,
    );
  });

  it('sends only the SHA-256 of the password, never the password', () => {
    const pw = generatePassword();
    const args = aclSetUserArgs(metaOf('acme'), sha256Hex(pw));
    expect(args.join(' ')).not.toContain(pw);
    expect(args).toContain(`#${createHash('sha256').update(pw).digest('hex')}`);
    expect(args.some((a) => a.startsWith('>'))).toBe(false); // `>pw` would send it in clear
  });

  it('refuses anything but a SHA-256 hex digest', () => {
    expect(() => aclSetUserArgs(metaOf('acme'), 'plain-password')).toThrow(/SHA-256/);
    expect(() => aclSetUserArgs(metaOf('acme'), hash.toUpperCase())).toThrow(/SHA-256/);
  });

  it('grants no keyless or admin command: -@all comes before the grants, and none of them is dangerous', () => {
    const args = aclSetUserArgs(metaOf('acme'), hash);
    const minusAll = args.indexOf('-@all');
    const grants = args.filter((a) => a.startsWith('+'));
    expect(minusAll).toBeGreaterThan(0);
    expect(args.findIndex((a) => a.startsWith('+'))).toBeGreaterThan(minusAll);
    for (const bad of [
      'set', // no key without a TTL: SETEX only (docs/decisions.md, Eviction)
      'persist',
      'getex',
      'zadd', // granted in the quota selector only
      'keys',
      'scan',
      'randomkey',
      'flushall',
      'flushdb',
      'swapdb',
      'config',
      'debug',
      'monitor',
      'acl',
      'script',
      'eval',
      'shutdown',
      'cluster',
      'client',
      'memory',
      'object',
      'dump',
      'migrate',
      'dbsize',
      'function',
      'info',
    ]) {
      expect(grants, bad).not.toContain(`+${bad}`);
    }
    expect(grants.some((g) => g.startsWith('+@'))).toBe(false); // no category grants
    expect(grants.filter((g) => g.startsWith('+cluster|'))).toEqual(['+cluster|slots', '+cluster|info']);
    expect(grants.filter((g) => g.startsWith('+client|'))).toEqual(['+client|setname']);
    expect(grants).toEqual(TENANT_COMMANDS.map((c) => `+${c}`));
  });

  it("the limits keys are read-only (%R~) and outside the read-write pattern: tenant 1's pattern matches neither 10's keys nor its limits", () => {
    const args = aclSetUserArgs(metaOf('1'), hash);
    expect(args).toContain('%R~tenant-limits:1:*');
    expect(args.filter((a) => /^(%[RW]+)?~/.test(a))).toEqual(['~cliente:1:*', '%R~tenant-limits:1:*']);
    fc.assert(
      fc.property(fc.stringMatching(TENANT_ID_RULE), (raw) => {
        const p = tenantLimitsPattern(parseTenantId(raw));
        expect(p).toBe(`%R~tenant-limits:${raw}:*`);
        expect(/[*?[\]\\]/.test(p.slice(3, -1))).toBe(false);
      }),
    );
  });

  it('every valid id yields a key pattern that is its own prefix, with no glob character before the final *', () => {
    fc.assert(
      fc.property(fc.stringMatching(TENANT_ID_RULE), (raw) => {
        const pattern = tenantKeyPattern(parseTenantId(raw));
        expect(pattern).toBe(`~cliente:${raw}:*`);
        expect(/[*?[\]\\]/.test(pattern.slice(1, -1))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('passwords', () => {
  it('are 32 url-safe characters (24 random bytes) and differ every time', () => {
    const a = generatePassword();
    const b = generatePassword();
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(a).not.toBe(b);
  });
});
