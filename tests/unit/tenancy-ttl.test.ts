import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/spec/index.js';
import { dataTypesOf, InvalidKey, parseDataType, parseModule, ttlSeconds, ttlTable } from '../../src/tenancy/index.js';

const spec = loadSpec();

describe('TTL tiers', () => {
  it('every data type of every module has a TTL on both channels, and mobile <= web', () => {
    let checked = 0;
    for (const m of Object.keys(spec.modules)) {
      const mod = parseModule(spec, m);
      const mobile = ttlTable(spec, mod, 'mobile');
      const web = ttlTable(spec, mod, 'web');
      expect(Object.keys(mobile).sort()).toEqual(dataTypesOf(spec, mod).sort());
      for (const dt of dataTypesOf(spec, mod)) {
        const t = parseDataType(spec, mod, dt);
        expect(ttlSeconds(spec, mod, t, 'mobile')).toBeGreaterThan(0);
        expect(ttlSeconds(spec, mod, t, 'mobile')).toBeLessThanOrEqual(ttlSeconds(spec, mod, t, 'web'));
        expect(mobile[dt]).toBe(ttlSeconds(spec, mod, t, 'mobile'));
        expect(web[dt]).toBe(ttlSeconds(spec, mod, t, 'web'));
        checked++;
      }
    }
    expect(checked).toBe(34); // 18 module types + 8 modules x 2 common (sync, offline)
  });

  it("uses the spec's classes: crm users are contacts (900/3600 s), offline is offlineQueue (7200/14400 s)", () => {
    const crm = parseModule(spec, 'crm');
    expect(ttlSeconds(spec, crm, parseDataType(spec, crm, 'users'), 'mobile')).toBe(900);
    expect(ttlSeconds(spec, crm, parseDataType(spec, crm, 'users'), 'web')).toBe(3600);
    expect(ttlSeconds(spec, crm, parseDataType(spec, crm, 'offline'), 'web')).toBe(14400);
  });

  it.each(['crm', 'whatsapp_sessions', 'mobile_sync', 'meta', 'usage_analytics'])(
    "the seed's data type %s is unknown: InvalidKey naming the known types, no 900 s default",
    (dt) => {
      const crm = parseModule(spec, 'crm');
      expect(() => parseDataType(spec, crm, dt)).toThrow(InvalidKey);
      expect(() => parseDataType(spec, crm, dt)).toThrow(/known: users, contacts, sessions, sync, offline/);
    },
  );

  it('every TTL class is mobile <= web', () => {
    for (const [cls, t] of Object.entries(spec.ttlClasses)) expect(t.mobile, cls).toBeLessThanOrEqual(t.web);
  });
});
