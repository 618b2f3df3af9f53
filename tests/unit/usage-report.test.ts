import { describe, expect, it } from 'vitest';
import { opsCountsByTenant, parseLabels } from '../../src/metrics/client-ops.js';
import type { TenantConnections } from '../../src/metrics/client-list.js';
import { buildUsageReport, usageCsv } from '../../src/metrics/usage-report.js';
import type { TenantModuleUsage, UsageSnapshot } from '../../src/metrics/usage.js';
import { renderUsageHtml } from '../../src/report/usage-html.js';

const MiB = 1024 * 1024;

function tm(tenant: string, plan: string | null, module: string, keys: number, memoryBytes: number, limit = 10_000): TenantModuleUsage {
  return {
    tenant,
    module,
    plan,
    inPlan: plan !== null,
    placementTag: null,
    keys,
    bytesEstimate: memoryBytes,
    sampledKeys: Math.min(keys, 32),
    keysLimit: plan === null ? null : limit,
    memoryLimitBytes: plan === null ? null : 10 * MiB,
    keysRatio: plan === null ? null : keys / limit,
    memoryBytes,
    memoryRatio: plan === null ? null : memoryBytes / (10 * MiB),
    quotaKeyBytes: null,
    quotaEntries: plan === null ? null : keys,
    quotaEntriesRatio: null,
  };
}

const snapshot: UsageSnapshot = {
  takenAt: '2026-11-30T09:00:00.000Z',
  durationMs: 1200,
  masters: [],
  keysScanned: 9000,
  tenants: [
    { tenant: 'acme', plan: 'basic' },
    { tenant: 'b,"quoted"', plan: 'pro' },
    { tenant: 'idle', plan: 'basic' },
  ],
  tenantModules: [
    tm('acme', 'basic', 'whatsapp', 9000, 9.5 * MiB),
    tm('acme', 'basic', 'crm', 100, 0.1 * MiB),
    tm('b,"quoted"', 'pro', 'crm', 500, 2 * MiB, 50_000),
    tm('ghost', null, 'crm', 3, 300),
  ],
  quotaKeys: 0,
  metaKeys: 3,
  otherKeys: 0,
  malformedKeys: 0,
};
const connections: TenantConnections[] = [
  { tenant: 'acme', channel: 'mobile', connections: 3 },
  { tenant: 'acme', channel: 'web', connections: 1 },
  { tenant: 'stranger', channel: 'unknown', connections: 2 },
];

describe('usage report (pure)', () => {
  it('sums per tenant, keeps each module against its limits, and ranks by memory', () => {
    const r = buildUsageReport(snapshot, connections, null, 2);
    expect(r.tenants.map((t) => t.tenant)).toEqual(['acme', 'b,"quoted"', 'ghost', 'idle', 'stranger']);
    const acme = r.tenants[0];
    expect(acme?.keys).toBe(9100);
    expect(acme?.memory_bytes).toBeCloseTo(9.6 * MiB);
    expect(acme?.modules.map((m) => [m.module, m.keys_pct, m.memory_pct])).toEqual([
      ['crm', 1, 1],
      ['whatsapp', 90, 95],
    ]);
    expect(acme?.connections).toEqual({ mobile: 3, web: 1, unknown: 0 });
    expect(acme?.mobile_pct).toBe(75);
    // No meta: no limits, shown as such; connected but holding nothing: still listed.
    expect(r.tenants.find((t) => t.tenant === 'ghost')?.modules[0]).toMatchObject({ keys_limit: null, keys_pct: null });
    expect(r.tenants.find((t) => t.tenant === 'stranger')).toMatchObject({ plan: null, keys: 0, mobile_pct: 0 });
    expect(r.tenants.find((t) => t.tenant === 'idle')).toMatchObject({ keys: 0, mobile_pct: null, ops_per_s: null });
    expect(r.top_by_memory.map((t) => t.tenant)).toEqual(['acme', 'b,"quoted"']);
    expect(r.top_by_ops).toBeNull();
    expect(r.ops_note).toContain('--client-metrics');
  });

  it('ranks by ops when the client metrics were read; a tenant they did not name has 0', () => {
    const r = buildUsageReport(
      snapshot,
      connections,
      {
        perTenant: new Map([
          ['b,"quoted"', 40],
          ['acme', 12.5],
        ]),
        source: 'test',
      },
      10,
    );
    expect(r.top_by_ops).toEqual([
      { tenant: 'b,"quoted"', ops_per_s: 40 },
      { tenant: 'acme', ops_per_s: 12.5 },
    ]);
    expect(r.tenants.find((t) => t.tenant === 'idle')?.ops_per_s).toBe(0);
  });

  it('CSV: one line per tenant-module, RFC 4180 quoting, a tenant without modules on one line', () => {
    const lines = usageCsv(buildUsageReport(snapshot, connections, null)).split('\r\n');
    expect(lines[0]).toBe(
      'tenant,plan,module,keys,keys_limit,keys_pct,memory_bytes,memory_limit_bytes,memory_pct,quota_entries,mobile_connections,web_connections,unknown_connections,mobile_pct,ops_per_s',
    );
    expect(lines.filter((l) => l.startsWith('acme,'))).toHaveLength(2);
    expect(lines.find((l) => l.startsWith('"b,""quoted"""'))).toBeDefined();
    expect(lines.find((l) => l.startsWith('idle,'))).toBe('idle,basic,,,,,,,,,0,0,0,,');
    expect(lines.at(-1)).toBe('');
  });

  it('HTML: every tenant, escaped; the ops ranking says why it is missing; limits coloured', () => {
    const html = renderUsageHtml(buildUsageReport(snapshot, connections, null));
    expect(html).toContain('<h1>Usage: 5 tenants</h1>');
    expect(html).toContain('b,&quot;quoted&quot;');
    expect(html).not.toContain('b,"quoted"');
    expect(html).toContain('<b>not measured:</b> ops per tenant need');
    expect(html).toContain('<td class="inconclusive">95.0%</td>');
  });
});

describe('client metrics (ops per tenant)', () => {
  it('sums the op-count series per client_id, escapes undone', () => {
    const text = [
      '# HELP cache_harness_client_op_duration_seconds x',
      'cache_harness_client_op_duration_seconds_bucket{le="0.1",client_id="a",module="crm",plan="basic",channel="mobile",op="get"} 5',
      'cache_harness_client_op_duration_seconds_count{client_id="a",module="crm",plan="basic",channel="mobile",op="get"} 10',
      'cache_harness_client_op_duration_seconds_count{client_id="a",module="crm",plan="basic",channel="web",op="set"} 4',
      'cache_harness_client_op_duration_seconds_count{client_id="q\\"x",module="crm",plan="pro",channel="web",op="set"} 7',
      'cache_harness_client_op_duration_seconds_sum{client_id="a",module="crm",plan="basic",channel="web",op="set"} 0.2',
    ].join('\n');
    expect([...opsCountsByTenant(text)]).toEqual([
      ['a', 14],
      ['q"x', 7],
    ]);
    expect(parseLabels('a="1",b="x\\\\y\\n"')).toEqual(
      new Map([
        ['a', '1'],
        ['b', 'x\\y\n'],
      ]),
    );
  });
});
