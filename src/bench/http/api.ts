import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Cluster } from 'ioredis';
import type { Spec } from '../../spec/index.js';
import {
  buildKey,
  InvalidKey,
  NotProvisioned,
  parseChannel,
  parseModule,
  parseTenantId,
  PermissionDenied,
  placeTenantModule,
  QuotaExceeded,
  TenancyError,
  TenantCache,
  ttlSeconds,
  parseDataType,
  type Channel,
  type JsonValue,
  type Placement,
} from '../../tenancy/index.js';
import type { Target } from '../../cluster/index.js';
import type { TenantCredentials } from '../drivers/index.js';
import { latencyHistogram, type Histogram } from '../histograms.js';
import { memo } from '../prng.js';
import { errorMessage } from '../../errors.js';
import { clientMetrics, metricsHandler, type ClientMetrics } from '../../client-metrics/index.js';
import { tenantOpError, type TenantOpError, type TenantOpName } from '../../tenancy/tenant-op.js';

/** `raw`: the harness's admin ioredis Cluster with tenancy keys; `tenant-cache`: TenantCache as each tenant's ACL user. */
export type EdgeBackend = { kind: 'raw'; cluster: Cluster } | { kind: 'tenant-cache'; tenants: TenantCredentials[]; target: Target };

export interface EdgeApiOptions {
  spec: Spec;
  backend: EdgeBackend;
  host: '127.0.0.1';
  /** 0: any free port. */
  port: number;
  /** Plan of a tenant, for the histogram groups ('-' when unknown). */
  planOf?: (tenant: string) => string;
  maxBodyBytes?: number;
  /**
   * The client metrics every GET/PUT is reported to (through TenantCache, or by the API itself on the raw
   * backend) and that `GET /metrics` serves. Default: the process's `clientMetrics()`; null: none, and no route.
   */
  metrics?: ClientMetrics | null;
}

export interface EdgeCell {
  op: 'get' | 'set';
  module: string;
  channel: Channel;
  plan: string;
  hist: Histogram;
}

export interface EdgeApi {
  url: string;
  /** Server-side latency, request received → response finished, µs, per op × module × channel × plan. */
  cells(): EdgeCell[];
  /** Forget what was recorded (after a warm-up). */
  reset(): void;
  close(): Promise<void>;
}

const ROUTE = /^\/v1\/tenants\/([^/]+)\/([^/]+)\/([^/]+)\/([^/?]+)$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A reference mobile API: `GET|PUT /v1/tenants/:id/:module/:type/:key`, channel from `x-client-channel`
 * (mobile by default). GET answers the stored bytes (raw) or JSON (tenant-cache), 404 when missing; PUT
 * stores the body with the tier's TTL and answers 204. Invalid ids, modules and types are 400.
 */
