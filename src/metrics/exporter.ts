import { createServer, type Server } from 'node:http';
import type { Cluster, Redis } from 'ioredis';
import { closeNode, connectClusterClient, discoverNodes, targetCredentials, connectNode, type Target } from '../cluster/index.js';
import { HarnessError, errorMessage } from '../errors.js';
import { generatePassword, sha256Hex } from '../provision/secrets.js';
import { redact } from '../redact.js';
import { readLiveCluster } from './live-read.js';
import { NodeMetrics } from './node-metrics.js';
import {
  DEFAULT_PROBE_OPTIONS,
  dropProbeUser,
  ensureProbeUser,
  probeRound,
  ProbeRotation,
  probeTargets,
  PROBE_USER,
  type ProbeOptions,
  type ProbeRoundResult,
} from './probe.js';
import { TenantMetrics } from './tenant-metrics.js';
import { accountUsage, type AccountingOptions, type UsageSnapshot } from './usage.js';

/** The exporter binds loopback only, whatever the caller asks. */
export const EXPORTER_HOST = '127.0.0.1';
export const DEFAULT_INTERVAL_SECONDS = 15;
export const DEFAULT_ACCOUNTING_INTERVAL_SECONDS = 120;

export interface ExporterOptions {
  port: number;
  /** Default: a new TenantMetrics (own Registry). */
  metrics?: TenantMetrics;
  /** The cluster to read; without one only the HTTP side runs (tests). */
  target?: Target;
  /** Seconds between reads of the live cluster: CLIENT LIST and INFO on every node, then a probe round. */
  intervalSeconds?: number;
  /** Seconds between usage accountings (each one SCANs every master; scrapes never trigger one). */
  accountingIntervalSeconds?: number;
  /** The spec's modules: the only values of the `module` label (others count as `unknown`). */
  modules: readonly string[];
  accounting?: Omit<AccountingOptions, 'modules'>;
  probe?: Partial<ProbeOptions>;
  log?: (line: string) => void;
}

export interface Exporter {
  url: string;
  port: number;
  /** Run one accounting now (joins the one in flight, if any). */
  refresh(): Promise<UsageSnapshot | null>;
  /** Run one read of the live cluster and one probe round now (joins the one in flight, if any). */
  refreshLive(): Promise<ProbeRoundResult | null>;
  lastSnapshot(): UsageSnapshot | null;
  lastError(): string | null;
  close(): Promise<void>;
}

/** A background job run on its own timer; a run asked for while one is in flight joins it. */
function periodic<T>(intervalMs: number, run: () => Promise<T>): { now(): Promise<T>; start(): void; stop(): Promise<void> } {
  let inFlight: Promise<T> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const now = (): Promise<T> => {
    inFlight ??= run().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => void now().finally(schedule), intervalMs);
    timer.unref();
  };
  return {
    now,
    start: () => {
      if (!stopped) void now().finally(schedule);
    },
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight?.catch(() => undefined);
    },
  };
}

/**
 * Serve `/metrics` (Prometheus text format) on 127.0.0.1:<port>. Two background jobs feed it, each on its own
 * interval, and both start at once: the usage accounting (SCAN of every master, `accountingIntervalSeconds`)
 * and the live read (CLIENT LIST + INFO + LATENCY LATEST on every node, then a probe round,
 * `intervalSeconds`). A scrape only serializes what they left: it never touches the cluster.
 */
