import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../../src/errors.js';
import {
  InvalidTenantInput,
  META_KEYS_MATCH,
  parsePlan,
  tenantKeysMatch,
  validateTenantInput,
  validateTenantInputs,
} from '../../src/provision/index.js';
import { loadSpec } from '../../src/spec/index.js';
import { escapeGlob, parseTenantId, TENANT_ID_RULE } from '../../src/tenancy/index.js';

const spec = loadSpec();

/** Redis's glob semantics (stringmatchlen), enough for *, ?, [..] and backslash escapes: the test's oracle. */
function globMatch(pattern: string, s: string): boolean {
  const re = pattern.replace(
    /\\(.)|([*?])|(\[[^\]]*\])|([^\\*?[])/gs,
    (_m, esc: string | undefined, wild: string | undefined, cls: string | undefined, lit: string | undefined) => {
      if (esc !== undefined) return esc.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      if (wild === '*') return '[\\s\\S]*';
      if (wild === '?') return '[\\s\\S]';
      if (cls !== undefined) return cls;
      return (lit ?? '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    },
  );
  return new RegExp(`^${re}$`, 's').test(s);
}

describe('SCAN MATCH patterns', () => {
  it("tenant 1 matches its own keys and never tenant 10's", () => {
    const m = tenantKeysMatch(parseTenantId('1'));
    expect(m).toBe('cliente:1:*');
    expect(globMatch(m, 'cliente:1:crm:{a}:users:x')).toBe(true);
    expect(globMatch(m, 'cliente:10:crm:{a}:users:x')).toBe(false);
    expect(globMatch(m, 'cliente:1')).toBe(false);
  });

  it('escapeGlob makes glob characters literal (defence in depth for ids that bypassed validation)', () => {
    expect(escapeGlob('1*')).toBe('1\\*');
    expect(escapeGlob('te?t[a]\\')).toBe('te\\?t\\[a\\]\\\\');
    const m = `${escapeGlob('cliente:1*:')}*`;
    expect(globMatch(m, 'cliente:1*:x')).toBe(true);
    expect(globMatch(m, 'cliente:10:x')).toBe(false);
  });

  it("property: for any two distinct valid ids, one's pattern never matches the other's keys", () => {
    fc.assert(
      fc.property(fc.stringMatching(TENANT_ID_RULE), fc.stringMatching(TENANT_ID_RULE), fc.string(), (a, b, rest) => {
        fc.pre(a !== b);
        expect(globMatch(tenantKeysMatch(parseTenantId(a)), `cliente:${b}:${rest}`)).toBe(false);
        expect(globMatch(tenantKeysMatch(parseTenantId(a)), `cliente:${a}:${rest}`)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('meta keys are matched by tenant-meta:* and data keys are not', () => {
    expect(META_KEYS_MATCH).toBe('tenant-meta:*');
    expect(globMatch(META_KEYS_MATCH, 'tenant-meta:acme')).toBe(true);
    expect(globMatch(META_KEYS_MATCH, 'cliente:acme:crm:x')).toBe(false);
  });
});

describe('input validation', () => {
  it.each(['1*', 'te?t', 'a[b]', 'x{y}', 'a:b', 'a b', 'ünï', 'a'.repeat(65), '', "x' .. redis.call('flushall') .. '", 'a\nb', 'a\\b'])(
    'rejects id %j with an exit-2 error naming the rule',
    (raw) => {
      const err = (() => {
        try {
          validateTenantInput(spec, { id: raw, plan: 'basic' });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(InvalidTenantInput);
      expect(err).toBeInstanceOf(HarnessError);
      expect((err as InvalidTenantInput).rule).toBe('tenant-id');
      expect((err as Error).message).toContain('must match ^[A-Za-z0-9_-]{1,64}$');
    },
  );

  it('rejects an unknown plan naming the known plans', () => {
    expect(() => parsePlan(spec, 'gold')).toThrow('plan "gold" is not in the spec; known plans: basic, pro, enterprise');
    expect(() => parsePlan(spec, '__proto__')).toThrow(/known plans/);
  });

  it('rejects a bad channel, accepts mobile/web/undefined', () => {
    expect(() => validateTenantInput(spec, { id: 'a', plan: 'basic', channel: 'tv' })).toThrow(/channel "tv"/);
    expect(validateTenantInput(spec, { id: 'a', plan: 'basic', channel: 'web' }).channel).toBe('web');
    expect(validateTenantInput(spec, { id: 'a', plan: 'basic' }).channel).toBeUndefined();
  });

  it('a population is validated whole: every problem listed, duplicates refused', () => {
    expect(() =>
      validateTenantInputs(spec, [
        { id: 'a', plan: 'basic' },
        { id: 'b*', plan: 'basic' },
        { id: 'c', plan: 'gold' },
        { id: 'a', plan: 'pro' },
      ]),
    ).toThrow(
      /3 invalid tenant\(s\); nothing was provisioned:\n {2}tenants\[1\]: tenant id "b\*".*\n {2}tenants\[2\]: plan "gold".*\n {2}tenants\[3\]: tenant id "a" appears twice/s,
    );
  });
});
