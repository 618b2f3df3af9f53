import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/spec/index.js';
import { parsePlan } from '../../src/provision/index.js';
import {
  buildDataKey,
  buildTenantMeta,
  dataTypesOf,
  InvalidKey,
  limitsKeyOf,
  NotProvisioned,
  quotaLimitsFromSpec,
  tenantQuotaLimits,
  ttlSeconds,
  parseDataType,
  parseModule,
  parseTenantId,
  PermissionDenied,
  placeTenantModule,
  QuotaExceeded,
  slotOf,
} from '../../src/tenancy/index.js';
import {
  isQuotaKey,
  mapQuotaError,
  QUOTA_MAX_KEYS_PER_CALL,
  QUOTA_SCRIPTS,
  QUOTA_SET_LUA,
  quotaKeyOf,
  quotaKeysFor,
} from '../../src/tenancy/quota-script.js';

const spec = loadSpec();
const tenant = parseTenantId('acme');
const crm = parseModule(spec, 'crm');
const users = parseDataType(spec, crm, 'users');

describe('quota keys', () => {
  it("module-shard: the quota zset is the tenant-module prefix + __quota, in the data keys' slot, under cliente:<tenant>:", () => {
    const p = placeTenantModule(spec, tenant, crm);
    const q = quotaKeyOf(tenant, crm, p);
    expect(q).toBe(`cliente:acme:crm:{${p.tag}}:__quota`);
    for (const k of ['1', 'x{y}z', '{evil}', 'a:b:__quota']) {
      const keys = quotaKeysFor(tenant, crm, p, buildDataKey(tenant, crm, p, users, k));
      expect(slotOf(keys.dataKey)).toBe(slotOf(keys.quotaKey));
      expect(isQuotaKey(keys.dataKey)).toBe(false);
    }
    expect(isQuotaKey(q)).toBe(true);
  });

  it('tenant-slot works too; placement none has no tag and is refused', () => {
    const ts = placeTenantModule(spec, tenant, crm, 'tenant-slot');
    expect(quotaKeyOf(tenant, crm, ts)).toBe('cliente:acme:crm:{acme}:__quota');
    expect(() => quotaKeyOf(tenant, crm, placeTenantModule(spec, tenant, crm, 'none'))).toThrow(InvalidKey);
  });

  it('a data key of another tenant-module is refused before any command', () => {
    const p = placeTenantModule(spec, tenant, crm);
    const other = parseTenantId('acme2');
    const po = placeTenantModule(spec, other, crm);
    expect(() => quotaKeysFor(tenant, crm, p, buildDataKey(other, crm, po, users, '1'))).toThrow(InvalidKey);
    expect(() => quotaKeysFor(tenant, crm, p, quotaKeyOf(tenant, crm, p).replace('__quota', ''))).toThrow(InvalidKey);
  });
});

describe('quota script errors', () => {
  const q = 'cliente:acme:crm:{1a}:__quota';
  it('QUOTA replies become QuotaExceeded naming the counts', () => {
    const e = mapQuotaError(new Error(`QUOTA 50/50 keys in ${q}`), q);
    expect(e).toBeInstanceOf(QuotaExceeded);
    expect((e as QuotaExceeded).message).toContain('50 of 50 keys');
    expect((e as QuotaExceeded).rule).toBe('max-keys');
  });
  it('NOPERM and ACL script errors become PermissionDenied; BADKEY InvalidKey; others pass through', () => {
    expect(mapQuotaError(new Error('NOPERM the user may not run the quota write'), q)).toBeInstanceOf(PermissionDenied);
    expect(
      mapQuotaError(new Error("ERR The user executing the script can't run this command or subcommand script: abc"), q),
    ).toBeInstanceOf(PermissionDenied);
    expect(mapQuotaError(new Error('BADKEY x is not under y'), q)).toBeInstanceOf(InvalidKey);
    const other = new Error("CROSSSLOT Keys in request don't hash to the same slot");
    expect(mapQuotaError(other, q)).toBe(other);
  });
});