export async function startEdgeApi(o: EdgeApiOptions): Promise<EdgeApi> {
  const maxBody = o.maxBodyBytes ?? 1024 * 1024;
  const cells = new Map<string, EdgeCell>();
  const placements = new Map<string, Placement>();
  const caches = new Map<string, Promise<TenantCache>>();
  const creds =
    o.backend.kind === 'tenant-cache' ? new Map(o.backend.tenants.map((t) => [t.tenant, t])) : new Map<string, TenantCredentials>();
  const planOf = o.planOf ?? (() => '-');
  const metrics = o.metrics === undefined ? clientMetrics() : o.metrics;
  const serveMetrics = metrics === null ? null : metricsHandler(metrics);
  /** The raw backend's Redis call, reported like TenantCache reports its own. */
  const rawOp = async <T>(op: TenantOpName, tenant: string, module: string, channel: Channel, call: () => Promise<T>): Promise<T> => {
    if (metrics === null) return call();
    const t0 = performance.now();
    let error: TenantOpError | null = null;
    try {
      return await call();
    } catch (err) {
      error = tenantOpError(err);
      throw err;
    } finally {
      metrics.observe({ op, tenant, module, plan: planOf(tenant), channel, seconds: (performance.now() - t0) / 1000, error });
    }
  };

  const cacheFor = (tenant: string, module: string, channel: Channel): Promise<TenantCache> => {
    const id = `${tenant}|${module}|${channel}`;
    let c = caches.get(id);
    if (!c) {
      const cred = creds.get(tenant);
      if (!cred || o.backend.kind !== 'tenant-cache') throw new HttpError(404, `tenant ${tenant} is not provisioned`);
      c = TenantCache.open({
        spec: o.spec,
        seeds: o.backend.target.seeds,
        tenant,
        module,
        channel,
        aclUser: cred.aclUser,
        password: cred.password,
        meta: cred.meta,
        metrics,
      });
      caches.set(id, c);
      c.catch(() => caches.delete(id));
    }
    return c;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, started: number): Promise<void> => {
    if (serveMetrics !== null && req.url === '/metrics') {
      serveMetrics(req, res);
      return;
    }
    const m = ROUTE.exec(req.url ?? '');
    if (!m) throw new HttpError(404, `no such route; use /v1/tenants/:id/:module/:type/:key${serveMetrics === null ? '' : ' or /metrics'}`);
    if (req.method !== 'GET' && req.method !== 'PUT') throw new HttpError(405, 'GET or PUT');
    const [, rawTenant = '', rawModule = '', rawType = '', rawKey = ''] = m;
    const tenant = parseTenantId(decodeURIComponent(rawTenant));
    const module = parseModule(o.spec, decodeURIComponent(rawModule));
    const dataType = parseDataType(o.spec, module, decodeURIComponent(rawType));
    const userKey = decodeURIComponent(rawKey);
    const channel = parseChannel(String(req.headers['x-client-channel'] ?? 'mobile'));
    const op: EdgeCell['op'] = req.method === 'GET' ? 'get' : 'set';
    const plan = planOf(tenant);
    const cellId = `${op}|${module}|${channel}|${plan}`;
    res.once('finish', () => {
      memo(cells, cellId, (): EdgeCell => ({ op, module, channel, plan, hist: latencyHistogram() })).hist.recordValue(
        Math.max(1, Math.round((performance.now() - started) * 1000)),
      );
    });

    if (o.backend.kind === 'raw') {
      const pid = `${tenant}|${module}`;
      const placement = memo(placements, pid, () => placeTenantModule(o.spec, tenant, module));
      const key = buildKey(o.spec, tenant, module, placement, dataType, userKey);
      if (op === 'get') {
        const cluster = o.backend.cluster;
        const v = await rawOp('get', tenant, module, channel, () => cluster.getBuffer(key));
        if (v === null) throw new HttpError(404, 'not found');
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': v.length }).end(v);
      } else {
        const body = await readBody(req, maxBody);
        const cluster = o.backend.cluster;
        await rawOp('set', tenant, module, channel, () => cluster.set(key, body, 'EX', ttlSeconds(o.spec, module, dataType, channel)));
        res.writeHead(204).end();
      }
      return;
    }
    const cache = await cacheFor(tenant, module, channel);
    if (op === 'get') {
      const v = await cache.get(dataType, userKey);
      if (v === undefined) throw new HttpError(404, 'not found');
      const text = Buffer.from(JSON.stringify(v));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': text.length }).end(text);
    } else {
      const body = await readBody(req, maxBody);
      let value: JsonValue;
      try {
        value = JSON.parse(body.toString('utf8')) as JsonValue;
      } catch {
        throw new HttpError(400, 'the body must be JSON');
      }
      await cache.set(dataType, userKey, value);
      res.writeHead(204).end();
    }
  };

  const server: Server = createServer((req, res) => {
    const started = performance.now();
    handle(req, res, started).catch((err: unknown) => {
      const status = statusOf(err);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const text = Buffer.from(JSON.stringify({ error: errorMessage(err), ...(err instanceof TenancyError ? { rule: err.rule } : {}) }));
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': text.length }).end(text);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: o.host, port: o.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : o.port;
  return {
    url: `http://${o.host}:${port}`,
    cells: () => [...cells.values()],
    reset: () => cells.clear(),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.all(
        [...caches.values()].map((c) =>
          c.then(
            (x) => x.close(),
            () => undefined,
          ),
        ),
      );
    },
  };
}

function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof InvalidKey) return 400;
  if (err instanceof NotProvisioned) return 404;
  if (err instanceof PermissionDenied) return 403;
  if (err instanceof QuotaExceeded) return 429;
  return 503;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    req.on('data', (b: Buffer) => {
      n += b.length;
      if (n > max) {
        reject(new HttpError(413, `body larger than ${max} bytes`));
        req.destroy();
        return;
      }
      parts.push(b);
    });
    req.on('end', () => resolve(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, n)));
    req.on('error', reject);
  });
}
