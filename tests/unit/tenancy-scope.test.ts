import { describe, expect, it } from 'vitest';
import { thrown } from '../support/thrown.js';
import { loadSpec } from '../../src/spec/index.js';
import { parsePlan } from '../../src/provision/index.js';
import {
  buildTenantMeta,
  groupBySlot,
  InvalidKey,
  mapRedisError,
  NotProvisioned,
  parseTenantId,
  PermissionDenied,
  slotOf,
  TenantCache,
  tenantScope,
  type TenantMeta,
} from '../../src/tenancy/index.js';

const spec = loadSpec();
const meta = buildTenantMeta(spec, parseTenantId('acme'), parsePlan(spec, 'basic'), 'mobile', new Date()); // crm, whatsapp
const edited = (f: (m: TenantMeta) => void): TenantMeta => {
  const m = structuredClone(meta);
  f(m);
  return m;
};

describe('tenantScope (from the meta config)', () => {
  it('gives the tenant-module prefix and placement of a provisioned module', () => {
    const { scope } = tenantScope(spec, meta, 'acme', 'crm');
    const p = meta.placement.modules.crm;
    expect(scope).toMatchObject({
      tenant: 'acme',
      module: 'crm',
      maxKeys: 10000,
      placement: { strategy: 'module-shard', tag: p?.tag, slot: p?.slot },
    });
    expect(scope.prefix).toBe(`cliente:acme:crm:{${p?.tag}}:`);
  });

  it.each<[string, () => unknown, typeof InvalidKey | typeof NotProvisioned, RegExp]>([
    [
      'a module outside the plan',
      () => tenantScope(spec, meta, 'acme', 'financeiro'),
      NotProvisioned,
      /not provisioned for module financeiro; its modules: crm, whatsapp/,
    ],
    ['a module outside the spec', () => tenantScope(spec, meta, 'acme', 'billing'), InvalidKey, /known modules/],
    ['an invalid tenant id', () => tenantScope(spec, meta, 'ac*me', 'crm'), InvalidKey, /must match/],
    ["another tenant's meta", () => tenantScope(spec, meta, 'other', 'crm'), NotProvisioned, /is for tenant "acme"/],
    ['no meta at all', () => tenantScope(spec, null, 'acme', 'crm'), NotProvisioned, /^tenant acme's meta config is missing$/],
    [
      'a meta that is not the schema',
      () => tenantScope(spec, { ...meta, maxKeys: 0 }, 'acme', 'crm'),
      NotProvisioned,
      /^tenant acme's meta config is not a valid tenant meta config: maxKeys/,
    ],
    [
      'a tag that does not hash to its slot',
      () =>
        tenantScope(
          spec,
          edited((m) => {
            const p = m.placement.modules.crm;
            if (p) p.slot = ((p.slot ?? 0) + 1) % 16384;
          }),
          'acme',
          'crm',
        ),
      NotProvisioned,
      /does not hash/,
    ],
    [
      'a tag with a brace',
      () =>
        tenantScope(
          spec,
          edited((m) => {
            m.placement.modules.crm = { tag: 'a}b', slot: slotOf('{a}b}') };
          }),
          'acme',
          'crm',
        ),
      NotProvisioned,
      /does not hash/,
    ],
  ])('refuses %s', (_what, fn, type, message) => {
    const err = thrown(fn);
    expect(err).toBeInstanceOf(type);
    expect(err.message).toMatch(message);
  });
});

describe('TenantCache validation (no connection is made)', () => {
  const opts = {
    spec,
    seeds: [{ host: '127.0.0.1', port: 1 }],
    tenant: 'acme',
    module: 'crm',
    channel: 'mobile',
    aclUser: 'tenant-acme',
    password: 'pw',
    meta,
  };

  it('builds keys inside the tenant-module and takes the TTL from the spec tier', async () => {
    const c = new TenantCache(opts);
    expect(c.key('users', '{x}*: é')).toBe(`${c.scope.prefix}users:{x}*: é`);
    expect(slotOf(c.key('users', '{x}*: é'))).toBe(c.scope.placement.slot);
    expect(c.ttlSecondsOf('users')).toBe(900);
    expect(new TenantCache({ ...opts, channel: 'web' }).ttlSecondsOf('users')).toBe(3600);
    expect(() => c.key('whatsapp_sessions', 'k')).toThrow(InvalidKey);
    await expect(c.set('whatsapp_sessions', 'k', 1)).rejects.toThrow(/known: users, contacts, sessions, sync, offline/);
    await c.close();
  });

  it("refuses an ACL user that is not the tenant's, and a bad channel", () => {
    expect(thrown(() => new TenantCache({ ...opts, aclUser: 'default' }))).toBeInstanceOf(NotProvisioned);
    expect(thrown(() => new TenantCache({ ...opts, channel: 'tablet' }))).toBeInstanceOf(InvalidKey);
  });
});

describe('mapRedisError', () => {
  it('maps NOPERM and WRONGPASS, passes anything else through', () => {
    expect(
      mapRedisError(new Error('NOPERM this user has no permissions to access one of the keys used as arguments'), 'tenant-a'),
    ).toBeInstanceOf(PermissionDenied);
    expect(mapRedisError(new Error('WRONGPASS invalid username-password pair or user is disabled.'), 'tenant-a')).toBeInstanceOf(
      NotProvisioned,
    );
    const other = new Error('CLUSTERDOWN The cluster is down');
    expect(mapRedisError(other, 'tenant-a')).toBe(other);
  });
});

describe('groupBySlot', () => {
  it('keeps tagged keys in one group and splits untagged ones by slot, preserving positions', () => {
    expect([...groupBySlot(['a:{t}:1', 'a:{t}:2', 'a:{t}:3'])]).toEqual([[slotOf('{t}'), [0, 1, 2]]]);
    const keys = ['k1', 'k2', 'k3', 'k1'];
    const g = groupBySlot(keys);
    expect([...g.values()].flat().sort()).toEqual([0, 1, 2, 3]);
    for (const [slot, idx] of g) for (const i of idx) expect(slotOf(keys[i] ?? '')).toBe(slot);
  });
});