describe('quota scripts', () => {
  it('are Redis 7 shebang scripts with stable shas; the write script reads its limits, checks the ACL, then prunes and writes', () => {
    expect(QUOTA_SET_LUA.startsWith('#!lua\n')).toBe(true);
    expect(QUOTA_SCRIPTS.count.lua.startsWith('#!lua flags=no-writes\n')).toBe(true);
    expect(new Set(Object.values(QUOTA_SCRIPTS).map((s) => s.sha)).size).toBe(4);
    expect(QUOTA_SCRIPTS.set.sha).toMatch(/^[0-9a-f]{40}$/);
    const i = (s: string) => QUOTA_SET_LUA.indexOf(s);
    expect(i("redis.call('HMGET', lkey")).toBeGreaterThan(0);
    expect(i("redis.call('HMGET', lkey")).toBeLessThan(i("redis.acl_check_cmd('SETEX'"));
    expect(i("redis.acl_check_cmd('SETEX'")).toBeLessThan(i("redis.call('ZREM'"));
    expect(i("redis.call('ZRANGE', zkey, '-inf', '(' .. now, 'BYSCORE', 'LIMIT', 0, 100)")).toBeLessThan(
      i("redis.call('ZCOUNT', zkey, now"),
    );
    expect(i("redis.call('SETEX', dkey")).toBeLessThan(i("redis.call('ZADD', zkey, redis.call('PEXPIRETIME', dkey), member)"));
    // No limit from the caller: the only ARGV are the value and the TTL.
    expect(QUOTA_SET_LUA).not.toMatch(/ARGV\[3\]/);
  });

  it('every script checks its key count first, before any redis.call', () => {
    for (const s of Object.values(QUOTA_SCRIPTS)) {
      const bound = s.lua.search(/if #KEYS [>~]/);
      expect(bound, s.name).toBeGreaterThan(0);
      expect(bound, s.name).toBeLessThan(s.lua.indexOf('redis.call('));
      expect(bound, s.name).toBeLessThan(s.lua.indexOf('redis.acl_check_cmd(') === -1 ? Infinity : s.lua.indexOf('redis.acl_check_cmd('));
    }
    expect(QUOTA_SCRIPTS.del.lua).toContain(`if #KEYS > ${1 + QUOTA_MAX_KEYS_PER_CALL} then`);
    expect(QUOTA_SCRIPTS.reconcile.lua).toContain(`if #KEYS > ${1 + QUOTA_MAX_KEYS_PER_CALL} then`);
    expect(QUOTA_MAX_KEYS_PER_CALL).toBe(1000);
  });
});

describe('quota limits (server side)', () => {
  it('the limits key is outside cliente:<id>:*, in the zset slot, and named by quotaKeysFor', () => {
    for (const strategy of ['module-shard', 'tenant-slot'] as const) {
      const p = placeTenantModule(spec, tenant, crm, strategy);
      const keys = quotaKeysFor(tenant, crm, p, buildDataKey(tenant, crm, p, users, 'k'));
      expect(keys.limitsKey).toBe(`tenant-limits:acme:crm:{${p.tag}}`);
      expect(keys.limitsKey).toBe(limitsKeyOf(tenant, crm, p));
      expect(slotOf(keys.limitsKey)).toBe(slotOf(keys.quotaKey));
      expect(keys.limitsKey.startsWith('cliente:')).toBe(false);
    }
    expect(() => limitsKeyOf(tenant, crm, placeTenantModule(spec, tenant, crm, 'none'))).toThrow(InvalidKey);
  });

  it("TTL ceilings are each data type's larger channel TTL; maxKeys is the caller's number, written by the admin", () => {
    const l = quotaLimitsFromSpec(spec, crm, 123);
    expect(l.maxKeys).toBe(123);
    for (const dt of dataTypesOf(spec, crm)) {
      const d = parseDataType(spec, crm, dt);
      expect(l.ttlCeiling[dt], dt).toBe(Math.max(ttlSeconds(spec, crm, d, 'mobile'), ttlSeconds(spec, crm, d, 'web')));
    }
  });

  it('one limits key per module of the plan, from the meta', () => {
    const meta = buildTenantMeta(spec, tenant, parsePlan(spec, 'pro'), 'mobile', new Date(0));
    const entries = tenantQuotaLimits(spec, meta);
    expect(entries.map((e) => e.module)).toEqual(meta.modules);
    expect(entries.every((e) => e.limits.maxKeys === meta.maxKeys)).toBe(true);
  });

  it('TOOMANY and NOLIMITS replies become clear tenancy errors', () => {
    const q = 'cliente:acme:crm:{1a}:__quota';
    const many = mapQuotaError(new Error('TOOMANY quota-del takes at most 1000 data keys per call, got 1001'), q);
    expect(many).toBeInstanceOf(InvalidKey);
    expect((many as InvalidKey).rule).toBe('quota-keys-per-call');
    const none = mapQuotaError(new Error('NOLIMITS tenant-limits:acme:crm:{1a} holds no quota limits'), q);
    expect(none).toBeInstanceOf(NotProvisioned);
    expect((none as NotProvisioned).rule).toBe('quota-limits');
    expect((none as NotProvisioned).message).toContain('tenant create');
  });
});
