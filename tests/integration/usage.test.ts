import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionMeasured } from '../../src/capacity/memory.js';
import { isPortFree } from '../../src/cluster/index.js';
import { startExporter, type Exporter } from '../../src/metrics/index.js';
import type { UsageReport } from '../../src/metrics/usage-report.js';
import { openAdminSession, type AdminSession } from '../../src/provision/index.js';
import { dataTypesOf, parseModule, TenantCache } from '../../src/tenancy/index.js';
import { runProgram } from '../support/cli.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// `usage` and the exporter read one cluster: their numbers must be the same. Tenants provisioned through the real
// provisioner, written through TenantCache (fewer keys per tenant-module than the accounting samples, so the
// memory figure is exact, not a sample, on both sides), their caches left open on both channels while both read.

const HTTP_BASE = Number(process.env.CACHE_HARNESS_HTTP_PORT_BASE ?? 9190) + 60;

let tc: TestCluster;
let admin: AdminSession;
let exporter: Exporter | undefined;
const caches: TenantCache[] = [];

beforeAll(async () => {
  tc = await startTestCluster(86);
  admin = await openAdminSession(tc.target);
});
afterAll(async () => {
  await Promise.all(caches.map((c) => c.close()));
  await exporter?.close();
  await admin?.close();
  await tc?.stop();
});

/** Every `name{labels} value` line of one metric, keyed by its label text. */
function series(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    out.set(line.slice(name.length, close + 1), Number(line.slice(close + 1)));
  }
  return out;
}

describe('usage report against the exporter', () => {
  it('per tenant-module keys, limits and memory, and per tenant connections and mobile share, equal what /metrics serves', async () => {
    const tenants = await provisionMeasured(admin, tc.spec, [
      { id: 'usage-basic', plan: 'basic', channel: 'mobile' },
      { id: 'usage-pro', plan: 'pro', channel: 'web' },
    ]);
    // usage-basic: 2 mobile caches, 1 web; usage-pro: 1 web; 7 and 11 keys per module written.
    const plan = [
      ['usage-basic', 'crm', 'mobile', 7],
      ['usage-basic', 'whatsapp', 'mobile', 7],
      ['usage-basic', 'crm', 'web', 0],
      ['usage-pro', 'agendamento', 'web', 11],
    ] as const;
    for (const [id, module, channel, keys] of plan) {
      const t = tenants.find((x) => x.tenant === id);
      if (!t) throw new Error(`${id} was not provisioned`);
      const cache = await TenantCache.open({
        spec: tc.spec,
        seeds: tc.target.seeds,
        tenant: id,
        module,
        channel,
        aclUser: t.aclUser,
        password: t.password,
        meta: t.meta,
      });
      caches.push(cache);
      const dt = dataTypesOf(tc.spec, parseModule(tc.spec, module))[0] ?? '';
      for (let i = 0; i < keys; i++) await cache.set(dt, `k${i}`, { i, text: 'x'.repeat(40 * i) });
      await cache.get(dt, 'k0'); // every cache has sent a command: its connection is open and named
    }

    const dir = mkdtempSync(join(tmpdir(), 'usage-'));
    const r = await runProgram([
      'usage',
      '--port-base',
      String(tc.portBase),
      '--json',
      join(dir, 'u.json'),
      '--csv',
      join(dir, 'u.csv'),
      '--html',
      join(dir, 'u.html'),
    ]);
    expect(r.error, r.stderr).toBeUndefined();
    const report = JSON.parse(readFileSync(join(dir, 'u.json'), 'utf8')) as UsageReport;

    let port = HTTP_BASE;
    while (!(await isPortFree(port))) port++;
    exporter = await startExporter({
      port,
      target: tc.target,
      modules: Object.keys(tc.spec.modules),
      intervalSeconds: 3600,
      accountingIntervalSeconds: 3600,
    });
    await exporter.refresh();
    await exporter.refreshLive();
    const text = await (await fetch(exporter.url)).text();

    const keys = series(text, 'redis_client_keys_total');
    const limits = series(text, 'redis_client_keys_limit');
    const memory = series(text, 'redis_client_memory_usage_bytes');
    const rows = report.tenants.flatMap((t) =>
      t.modules.map((m) => ({ t, m, labels: `{client_id="${t.tenant}",module="${m.module}",plan="${t.plan}"}` })),
    );
    expect(rows.map((x) => x.labels).sort()).toEqual([...keys.keys()].sort());
    for (const { m, labels } of rows) {
      expect(m.keys, labels).toBe(keys.get(labels));
      expect(m.keys_limit, labels).toBe(limits.get(labels));
      expect(m.memory_bytes, labels).toBeCloseTo(memory.get(labels) ?? NaN, 6);
    }
    expect(report.tenants.find((t) => t.tenant === 'usage-basic')?.modules.map((m) => [m.module, m.keys])).toEqual([
      ['crm', 7],
      ['whatsapp', 7],
    ]);

    const conns = series(text, 'redis_client_connections');
    const ratio = series(text, 'redis_client_mobile_ratio');
    for (const t of report.tenants) {
      for (const ch of ['mobile', 'web', 'unknown'] as const)
        expect(t.connections[ch], `${t.tenant} ${ch}`).toBe(conns.get(`{client_id="${t.tenant}",channel="${ch}"}`) ?? 0);
      expect(t.mobile_pct, t.tenant).toBeCloseTo(ratio.get(`{client_id="${t.tenant}"}`) ?? NaN, 6);
    }
    // TenantCache names its connections: every one has a known channel, and the basic tenant has both.
    const basic = report.tenants.find((t) => t.tenant === 'usage-basic');
    expect(basic?.connections.unknown).toBe(0);
    expect(basic?.connections.mobile).toBeGreaterThan(0);
    expect(basic?.connections.web).toBeGreaterThan(0);
    const byMemory = [...report.tenants].sort((a, b) => b.memory_bytes - a.memory_bytes).map((t) => t.tenant);
    expect(report.top_by_memory.map((t) => t.tenant)).toEqual(byMemory);
    expect(report.top_by_ops).toBeNull();
    expect(readFileSync(join(dir, 'u.csv'), 'utf8').split('\r\n')[0]).toMatch(/^tenant,plan,module,keys,keys_limit/);
    expect(readFileSync(join(dir, 'u.html'), 'utf8')).toContain('<h1>Usage: 2 tenants</h1>');
  }, 60_000);
});
