import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { parsePlan } from '../../src/provision/index.js';
import { loadSpec } from '../../src/spec/index.js';
import { buildTenantMeta, parseTenantId } from '../../src/tenancy/index.js';
import {
  accountMasters,
  classifyKey,
  QUOTA_EXACT_BYTES_MAX_MEMBERS,
  TenantMetrics,
  UNKNOWN_MODULE,
  type MasterConnection,
  type UsageSnapshot,
} from '../../src/metrics/index.js';

describe('classifyKey', () => {
  it('data keys give tenant and module, whatever the user key holds', () => {
    expect(classifyKey('cliente:acme:crm:{1a2}:users:42')).toEqual({ kind: 'data', tenant: 'acme', module: 'crm' });
    expect(classifyKey('cliente:acme:crm:{1a2}:users:__quota')).toEqual({ kind: 'data', tenant: 'acme', module: 'crm' });
    expect(classifyKey('cliente:acme:crm:{1a2}:users:a:{b}:__quota')).toEqual({ kind: 'data', tenant: 'acme', module: 'crm' });
    expect(classifyKey('cliente:acme:crm:users:42')).toEqual({ kind: 'data', tenant: 'acme', module: 'crm' });
  });
  it('the quota zset is bookkeeping, not a tenant key', () => {
    expect(classifyKey('cliente:acme:crm:{1a2}:__quota')).toEqual({ kind: 'quota', tenant: 'acme', module: 'crm' });
    expect(classifyKey('cliente:acme:crm:__quota')).toEqual({ kind: 'quota', tenant: 'acme', module: 'crm' });
  });
  it('meta, malformed and foreign keys', () => {
    expect(classifyKey('tenant-meta:acme')).toEqual({ kind: 'meta', tenant: 'acme' });
    expect(classifyKey('tenant-meta:a*b')).toEqual({ kind: 'other' });
    expect(classifyKey('cliente:acme')).toEqual({ kind: 'malformed' });
    expect(classifyKey('cliente:acme:crm')).toEqual({ kind: 'malformed' });
    expect(classifyKey('cliente:acme:crm:')).toEqual({ kind: 'malformed' });
    expect(classifyKey('cliente:1*:crm:x:y')).toEqual({ kind: 'malformed' });
    expect(classifyKey('cliente::crm:x')).toEqual({ kind: 'malformed' });
    expect(classifyKey('key:000001')).toEqual({ kind: 'other' });
  });
});

const snapshot: UsageSnapshot = {
  takenAt: '2026-01-01T00:00:00.000Z',
  durationMs: 1500,
  masters: [],
  keysScanned: 12_000,
  quotaKeys: 1,
  metaKeys: 1,
  otherKeys: 0,
  malformedKeys: 0,
  tenants: [
    { tenant: 'b1', plan: 'basic' },
    { tenant: 'ghost', plan: null, metaProblem: 'no tenant-meta key' },
  ],
  tenantModules: [
    {
      tenant: 'b1',
      module: 'crm',
      plan: 'basic',
      inPlan: true,
      placementTag: 'x1',
      keys: 9500,
      bytesEstimate: 1_200_000,
      sampledKeys: 32,
      keysLimit: 10_000,
      memoryLimitBytes: 10 * 1024 * 1024,
      keysRatio: 0.95,
      memoryBytes: 2_300_000,
      memoryRatio: 2_300_000 / (10 * 1024 * 1024),
      quotaKeyBytes: 1_100_000,
      quotaEntries: 9_400,
      quotaEntriesRatio: 0.94,
    },
    {
      tenant: 'b1',
      module: 'whatsapp',
      plan: 'basic',
      inPlan: true,
      placementTag: 'x1',
      keys: 3,
      bytesEstimate: 300,
      sampledKeys: 3,
      keysLimit: 10_000,
      memoryLimitBytes: 10 * 1024 * 1024,
      keysRatio: 0.0003,
      memoryBytes: 1_300_300,
      memoryRatio: 1_300_300 / (10 * 1024 * 1024),
      quotaKeyBytes: 1_300_000,
      quotaEntries: 10_053,
      quotaEntriesRatio: 1.0053,
    },
    {
      tenant: 'ghost',
      module: 'crm',
      plan: null,
      inPlan: false,
      placementTag: null,
      keys: 7,
      bytesEstimate: 700,
      sampledKeys: 7,
      keysLimit: null,
      memoryLimitBytes: null,
      keysRatio: null,
      memoryBytes: 700,
      memoryRatio: null,
      quotaKeyBytes: null,
      quotaEntries: null,
      quotaEntriesRatio: null,
    },
  ],
};

