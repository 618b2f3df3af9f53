import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientMetrics, metricsHandler } from '../../src/client-metrics/index.js';
import { NotProvisioned, PermissionDenied, QuotaExceeded, tenantOpError, type TenantOp } from '../../src/tenancy/index.js';

const op = (o: Partial<TenantOp>): TenantOp => ({
  op: 'get',
  tenant: 'acme',
  module: 'crm',
  plan: 'basic',
  channel: 'mobile',
  seconds: 0.0004,
  error: null,
  ...o,
});

describe('client metrics', () => {
  it('counts each op in a histogram by tenant, module, plan, channel and op, and failures by reason', async () => {
    const m = new ClientMetrics();
    m.observe(op({}));
    m.observe(op({ seconds: 0.15 }));
    m.observe(op({ op: 'set', channel: 'web', seconds: 0.002, error: 'QuotaExceeded' }));
    const text = await m.metrics();
    const get = 'client_id="acme",module="crm",plan="basic",channel="mobile",op="get"';
    expect(text).toContain(`cache_harness_client_op_duration_seconds_count{${get}} 2`);
    expect(text).toContain(`cache_harness_client_op_duration_seconds_bucket{le="0.0005",${get}} 1`);
    expect(text).toContain(`cache_harness_client_op_duration_seconds_bucket{le="0.2",${get}} 2`);
    expect(text).toMatch(new RegExp(`cache_harness_client_op_duration_seconds_sum\\{${get}\\} 0\\.1504`));
    const set = 'client_id="acme",module="crm",plan="basic",channel="web",op="set"';
    expect(text).toContain(`cache_harness_client_op_duration_seconds_count{${set}} 1`);
    expect(text).toContain(`cache_harness_client_op_errors_total{${set},error="QuotaExceeded"} 1`);
    // No error series for the ops that succeeded.
    expect(text).not.toContain(`cache_harness_client_op_errors_total{${get}`);
    m.reset();
    expect(await m.metrics()).not.toContain('client_id="acme"');
  });

  it('names failures with a bounded set of reasons', () => {
    expect(tenantOpError(new QuotaExceeded('full', 'quota'))).toBe('QuotaExceeded');
    expect(tenantOpError(new PermissionDenied('NOPERM', 'acl'))).toBe('PermissionDenied');
    expect(tenantOpError(new NotProvisioned('gone', 'acl-user'))).toBe('NotProvisioned');
    expect(tenantOpError(new Error('Command timed out'))).toBe('other');
    expect(tenantOpError('a string')).toBe('other');
  });
});

describe('metricsHandler', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  /** An application's own server on loopback, mounting the handler at /metrics. */
  async function serve(m: ClientMetrics): Promise<string> {
    const handler = metricsHandler(m);
    server = createServer((req, res) => {
      if (req.url === '/metrics') return handler(req, res);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server?.listen({ host: '127.0.0.1', port: 0 }, r));
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no port');
    return `http://127.0.0.1:${addr.port}/metrics`;
  }

  it("serves the registry in Prometheus's text format; HEAD has no body; other methods are 405", async () => {
    const m = new ClientMetrics();
    m.observe(op({ tenant: 'served' }));
    const url = await serve(m);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const body = await res.text();
    expect(body).toContain('# TYPE cache_harness_client_op_duration_seconds histogram');
    expect(body).toContain('client_id="served"');
    expect(body).toBe(await m.metrics());
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(url, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
