import { get } from 'node:http';
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortFree } from '../../src/cluster/index.js';
import { HarnessError } from '../../src/errors.js';
import { startExporterFromOptions } from '../../src/commands/exporter.js';
import { observeTenantOp, startExporter, TenantMetrics, type Exporter } from '../../src/metrics/index.js';
import { parsePlan } from '../../src/provision/index.js';
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
import { quotaKeysFor, quotaSet } from '../../src/tenancy/quota-script.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

let c: TestCluster;
let exporter: Exporter | undefined;

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
  await exporter?.close();
  await c?.stop();
});

describe('exporter', () => {
  it('`exporter --port-base B` serves the usage of the local cluster on /metrics', async () => {
    const port = await freeHttpPort(HTTP_BASE, HTTP_BASE + 29);
    exporter = await startExporterFromOptions({ port, portBase: c.portBase, interval: 60 }, () => undefined);
    expect(exporter.url).toBe(`http://127.0.0.1:${port}/metrics`);
    const snap = await exporter.refresh();
    expect(snap?.keysScanned).toBe(300 + 120 + 5 + 2 + 2 + 2); // data + metas + quota zsets + quota limits keys
    observeTenantOp({ tenant: 'expbasic', module: 'crm', plan: 'basic', channel: 'mobile', seconds: 0.0007 });
    observeTenantOp({ tenant: 'expbasic', module: 'crm', plan: 'basic', channel: 'web', seconds: 0.12 });
    const res = await httpGet(exporter.url);
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
    expect(sample(t, 'redis_client_mobile_ratio{client_id="expbasic",module="crm",plan="basic"}')).toBe(50);
    expect(sample(t, 'redis_client_latency_seconds_bucket{le="0.001",client_id="expbasic",module="crm",plan="basic"}')).toBe(1);
    expect(sample(t, 'redis_client_latency_seconds_bucket{le="0.2",client_id="expbasic",module="crm",plan="basic"}')).toBe(2);
    expect(sample(t, 'cache_harness_accounting_up')).toBe(1);
    expect((await httpGet(exporter.url.replace('/metrics', '/nope'))).status).toBe(404);
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