describe('TenantMetrics', () => {
  it('exports the usage snapshot with client_id/module/plan labels; no limit series for a tenant without meta', async () => {
    const m = new TenantMetrics();
    m.applyUsage(snapshot);
    const text = await m.text();
    expect(text).toContain('redis_client_keys_total{client_id="b1",module="crm",plan="basic"} 9500');
    expect(text).toContain('redis_client_keys_limit{client_id="b1",module="crm",plan="basic"} 10000');
    // the data keys' estimate plus the quota zset's bytes (its bookkeeping is the tenant's memory too)
    expect(text).toContain('redis_client_memory_usage_bytes{client_id="b1",module="crm",plan="basic"} 2300000');
    expect(text).toContain('redis_client_memory_limit_bytes{client_id="b1",module="crm",plan="basic"} 10485760');
    expect(text).toContain('redis_client_keys_total{client_id="ghost",module="crm",plan="unknown"} 7');
    expect(text).not.toContain('redis_client_keys_limit{client_id="ghost"');
    expect(text).toContain('redis_client_quota_entries{client_id="b1",module="crm",plan="basic"} 9400');
    expect(text).toContain('redis_client_quota_entries{client_id="b1",module="whatsapp",plan="basic"} 10053');
    expect(text).toMatch(
      /^# HELP redis_client_quota_entries .*above redis_client_keys_limit it means members written outside the quota scripts/m,
    );
    expect(text).not.toContain('redis_client_quota_entries{client_id="ghost"');
    expect(text).toContain('cache_harness_accounting_keys_scanned 12000');
    expect(text).toContain('cache_harness_accounting_up 1');
    // a later snapshot without ghost drops its series
    m.applyUsage({ ...snapshot, tenantModules: snapshot.tenantModules.slice(0, 1) });
    expect(await m.text()).not.toContain('client_id="ghost"');
    expect(await m.text()).not.toContain('redis_client_quota_entries{client_id="b1",module="whatsapp"');
  });

  it('the probe feeds the latency histogram and the error counter; CLIENT LIST the connections and the mobile ratio', async () => {
    let now = 1_000_000;
    const m = new TenantMetrics({ now: () => now });
    const target = { tenant: 'b1', module: 'crm', plan: 'basic', key: 'cache-harness-probe:b1:crm:{x}' };
    m.observeProbe({ target, op: 'set', seconds: 0.0004 });
    m.observeProbe({ target, op: 'get', seconds: 0.15 });
    m.observeProbe({ target, op: 'get', seconds: 1.0, error: 'Command timed out' });
    m.applyConnections([
      { tenant: 'b1', channel: 'mobile', connections: 3 },
      { tenant: 'b1', channel: 'unknown', connections: 1 },
      { tenant: 'w1', channel: 'web', connections: 2 },
    ]);
    let text = await m.text();
    expect(text).toContain('redis_client_latency_seconds_bucket{le="0.0005",client_id="b1",module="crm",plan="basic"} 1');
    expect(text).toContain('redis_client_latency_seconds_bucket{le="0.2",client_id="b1",module="crm",plan="basic"} 2');
    expect(text).toContain('redis_client_latency_seconds_count{client_id="b1",module="crm",plan="basic"} 3');
    expect(text).toContain('redis_client_probe_errors_total{client_id="b1",module="crm",plan="basic"} 1');
    expect(text).toMatch(/^# HELP redis_client_latency_seconds The exporter's synthetic probe/m);
    expect(text).toContain('redis_client_connections{client_id="b1",channel="mobile"} 3');
    expect(text).toContain('redis_client_mobile_ratio{client_id="b1"} 75');
    expect(text).toContain('redis_client_mobile_ratio{client_id="w1"} 0');
    // no accounting yet: no age; then the age grows with the clock, not with scrapes
    expect(text).toMatch(/^redis_client_accounting_age_seconds nan$/im); // prom-client writes "Nan"; Prometheus reads any case
    m.applyUsage({ ...snapshot, takenAt: new Date(now - 3000).toISOString(), durationMs: 1000 });
    now += 5000;
    text = await m.text();
    expect(text).toMatch(/^redis_client_accounting_age_seconds 7$/m);
    // a tenant whose connections are gone loses both series
    m.applyConnections([{ tenant: 'w1', channel: 'web', connections: 1 }]);
    text = await m.text();
    expect(text).not.toContain('redis_client_connections{client_id="b1"');
    expect(text).not.toContain('redis_client_mobile_ratio{client_id="b1"');
    // the tenant-module is no longer a probe target (tenant removed): its probe series go
    m.retainProbeSeries([{ ...target, tenant: 'other' }]);
    text = await m.text();
    expect(text).not.toContain('redis_client_latency_seconds_count{client_id="b1"');
    expect(text).not.toContain('redis_client_probe_errors_total{client_id="b1"');
    m.accountingFailed();
    expect(await m.text()).toContain('cache_harness_accounting_up 0');
  });
});

/** Just what accountMasters calls on a node: SCAN, DBSIZE and a pipeline of GET / MEMORY USAGE / ZCARD. `zsets`: members per zset key. */
function fakeNode(keys: Map<string, string>, zsets = new Map<string, number>(), calls: string[][] = []): MasterConnection {
  const all = [...keys.keys()];
  const node = {
    options: { host: '127.0.0.1', port: 1 },
    scan: (cursor: string, _count: 'COUNT', count: number) => {
      const from = Number(cursor);
      const next = from + count >= all.length ? '0' : String(from + count);
      return Promise.resolve([next, all.slice(from, from + count)]);
    },
    dbsize: () => Promise.resolve(all.length),
    pipeline: () => {
      const replies: Array<[null, unknown]> = [];
      const p = {
        get: (k: string) => {
          replies.push([null, keys.get(k) ?? null]);
          return p;
        },
        call: (...args: string[]) => {
          calls.push(args);
          replies.push([null, keys.has(args[2] ?? '') ? 100 : null]);
          return p;
        },
        zcard: (k: string) => {
          replies.push([null, zsets.get(k) ?? 0]);
          return p;
        },
        exec: () => Promise.resolve(replies),
      };
      return p;
    },
  };
  return { address: '127.0.0.1:1', client: node as unknown as Redis };
}

describe('the module label takes only the spec’s modules', () => {
  it('3,000 made-up module names of one tenant give one module="unknown" series', async () => {
    const keys = new Map<string, string>();
    for (let i = 0; i < 3000; i++) keys.set(`cliente:acme:made-up-${i}:{x}:users:1`, 'v');
    for (let i = 0; i < 5; i++) keys.set(`cliente:acme:crm:{x}:users:${i}`, 'v');
    const snap = await accountMasters([fakeNode(keys)], { modules: ['crm', 'whatsapp'], scanCount: 500 });
    expect(snap.tenantModules.map((r) => [r.module, r.keys])).toEqual([
      ['crm', 5],
      [UNKNOWN_MODULE, 3000],
    ]);
    const m = new TenantMetrics();
    m.applyUsage(snap);
    const series = (await m.text()).split('\n').filter((l) => l.startsWith('redis_client_keys_total{'));
    expect(series).toEqual([
      'redis_client_keys_total{client_id="acme",module="crm",plan="unknown"} 5',
      'redis_client_keys_total{client_id="acme",module="unknown",plan="unknown"} 3000',
    ]);
    // Without the spec's modules (accounting for a report, not the exporter), each name is its own row.
    expect((await accountMasters([fakeNode(keys)], { scanCount: 500 })).tenantModules).toHaveLength(3001);
  });
});

describe('quotaEntries: ZCARD of the quota zsets, against the plan’s maxKeys', () => {
  const spec = loadSpec();
  const meta = (id: string) => JSON.stringify(buildTenantMeta(spec, parseTenantId(id), parsePlan(spec, 'basic'), 'mobile', new Date(0)));

  it('reads each quota zset’s members beside its MEMORY USAGE; ratio over the plan’s maxKeys; null without a zset or a meta', async () => {
    const keys = new Map<string, string>([
      ['tenant-meta:honest', meta('honest')],
      ['tenant-meta:hostile', meta('hostile')],
      ['cliente:honest:crm:{a}:__quota', 'zset'],
      ['cliente:hostile:crm:{b}:__quota', 'zset'],
      ['cliente:ghost:crm:{c}:__quota', 'zset'],
    ]);
    for (let i = 0; i < 4; i++) keys.set(`cliente:honest:crm:{a}:users:${i}`, 'v');
    const zsets = new Map([
      ['cliente:honest:crm:{a}:__quota', 4],
      ['cliente:hostile:crm:{b}:__quota', 10_050],
      ['cliente:ghost:crm:{c}:__quota', 3],
    ]);
    const calls: string[][] = [];
    const snap = await accountMasters([fakeNode(keys, zsets, calls)], { modules: ['crm', 'whatsapp'] });
    // Exact bytes (every member walked) up to QUOTA_EXACT_BYTES_MAX_MEMBERS; a bigger zset is sampled, the walk stays bounded.
    const usageOf = (k: string) => calls.find((c) => c[2] === k);
    expect(usageOf('cliente:honest:crm:{a}:__quota')).toEqual(['MEMORY', 'USAGE', 'cliente:honest:crm:{a}:__quota', 'SAMPLES', '0']);
    zsets.set('cliente:hostile:crm:{b}:__quota', QUOTA_EXACT_BYTES_MAX_MEMBERS + 1);
    calls.length = 0;
    await accountMasters([fakeNode(keys, zsets, calls)], { modules: ['crm', 'whatsapp'] });
    expect(usageOf('cliente:hostile:crm:{b}:__quota')).toEqual(['MEMORY', 'USAGE', 'cliente:hostile:crm:{b}:__quota']);
    const row = (t: string, m: string) => snap.tenantModules.find((r) => r.tenant === t && r.module === m);
    expect(row('honest', 'crm')).toMatchObject({
      keys: 4,
      keysLimit: 10_000,
      quotaEntries: 4,
      quotaEntriesRatio: 0.0004,
      quotaKeyBytes: 100,
    });
    expect(row('hostile', 'crm')).toMatchObject({ keys: 0, keysLimit: 10_000, quotaEntries: 10_050, quotaEntriesRatio: 1.005 });
    // a plan module with no quota zset yet, and a tenant without meta
    expect(row('honest', 'whatsapp')).toMatchObject({ quotaEntries: null, quotaEntriesRatio: null, quotaKeyBytes: null });
    expect(row('ghost', 'crm')).toMatchObject({ keysLimit: null, quotaEntries: 3, quotaEntriesRatio: null });
  });

  it('quota zsets under made-up module names add up in the one module="unknown" series', async () => {
    const keys = new Map<string, string>([['tenant-meta:acme', meta('acme')]]);
    const zsets = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      keys.set(`cliente:acme:made-up-${i}:{x}:__quota`, 'zset');
      zsets.set(`cliente:acme:made-up-${i}:{x}:__quota`, 40);
    }
    const snap = await accountMasters([fakeNode(keys, zsets)], { modules: ['crm', 'whatsapp'], scanCount: 100 });
    expect(snap.tenantModules.find((r) => r.module === UNKNOWN_MODULE)).toMatchObject({ quotaEntries: 12_000, quotaEntriesRatio: 1.2 });
    const m = new TenantMetrics();
    m.applyUsage(snap);
    const series = (await m.text()).split('\n').filter((l) => l.startsWith('redis_client_quota_entries{'));
    expect(series).toEqual(['redis_client_quota_entries{client_id="acme",module="unknown",plan="basic"} 12000']);
  });
});