export async function startExporter(o: ExporterOptions): Promise<Exporter> {
  const metrics = o.metrics ?? new TenantMetrics();
  const nodeMetrics = new NodeMetrics(metrics.registry);
  const log = o.log ?? (() => undefined);
  const probe: ProbeOptions = { ...DEFAULT_PROBE_OPTIONS, ...o.probe };
  const intervalMs = Math.max(1, o.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS) * 1000;
  const accountingMs = Math.max(1, o.accountingIntervalSeconds ?? DEFAULT_ACCOUNTING_INTERVAL_SECONDS) * 1000;
  // The probe user's password lives in this process only (its SHA-256 on the nodes), never printed.
  const probePassword = generatePassword();
  const probeSha = sha256Hex(probePassword);
  const rotation = new ProbeRotation();
  let probeClient: Cluster | null = null;
  let last: UsageSnapshot | null = null;
  let lastErr: string | null = null;
  let lastLiveErr: string | null = null;

  const accounting = periodic(accountingMs, async (): Promise<UsageSnapshot | null> => {
    if (!o.target) return null;
    try {
      const s = await accountUsage(o.target, { ...o.accounting, modules: o.modules });
      last = s;
      lastErr = null;
      metrics.applyUsage(s);
      metrics.retainProbeSeries(probeTargets(s));
      log(
        `accounted ${s.keysScanned} keys on ${s.masters.length} masters in ${s.durationMs} ms (${s.tenantModules.length} tenant-modules)`,
      );
      return s;
    } catch (err) {
      lastErr = redact(errorMessage(err)); // served on / and logged
      metrics.accountingFailed();
      log(`accounting failed: ${lastErr}`);
      return null;
    }
  });

  const probeOnce = async (target: Target): Promise<ProbeRoundResult | null> => {
    const all = last ? probeTargets(last) : [];
    if (all.length === 0) return null;
    probeClient ??= await connectClusterClient(
      target.seeds,
      { username: PROBE_USER, password: probePassword },
      { readyCheck: false, commandTimeoutMs: probe.timeoutMs, autoPipelining: false },
    );
    const keyTtlMs = Math.max(60_000, 4 * intervalMs);
    const r = await probeRound(
      probeClient,
      rotation.next(all, probe.maxPerRound),
      all.length,
      { concurrency: probe.concurrency, keyTtlMs },
      (s) => metrics.observeProbe(s),
    );
    metrics.probeRoundDone(r);
    if (r.errors === r.probed * 2) {
      // Nothing answered: reconnect next round (the slot map or the user may have changed).
      const c = probeClient;
      probeClient = null;
      await closeNode(c);
    }
    return r;
  };

  const live = periodic(intervalMs, async (): Promise<ProbeRoundResult | null> => {
    if (!o.target) return null;
    const target = o.target;
    try {
      let userError: string | null = null;
      const read = await readLiveCluster(target, (nodes) =>
        ensureProbeUser(nodes, probeSha).catch((err: unknown) => {
          userError = `creating the probe user: ${errorMessage(err)}`; // the probe then fails and says so too
        }),
      );
      metrics.applyConnections(read.connections);
      nodeMetrics.apply(read.nodes);
      const r = await probeOnce(target);
      metrics.liveUp.set(read.failures.length === 0 ? 1 : 0);
      const problems = [
        ...read.failures.map((f) => `${f.node}: ${f.error}`),
        ...(userError ? [userError] : []),
        ...(r?.firstError ? [`probe: ${r.firstError} (${r.errors} errors)`] : []),
      ];
      lastLiveErr = problems.length ? redact(problems.join('; ')) : null;
      if (lastLiveErr) log(`live read: ${lastLiveErr}`);
      return r;
    } catch (err) {
      metrics.liveUp.set(0);
      lastLiveErr = redact(errorMessage(err));
      log(`live read failed: ${lastLiveErr}`);
      return null;
    }
  });

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      metrics.chunks().then(
        (chunks) => {
          res.writeHead(200, {
            'content-type': metrics.registry.contentType,
            'content-length': chunks.reduce((a, c) => a + c.length, 0),
          });
          if (req.method !== 'HEAD') for (const c of chunks) res.write(c);
          res.end();
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${errorMessage(err)}\n`);
        },
      );
      return;
    }
    if (path === '/') {
      const status = last ? `last accounting ${last.takenAt}, ${last.keysScanned} keys, ${last.durationMs} ms` : 'no accounting yet';
      const errors = [lastErr ? `last accounting error: ${lastErr}` : '', lastLiveErr ? `last live read error: ${lastLiveErr}` : ''];
      res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(`cache-harness exporter: GET /metrics\n${[status, ...errors].filter(Boolean).join('\n')}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await listen(server, o.port);

  // The live read probes the tenants the first accounting found: start it once that one is done.
  const firstAccounting = accounting.now();
  accounting.start();
  void firstAccounting.finally(() => live.start());
  return {
    url: `http://${EXPORTER_HOST}:${o.port}/metrics`,
    port: o.port,
    refresh: () => accounting.now(),
    refreshLive: () => live.now(),
    lastSnapshot: () => last,
    lastError: () => lastErr,
    close: async () => {
      await firstAccounting;
      await Promise.all([accounting.stop(), live.stop()]);
      if (probeClient) await closeNode(probeClient);
      if (o.target) await removeProbeUser(o.target);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** ACL DELUSER of the probe user on every node reachable now (best effort: the exporter is stopping). */
async function removeProbeUser(target: Target): Promise<void> {
  const nodes: Redis[] = [];
  try {
    const infos = await discoverNodes(target);
    const conns = await Promise.allSettled(infos.map((i) => connectNode(i, targetCredentials(target))));
    nodes.push(...conns.flatMap((c) => (c.status === 'fulfilled' ? [c.value] : [])));
    await dropProbeUser(nodes);
  } catch {
    // the cluster is gone: nothing to clean there
  } finally {
    await Promise.all(nodes.map((n) => closeNode(n)));
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new HarnessError(`port ${EXPORTER_HOST}:${port} is in use`, 'choose another --port') : err);
    });
    server.listen({ host: EXPORTER_HOST, port, exclusive: true }, () => resolve());
  });
}
