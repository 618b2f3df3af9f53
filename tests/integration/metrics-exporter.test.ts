import { get } from 'node:http';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortFree } from '../../src/cluster/index.js';
import { HarnessError } from '../../src/errors.js';
import { startExporterFromOptions } from '../../src/commands/exporter.js';
import { PROBE_USER, SERVED_METRICS, startExporter, TenantMetrics, type Exporter } from '../../src/metrics/index.js';
import { createTenant, openAdminSession, parsePlan, removeTenant, type AdminSession } from '../../src/provision/index.js';
import {
  buildDataKey,
  limitsKeyOf,
  quotaLimitsFromSpec,
  writeQuotaLimits,
  buildTenantMeta,
  metaKey,
  parseDataType,
  parseModule,
  parseTenantId,
  placeTenantModule,
} from '../../src/tenancy/index.js';
import { closeQuotaCluster, openQuotaCluster } from '../../src/tenancy/quota-cluster.js';
import { loadQuotaScripts, quotaKeysFor, quotaSet } from '../../src/tenancy/quota-script.js';
import { startChannelTraffic, type ChannelTraffic } from '../../suites/quota/channel-traffic.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

let c: TestCluster;
let exporter: Exporter | undefined;
let admin: AdminSession | undefined;
const traffic: ChannelTraffic[] = [];

const HTTP_BASE = Number(process.env.CACHE_HARNESS_HTTP_PORT_BASE ?? 9190);

/** A free HTTP port in this file's share (base..base+29) of the HTTP range. */
async function freeHttpPort(from: number, to: number): Promise<number> {
  for (let p = from; p <= to; p++) if (await isPortFree(p)) return p;
  throw new Error(`no free port in ${from}-${to}`);
}

function httpGet(url: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type'] ?? '') }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** The value of one exact series line in Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  c = await startTestCluster(3);
  const admin = await openQuotaCluster({ seeds: c.target.seeds, password: c.run.password, autoPipelining: true });
  try {
    for (const [id, plan, n] of [
      ['expbasic', 'basic', 300],
      ['exppro', 'pro', 120],
    ] as const) {
      const tenant = parseTenantId(id);
      await admin.set(metaKey(tenant), JSON.stringify(buildTenantMeta(c.spec, tenant, parsePlan(c.spec, plan), 'mobile', new Date())));
      const crm = parseModule(c.spec, 'crm');
      const pl = placeTenantModule(c.spec, tenant, crm);
      const users = parseDataType(c.spec, crm, 'users');
      await writeQuotaLimits(admin, limitsKeyOf(tenant, crm, pl), quotaLimitsFromSpec(c.spec, crm, 100_000));
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          quotaSet(admin, quotaKeysFor(tenant, crm, pl, buildDataKey(tenant, crm, pl, users, `u${i}`)), 'x'.repeat(100), 600),
        ),
      );
    }
    // a tenant with keys but no meta
    const ghost = parseTenantId('expghost');
    const wa = parseModule(c.spec, 'whatsapp');
    const gp = placeTenantModule(c.spec, ghost, wa);
    for (let i = 0; i < 5; i++) await admin.set(buildDataKey(ghost, wa, gp, parseDataType(c.spec, wa, 'media'), `m${i}`), 'x', 'EX', 600);
  } finally {
    await closeQuotaCluster(admin);
  }
});
afterAll(async () => {
  for (const t of traffic) await t.close().catch(() => undefined);
  await exporter?.close();
  await admin?.close();
  await c?.stop();
});

