import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import {
  accountMasters,
  ChannelWindow,
  classifyKey,
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

describe('ChannelWindow (redis_client_mobile_ratio)', () => {
  it('percent of mobile ops per tenant-module over the window; old ops age out; idle tenant-modules disappear', () => {
    let now = 1_000_000;
    const w = new ChannelWindow(300, () => now);
    const a = { client_id: 'a', module: 'crm', plan: 'basic' };
    const b = { client_id: 'b', module: 'crm', plan: 'pro' };
    for (let i = 0; i < 3; i++) w.record(a, 'mobile');
    w.record(a, 'web');
    w.record(b, 'web');
    expect(w.ratios()).toEqual([
      { labels: a, percent: 75, ops: 4 },
      { labels: b, percent: 0, ops: 1 },
    ]);
    now += 200_000;
    w.record(a, 'web', 4);
    expect(w.ratios().find((r) => r.labels.client_id === 'a')).toEqual({ labels: a, percent: 37.5, ops: 8 });
    now += 150_000; // the first ops are now 350 s old
    expect(w.ratios()).toEqual([{ labels: a, percent: 0, ops: 4 }]);
    now += 400_000;
    expect(w.ratios()).toEqual([]);
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
      keys: 9500,
      bytesEstimate: 1_200_000,
      sampledKeys: 32,
      keysLimit: 10_000,
      memoryLimitBytes: 10 * 1024 * 1024,
      keysRatio: 0.95,
      memoryRatio: 1_200_000 / (10 * 1024 * 1024),
      quotaKeyBytes: 1_100_000,
    },
    {
      tenant: 'ghost',
      module: 'crm',
      plan: null,
      inPlan: false,
      keys: 7,
      bytesEstimate: 700,
      sampledKeys: 7,
      keysLimit: null,
      memoryLimitBytes: null,
      keysRatio: null,
      memoryRatio: null,
      quotaKeyBytes: null,
    },
  ],
};

describe('TenantMetrics', () => {
  it('exports the usage snapshot with client_id/module/plan labels; no limit series for a tenant without meta', async () => {
    const m = new TenantMetrics();
    m.applyUsage(snapshot);
    const text = await m.registry.metrics();
    expect(text).toContain('redis_client_keys_total{client_id="b1",module="crm",plan="basic"} 9500');
    expect(text).toContain('redis_client_keys_limit{client_id="b1",module="crm",plan="basic"} 10000');
    expect(text).toContain('redis_client_memory_usage_bytes{client_id="b1",module="crm",plan="basic"} 1200000');
    expect(text).toContain('redis_client_memory_limit_bytes{client_id="b1",module="crm",plan="basic"} 10485760');
    expect(text).toContain('redis_client_keys_total{client_id="ghost",module="crm",plan="unknown"} 7');
    expect(text).not.toContain('redis_client_keys_limit{client_id="ghost"');
    expect(text).toContain('cache_harness_accounting_keys_scanned 12000');
    expect(text).toContain('cache_harness_accounting_up 1');
    // a later snapshot without ghost drops its series
    m.applyUsage({ ...snapshot, tenantModules: snapshot.tenantModules.slice(0, 1) });
    expect(await m.registry.metrics()).not.toContain('client_id="ghost"');
  });

  it('observeOp feeds the latency histogram, the per-channel counter and the mobile ratio', async () => {
    const m = new TenantMetrics();
    const op = { tenant: 'b1', module: 'crm', plan: 'basic' } as const;
    m.observeOp({ ...op, channel: 'mobile', seconds: 0.0004 });
    m.observeOp({ ...op, channel: 'mobile', seconds: 0.15 });
    m.observeOp({ ...op, channel: 'web', seconds: 0.002 });
    m.observeOp({ ...op, channel: 'web', seconds: 0.003 });
    const text = await m.registry.metrics();
    expect(text).toContain('redis_client_latency_seconds_bucket{le="0.0005",client_id="b1",module="crm",plan="basic"} 1');
    expect(text).toContain('redis_client_latency_seconds_bucket{le="0.1",client_id="b1",module="crm",plan="basic"} 3');
    expect(text).toContain('redis_client_latency_seconds_bucket{le="0.2",client_id="b1",module="crm",plan="basic"} 4');
    expect(text).toContain('redis_client_latency_seconds_count{client_id="b1",module="crm",plan="basic"} 4');
    expect(text).toContain('redis_client_ops_total{client_id="b1",module="crm",plan="basic",channel="mobile"} 2');
    expect(text).toContain('redis_client_mobile_ratio{client_id="b1",module="crm",plan="basic"} 50');
    m.accountingFailed();
    expect(await m.registry.metrics()).toContain('cache_harness_accounting_up 0');
  });
});

/** Just what accountMasters calls on a node: SCAN, DBSIZE and a pipeline of GET / MEMORY USAGE. */
function fakeNode(keys: Map<string, string>): MasterConnection {
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
        call: (_memory: string, _usage: string, k: string) => {
          replies.push([null, keys.has(k) ? 100 : null]);
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
    const series = (await m.registry.metrics()).split('\n').filter((l) => l.startsWith('redis_client_keys_total{'));
    expect(series).toEqual([
      'redis_client_keys_total{client_id="acme",module="crm",plan="unknown"} 5',
      'redis_client_keys_total{client_id="acme",module="unknown",plan="unknown"} 3000',
    ]);
    // Without the spec's modules (accounting for a report, not the exporter), each name is its own row.
    expect((await accountMasters([fakeNode(keys)], { scanCount: 500 })).tenantModules).toHaveLength(3001);
  });
});
