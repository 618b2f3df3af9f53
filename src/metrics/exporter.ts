import { createServer, type Server } from 'node:http';
import type { Target } from '../cluster/index.js';
import { HarnessError, errorMessage } from '../errors.js';
import { redact } from '../redact.js';
import { tenantMetrics, type TenantMetrics } from './tenant-metrics.js';
import { accountUsage, type AccountingOptions, type UsageSnapshot } from './usage.js';

/** The exporter binds loopback only, whatever the caller asks. */
export const EXPORTER_HOST = '127.0.0.1';

export interface ExporterOptions {
  port: number;
  /** Default: the process-wide metrics (`tenantMetrics()`), which `observeTenantOp` feeds. */
  metrics?: TenantMetrics;
  /** The cluster to account; without one only the ops observed in this process are exported. */
  target?: Target;
  /** Seconds between accountings (each one SCANs every master; scrapes never trigger one). */
  intervalSeconds?: number;
  /** The spec's modules: the only values of the `module` label (others count as `unknown`). */
  modules: readonly string[];
  accounting?: Omit<AccountingOptions, 'modules'>;
  log?: (line: string) => void;
}

export interface Exporter {
  url: string;
  port: number;
  /** Run one accounting now (joins the one in flight, if any). */
  refresh(): Promise<UsageSnapshot | null>;
  lastSnapshot(): UsageSnapshot | null;
  lastError(): string | null;
  close(): Promise<void>;
}

/**
 * Serve `/metrics` (Prometheus text format) on 127.0.0.1:<port>, and refresh the usage series every
 * `intervalSeconds` in the background. The first accounting starts at once; `refresh()` awaits one.
 */
export async function startExporter(o: ExporterOptions): Promise<Exporter> {
  const metrics = o.metrics ?? tenantMetrics();
  const log = o.log ?? (() => undefined);
  const intervalMs = Math.max(1, o.intervalSeconds ?? 15) * 1000;
  let last: UsageSnapshot | null = null;
  let lastErr: string | null = null;
  let inFlight: Promise<UsageSnapshot | null> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const refresh = (): Promise<UsageSnapshot | null> => {
    if (!o.target) return Promise.resolve(null);
    const target = o.target;
    inFlight ??= accountUsage(target, { ...o.accounting, modules: o.modules })
      .then(
        (s) => {
          last = s;
          lastErr = null;
          metrics.applyUsage(s);
          log(
            `accounted ${s.keysScanned} keys on ${s.masters.length} masters in ${s.durationMs} ms (${s.tenantModules.length} tenant-modules)`,
          );
          return s;
        },
        (err: unknown) => {
          lastErr = redact(errorMessage(err)); // served on / and logged
          metrics.accountingFailed();
          log(`accounting failed: ${lastErr}`);
          return null;
        },
      )
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
  const schedule = (): void => {
    if (closed || !o.target) return;
    timer = setTimeout(() => {
      void refresh().finally(schedule);
    }, intervalMs);
    timer.unref();
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : text);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${errorMessage(err)}\n`);
        },
      );
      return;
    }
    if (path === '/') {
      const status = last ? `last accounting ${last.takenAt}, ${last.keysScanned} keys, ${last.durationMs} ms` : 'no accounting yet';
      res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(`cache-harness exporter: GET /metrics\n${status}${lastErr ? `\nlast error: ${lastErr}` : ''}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await listen(server, o.port);

  void refresh().finally(schedule);
  return {
    url: `http://${EXPORTER_HOST}:${o.port}/metrics`,
    port: o.port,
    refresh,
    lastSnapshot: () => last,
    lastError: () => lastErr,
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      await inFlight;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new HarnessError(`port ${EXPORTER_HOST}:${port} is in use`, 'choose another --port') : err);
    });
    server.listen({ host: EXPORTER_HOST, port, exclusive: true }, () => resolve());
  });
}
