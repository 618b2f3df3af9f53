import { describe, expect, it } from 'vitest';
import { thrown } from '../support/thrown.js';
import { parsePlan } from '../../src/provision/index.js';
import { loadSpec, type Spec } from '../../src/spec/index.js';
import {
  buildTenantMeta,
  InvalidTenantMeta,
  modulePlacement,
  NotProvisioned,
  parseModule,
  parseTenantId,
  parseTenantMeta,
  placeTenantModule,
  slotOf,
  type TenantMeta,
} from '../../src/tenancy/index.js';

const spec = loadSpec();
const AT = new Date('2025-01-01T00:00:00Z');
const metaOf = (s: Spec, id: string, plan: string): TenantMeta => buildTenantMeta(s, parseTenantId(id), parsePlan(s, plan), 'mobile', AT);
const acme = metaOf(spec, 'acme', 'basic'); // crm, whatsapp
/** acme's meta, edited, as the JSON text a broken `tenant-meta:acme` would hold. */
const stored = (f: (m: TenantMeta) => void): string => {
  const m = structuredClone(acme);
  f(m);
  return JSON.stringify(m);
};

describe('buildTenantMeta', () => {
  it("records plan, modules, TTLs for the channel, and each module's placement in its shard", () => {
    const meta = buildTenantMeta(spec, parseTenantId('acme'), parsePlan(spec, 'pro'), 'web', AT);
    expect(meta.modules).toEqual(['crm', 'whatsapp', 'agendamento', 'marketing', 'analytics']);
    expect(meta.aclUser).toBe('tenant-acme');
    expect(meta.createdAt).toBe('2025-01-01T00:00:00.000Z');
    expect(meta.ttl.crm?.sessions).toBe(3600); // userSessions, web
    for (const [mod, p] of Object.entries(meta.placement.modules)) {
      expect(p.tag).not.toBeNull();
      expect(slotOf(`{${p.tag}}`)).toBe(p.slot);
      const shard = spec.modules[mod]?.shard;
      const ranges = spec.topology.masters.find((m) => m.name === shard)?.slots ?? [];
      expect(ranges.some(([a, b]) => (p.slot ?? -1) >= a && (p.slot ?? -1) <= b)).toBe(true);
    }
  });

  it('round-trips through its stored JSON unchanged', () => {
    expect(parseTenantMeta(JSON.stringify(acme), 'tenant-meta:acme')).toEqual(acme);
    expect(parseTenantMeta(JSON.parse(JSON.stringify(acme)))).toEqual(acme);
  });
});

describe('parseTenantMeta', () => {
  it.each<[string, unknown, RegExp]>([
    ['a missing key', null, /^tenant-meta:acme is missing$/],
    ['text that is not JSON', '{nope', /^tenant-meta:acme does not hold JSON$/],
    ['a document that is not the schema', '{"version":1}', /^tenant-meta:acme is not a valid tenant meta config: .*tenant/],
    [
      'a tenant id breaking the id rule',
      stored((m) => {
        Object.assign(m, { tenant: 'a*b' });
      }),
      /tenant: tenant id must match/,
    ],
    [
      'a tag that does not hash to its recorded slot',
      stored((m) => {
        const p = m.placement.modules.crm;
        if (p) p.slot = ((p.slot ?? 0) + 1) % 16384;
      }),
      /placement\.modules\.crm: tenant acme\/crm: placement tag "\w+" does not hash to its recorded slot/,
    ],
    [
      'a tag with a brace',
      stored((m) => {
        m.placement.modules.crm = { tag: 'a}b', slot: slotOf('{a}b}') };
      }),
      /does not hash/,
    ],
    [
      'a module with no placement',
      stored((m) => {
        delete m.placement.modules.whatsapp;
      }),
      /meta config has no placement for module whatsapp/,
    ],
    [
      'a tag under placement none',
      stored((m) => {
        m.placement.strategy = 'none';
      }),
      /placement "none" must have no tag/,
    ],
  ])('refuses %s, naming the source (InvalidTenantMeta, a NotProvisioned)', (_what, input, message) => {
    const err = thrown(() => parseTenantMeta(input, 'tenant-meta:acme'));
    expect(err).toBeInstanceOf(InvalidTenantMeta);
    expect(err).toBeInstanceOf(NotProvisioned);
    expect((err as InvalidTenantMeta).rule).toBe('meta');
    expect(err.message).toMatch(message);
  });
});

describe('modulePlacement', () => {
  it('is the placement the meta recorded, which is where the spec placed the tenant-module', () => {
    for (const m of acme.modules) {
      expect(modulePlacement(acme, m)).toEqual(placeTenantModule(spec, acme.tenant, parseModule(spec, m)));
    }
  });

  it('under placement none: no tag, no slot', () => {
    const none: Spec = { ...spec, placement: { ...spec.placement, strategy: 'none' } };
    expect(modulePlacement(metaOf(none, 'legacy', 'basic'), 'crm')).toEqual({ strategy: 'none', tag: null, slot: null });
  });

  it('refuses a module outside the plan (NotProvisioned, rule module) and a placement edited after parsing (InvalidTenantMeta)', () => {
    const outside = thrown(() => modulePlacement(acme, 'financeiro'));
    expect(outside).toBeInstanceOf(NotProvisioned);
    expect(outside).not.toBeInstanceOf(InvalidTenantMeta);
    expect(outside.message).toBe('tenant acme (plan basic) is not provisioned for module financeiro; its modules: crm, whatsapp');
    const edited = structuredClone(acme);
    edited.placement.modules.crm = { tag: 'abc', slot: (slotOf('{abc}') + 1) % 16384 };
    expect(thrown(() => modulePlacement(edited, 'crm'))).toBeInstanceOf(InvalidTenantMeta);
  });
});
