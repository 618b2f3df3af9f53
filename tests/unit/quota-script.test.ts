import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/spec/index.js';
import {
  buildDataKey,
  InvalidKey,
  parseDataType,
  parseModule,
  parseTenantId,
  PermissionDenied,
  placeTenantModule,
  QuotaExceeded,
  slotOf,
} from '../../src/tenancy/index.js';
import { isQuotaKey, mapQuotaError, QUOTA_SCRIPTS, QUOTA_SET_LUA, quotaKeyOf, quotaKeysFor } from '../../src/tenancy/quota-script.js';

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
  it('are Redis 7 shebang scripts with stable shas; the write script prunes by expiry and checks the ACL before writing', () => {
    expect(QUOTA_SET_LUA.startsWith('#!lua\n')).toBe(true);
    expect(QUOTA_SCRIPTS.count.lua.startsWith('#!lua flags=no-writes\n')).toBe(true);
    expect(new Set(Object.values(QUOTA_SCRIPTS).map((s) => s.sha)).size).toBe(4);
    expect(QUOTA_SCRIPTS.set.sha).toMatch(/^[0-9a-f]{40}$/);
    const i = (s: string) => QUOTA_SET_LUA.indexOf(s);
    expect(i("redis.acl_check_cmd('SET'")).toBeGreaterThan(0);
    expect(i("redis.acl_check_cmd('SET'")).toBeLessThan(i("redis.call('ZREMRANGEBYSCORE'"));
    expect(i("redis.call('ZREMRANGEBYSCORE', zkey, '-inf', '(' .. now)")).toBeLessThan(i("redis.call('ZCARD', zkey)"));
    expect(i("redis.call('SET', dkey")).toBeLessThan(i("redis.call('ZADD', zkey, redis.call('PEXPIRETIME', dkey), member)"));
  });
});