describe('exporter', () => {
  it('`exporter --port-base B` alone: usage, probe latency, connections and mobile ratio of TenantCache traffic in another thread, per-node signals', async () => {
    // Two tenants provisioned for real, their TenantCache traffic (mobile, web) in worker threads of their own.
    admin = await openAdminSession(c.target);
    await loadQuotaScripts(admin.nodes.map((n) => n.client));
    const made = [];
    for (const id of ['expmob', 'expweb']) {
      const r = await createTenant(admin, c.spec, { id, plan: 'basic' });
      if (r.status !== 'created') throw new Error(`${id}: ${r.status}`);
      made.push(r);
    }
    const [mob, web] = made;
    if (!mob || !web) throw new Error('tenants not created');
    for (const [r, channel] of [
      [mob, 'mobile'],
      [web, 'web'],
    ] as const)
      traffic.push(
        await startChannelTraffic({
          spec: c.spec,
          target: c.target,
          meta: r.meta,
          password: r.password,
          module: 'crm',
          channel,
          ratePerSec: 50,
        }),
      );
    const [mobTraffic, webTraffic] = traffic;
    if (!mobTraffic || !webTraffic) throw new Error('no traffic');

    const port = await freeHttpPort(HTTP_BASE, HTTP_BASE + 29);
    const run = async () => {
      exporter = await startExporterFromOptions(
        { port, portBase: c.portBase, interval: 60, accountingInterval: 60, probeMax: 1000 },
        () => undefined,
      );
      const snap = await exporter.refresh();
      const probe = await exporter.refreshLive();
      const res = await httpGet(exporter.url);
      return { snap, probe, res };
    };
    const web2 = webTraffic.during(20_000, async () => (await mobTraffic.during(20_000, run)).value);
    const { snap, probe, res } = (await web2).value;
    expect(exporter?.url).toBe(`http://127.0.0.1:${port}/metrics`);
    // data + metas + quota zsets + quota limits keys of the hand-written tenants, plus what the two real ones hold
    expect(snap?.tenantModules.find((r) => r.tenant === 'expbasic' && r.module === 'crm')?.keys).toBe(300);
    // every module in the plan of each tenant with meta: expbasic, expmob, expweb 2 (basic), exppro 5 (pro)
    expect(probe).toMatchObject({ probed: 11, targets: 11, errors: 0 });
    expect(res.status).toBe(200);
    expect(res.type).toContain('text/plain');
    const t = res.body;
    expect(sample(t, 'redis_client_keys_total{client_id="expbasic",module="crm",plan="basic"}')).toBe(300);
    expect(sample(t, 'redis_client_keys_limit{client_id="expbasic",module="crm",plan="basic"}')).toBe(10_000);
    expect(sample(t, 'redis_client_keys_total{client_id="expbasic",module="whatsapp",plan="basic"}')).toBe(0);
    expect(sample(t, 'redis_client_keys_total{client_id="exppro",module="crm",plan="pro"}')).toBe(120);
    expect(sample(t, 'redis_client_keys_limit{client_id="exppro",module="analytics",plan="pro"}')).toBe(50_000);
    expect(sample(t, 'redis_client_memory_limit_bytes{client_id="exppro",module="crm",plan="pro"}')).toBe(50 * 1024 * 1024);
    expect(sample(t, 'redis_client_memory_usage_bytes{client_id="expbasic",module="crm",plan="basic"}')).toBeGreaterThan(300 * 100);
    expect(sample(t, 'redis_client_keys_total{client_id="expghost",module="whatsapp",plan="unknown"}')).toBe(5);
    expect(t).not.toContain('redis_client_keys_limit{client_id="expghost"');
    expect(t).not.toContain('__quota');
    // The six seed metrics for the real tenants, with client_id/module/plan (mobile ratio: client_id), from the cluster alone.
    const L = 'client_id="expmob",module="crm",plan="basic"';
    expect(sample(t, `redis_client_keys_total{${L}}`)).toBeGreaterThanOrEqual(0); // its traffic may not have written yet
    expect(sample(t, `redis_client_memory_usage_bytes{${L}}`)).toBeGreaterThanOrEqual(0);
    expect(sample(t, `redis_client_keys_limit{${L}}`)).toBe(10_000);
    expect(sample(t, `redis_client_memory_limit_bytes{${L}}`)).toBe(10 * 1024 * 1024);
    // a SET and a GET of the probe per round (one round or two by now), all under the 1 s timeout
    const probes = sample(t, `redis_client_latency_seconds_count{${L}}`) ?? 0;
    expect([2, 4]).toContain(probes);
    expect(sample(t, `redis_client_latency_seconds_bucket{le="1",${L}}`)).toBe(probes);
    // Connections per tenant and channel (CLIENT LIST): the traffic threads' TenantCache connections.
    const conns = (id: string) =>
      t
        .split('\n')
        .filter((l) => l.startsWith(`redis_client_connections{client_id="${id}",`))
        .map((l) => ({ channel: /channel="([^"]+)"/.exec(l)?.[1] ?? '', n: Number(l.split(' ').pop()) }));
    for (const id of ['expmob', 'expweb']) {
      const rows = conns(id);
      const all = rows.reduce((a, r) => a + r.n, 0);
      expect(all, `${id} connections`).toBeGreaterThan(0);
      const mobile = rows.find((r) => r.channel === 'mobile')?.n ?? 0;
      expect(sample(t, `redis_client_mobile_ratio{client_id="${id}"}`), `${id} mobile ratio`).toBeCloseTo((100 * mobile) / all, 6);
      // TenantCache names every connection with the channel it was opened with (CLIENT SETNAME, granted by the ACL)
      expect(rows.map((r) => r.channel)).toEqual([id === 'expmob' ? 'mobile' : 'web']);
    }
    expect(t).not.toContain('redis_client_mobile_ratio{client_id="expbasic"}'); // no connection, no ratio
    // Per-node signals, one series per node of the cluster.
    const nodes = t.split('\n').filter((l) => l.startsWith(`${SERVED_METRICS.nodeUp.name}{`));
    expect(nodes).toHaveLength(6);
    expect(nodes.every((l) => l.endsWith(' 1'))).toBe(true);
    expect(sample(t, `redis_memory_max_bytes{node="127.0.0.1:${c.portBase}"}`)).toBe(2 * 1024 ** 3);
    expect(sample(t, `redis_config_maxclients{node="127.0.0.1:${c.portBase}"}`)).toBe(4000);
    expect(t.split('\n').filter((l) => l.startsWith('redis_master_link_up{') && l.endsWith(' 1'))).toHaveLength(3);
    expect(sample(t, 'cache_harness_accounting_up')).toBe(1);
    expect(sample(t, 'cache_harness_live_read_up')).toBe(1);
    expect(sample(t, 'redis_client_accounting_age_seconds')).toBeLessThan(30);
    expect((await httpGet(exporter?.url.replace('/metrics', '/nope') ?? '')).status).toBe(404);
    // The probe runs as its own user, on every node; the exporter removes it when it stops.
    const users = await admin.nodes[0]?.client.call('ACL', 'USERS');
    expect(users).toContain(PROBE_USER);
    for (const r of made) await removeTenant(admin, r.meta.tenant);
  });

  it('listens on 127.0.0.1 only: another local address of this host is refused', async () => {
    if (!exporter) throw new Error('no exporter');
    const port = exporter.port;
    const other = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (!other) return; // no non-loopback address on this host
    const outcome = await new Promise<string>((resolve) => {
      const s = connect({ host: other, port });
      s.setTimeout(2000, () => {
        s.destroy();
        resolve('timeout');
      });
      s.on('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(outcome).toBe('ECONNREFUSED');
  });

  it('a port in use is a HarnessError; a failing accounting sets cache_harness_accounting_up 0 and keeps serving', async () => {
    if (!exporter) throw new Error('no exporter');
    await expect(
      startExporter({ port: exporter.port, metrics: new TenantMetrics(), modules: Object.keys(c.spec.modules) }),
    ).rejects.toBeInstanceOf(HarnessError);
    const port = await freeHttpPort(exporter.port + 1, HTTP_BASE + 29);
    const m = new TenantMetrics();
    const broken = await startExporter({
      port,
      metrics: m,
      target: { ...c.target, password: 'wrong-password' },
      intervalSeconds: 60,
      modules: Object.keys(c.spec.modules),
    });
    try {
      expect(await broken.refresh()).toBeNull();
      expect(broken.lastError()).toMatch(/authentication failed|WRONGPASS/);
      const res = await httpGet(broken.url);
      expect(res.status).toBe(200);
      expect(sample(res.body, 'cache_harness_accounting_up')).toBe(0);
    } finally {
      await broken.close();
    }
  });
});
