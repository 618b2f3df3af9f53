import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/spec/index.js';
import {
  buildKey,
  escapeGlob,
  InvalidKey,
  MAX_USER_KEY_LENGTH,
  parseModule,
  parseTenantId,
  placeTenantModule,
  slotOf,
  TENANT_ID_RULE,
  tenantModulePrefix,
  tenantPrefix,
  type PlacementStrategy,
} from '../../src/tenancy/index.js';

const spec = loadSpec();
const modules = Object.keys(spec.modules);
const tenantIds = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
/** Any user key: full unicode, braces, globs, colons, spaces. */
const userKeys = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }),
  fc
    .array(fc.constantFrom('{', '}', '*', '?', '[', ']', ':', ' ', '\\', '"', "'", 'é', '🙂', '\n', 'a', '1'), {
      minLength: 1,
      maxLength: 40,
    })
    .map((a) => a.join('')),
);

function invalidKeyRule(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidKey);
    return (err as InvalidKey).rule;
  }
  throw new Error('accepted an invalid input');
}

describe('tenant id rule', () => {
  it.each([
    ['glob *', '1*'],
    ['glob ?', 'te?t'],
    ['glob []', '[ab]'],
    ['brace', 'a{b}'],
    ['colon', 'a:b'],
    ['space', 'a b'],
    ['unicode', 'ação'],
    ['empty', ''],
    ['oversize', 'x'.repeat(65)],
    ['lua injection', "x' .. redis.call('flushall')['ok'] .. '"],
    ['quote', 'a"b'],
    ['newline', 'a\nb'],
    ['backslash', 'a\\b'],
    ['dot', 'a.b'],
    ['slash', 'a/b'],
  ])('rejects %s', (_what, id) => {
    expect(invalidKeyRule(() => parseTenantId(id))).toBe('tenant-id');
    expect(() => parseTenantId(id)).toThrow(TENANT_ID_RULE.source);
  });

  it('accepts 1-64 of [A-Za-z0-9_-]', () => {
    for (const id of ['a', 'acme', 'A-1_b', '123', 'x'.repeat(64)]) expect(parseTenantId(id)).toBe(id);
  });

  it("one tenant's prefix never starts another tenant's keys (tenant 1 vs 10: the seed's glob leak)", () => {
    fc.assert(
      fc.property(tenantIds, tenantIds, (a, b) => {
        fc.pre(a !== b);
        expect(tenantPrefix(parseTenantId(b)).startsWith(tenantPrefix(parseTenantId(a)))).toBe(false);
      }),
    );
  });
});

describe('key builder', () => {
  it.each<PlacementStrategy>(['module-shard', 'tenant-slot'])(
    '%s: any user key stays under the tenant-module prefix and in the placement slot',
    (strategy) => {
      fc.assert(
        fc.property(tenantIds, fc.constantFrom(...modules), userKeys, (t, m, userKey) => {
          const tenant = parseTenantId(t);
          const mod = parseModule(spec, m);
          const placement = placeTenantModule(spec, tenant, mod, strategy);
          const dataType = Object.keys(spec.modules[m]?.dataTypes ?? {})[0] ?? 'sync';
          const key = buildKey(spec, tenant, mod, placement, dataType, userKey);
          expect(key.startsWith(tenantModulePrefix(tenant, mod, placement))).toBe(true);
          expect(key.startsWith(tenantPrefix(tenant))).toBe(true);
          expect(key.endsWith(`:${dataType}:${userKey}`)).toBe(true);
          expect(slotOf(key)).toBe(placement.slot);
        }),
        { numRuns: 500 },
      );
    },
  );

  it("none: the seed's literal layout, no tag of ours", () => {
    const tenant = parseTenantId('acme');
    const placement = placeTenantModule(spec, tenant, parseModule(spec, 'crm'), 'none');
    expect(buildKey(spec, tenant, parseModule(spec, 'crm'), placement, 'users', '42')).toBe('cliente:acme:crm:users:42');
  });

  it('rejects an unknown data type, naming the known ones, and empty or oversize user keys', () => {
    const tenant = parseTenantId('acme');
    const crm = parseModule(spec, 'crm');
    const p = placeTenantModule(spec, tenant, crm);
    expect(() => buildKey(spec, tenant, crm, p, 'crm', 'k')).toThrow(/known: users, contacts, sessions, sync, offline/);
    expect(invalidKeyRule(() => buildKey(spec, tenant, crm, p, 'media', 'k'))).toBe('data-type'); // whatsapp's, not crm's
    expect(invalidKeyRule(() => buildKey(spec, tenant, crm, p, 'users', ''))).toBe('user-key');
    expect(invalidKeyRule(() => buildKey(spec, tenant, crm, p, 'users', 'k'.repeat(MAX_USER_KEY_LENGTH + 1)))).toBe('user-key');
    expect(invalidKeyRule(() => parseModule(spec, 'billing'))).toBe('module');
  });

  it('escapes glob characters for SCAN MATCH', () => {
    expect(escapeGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
  });
});
