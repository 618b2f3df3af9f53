import { CHANNELS } from '../../tenancy/index.js';
import autocannon from 'autocannon';
import { closeNode, type Target } from '../../cluster/index.js';
import {
  PERCENTILES,
  percentileName,
  percentileValues,
  type BenchResult,
  type HttpEdgeResult,
  type LatencySummary,
} from '../../report/index.js';
import type { Spec } from '../../spec/index.js';
import type { Channel } from '../../tenancy/index.js';
import { openAdminCluster, prefillKeys, unlinkKeys } from '../admin.js';
import { encodeHistogram, latencyHistogram, percentileCurve, summarize, type Histogram } from '../histograms.js';
import { allKeys, buildOpTable, OP_GET, readKeys, valueOf, type OpTable } from '../op-table.js';
import { buildPopulation } from '../population.js';
import { memo } from '../prng.js';
import { generatorFigures } from '../generator-figures.js';
import { detectSaturation } from '../saturation.js';
import { evaluateSlo } from '../slo.js';
import { provisionBenchTenants, type ProvisionedBenchTenants } from '../tenants.js';
import { benchJsonValue, prefillValue } from '../values.js';
import type { Workload } from '../workload.js';
import { startEdgeApi } from './api.js';

export interface HttpEdgeOptions {
  spec: Spec;
  target: Target;
  workload: Workload;
  backend: 'raw' | 'tenant-cache';
  /** Only requests of this channel (the SLO it is judged by). */
  channel: Channel;
  /** autocannon connections (one request in flight each). */
  connections: number;
  durationMs: number;
  warmupMs: number;
  /** autocannon overallRate (req/s over all connections); 0 = as fast as possible. */
  rate: number;
  /**
   * Distinct requests cycled through (from the op table). Default 256: autocannon builds every request of the
   * list when a connection starts, inside its first timing (4096 requests measured ~380 ms on that first request).
   */
  requests?: number;
  port?: number;
  log?: (line: string) => void;
}

/** Requests from the op table: the workload's mix of GET/PUT, tenants, modules and keys, one channel. */
export function edgeRequests(table: OpTable, channel: Channel, backend: 'raw' | 'tenant-cache', count: number): autocannon.Request[] {
  const ch = CHANNELS.indexOf(channel);
  const bodies = new Map<number, string>();
  const out: autocannon.Request[] = [];
  for (let i = 0; i < table.size && out.length < count; i++) {
    if (table.channel[i] !== ch) continue;
    const tm = table.tenantModules[table.tm[i] ?? 0];
    if (!tm) continue;
    const path = `/v1/tenants/${encodeURIComponent(tm.tenant)}/${encodeURIComponent(tm.module)}/${encodeURIComponent(table.dataType[i] ?? '')}/${encodeURIComponent(table.userKey[i] ?? '')}`;
    const headers = { 'x-client-channel': channel };
    if (table.kind[i] === OP_GET) {
      out.push({ method: 'GET', path, headers });
    } else {
      const bytes = table.valueSize[i] ?? 1;
      const body = memo(bodies, bytes, () =>
        backend === 'raw' ? valueOf(bytes).toString('latin1') : JSON.stringify(benchJsonValue(bytes)),
      );
      out.push({
        method: 'PUT',
        path,
        headers: { ...headers, 'content-type': backend === 'raw' ? 'application/octet-stream' : 'application/json' },
        body,
      });
    }
  }
  return out;
}

/**
 * The mobile SLO as a phone sees it: the reference API (node:http) on 127.0.0.1 over raw ioredis or
 * TenantCache, driven by autocannon for a bounded time. autocannon reports whole milliseconds and is a
 * closed loop, so the server's own µs histogram is recorded beside it.
 */
export async function runHttpEdge(o: HttpEdgeOptions): Promise<BenchResult> {
  const log = o.log ?? (() => undefined);
  const table = buildOpTable(o.spec, o.workload, { size: 16384 });
  const population = buildPopulation(o.spec, o.workload);
  const plans = new Map(population.map((t) => [t.id as string, t.plan]));
  let provisioned: ProvisionedBenchTenants | undefined;
  if (o.backend === 'tenant-cache') provisioned = await provisionBenchTenants(o.spec, o.target, o.workload, log);
  const admin = await openAdminCluster(o.target);
  const api = await startEdgeApi({
    spec: o.spec,
    host: '127.0.0.1',
    port: o.port ?? 0,
    planOf: (t) => plans.get(t) ?? '-',
    backend: provisioned ? { kind: 'tenant-cache', tenants: provisioned.tenants, target: o.target } : { kind: 'raw', cluster: admin },
  }).catch(async (err: unknown) => {
    await closeNode(admin);
    await provisioned?.close();
    throw err;
  });
  const startedAt = new Date().toISOString();
  try {
    if (o.workload.prefill) {
      const keys = readKeys(table);
      await prefillKeys(admin, keys, (bytes) => prefillValue(o.backend === 'raw' ? 'resp' : 'tenant-cache', bytes));
      log(`prefill: ${keys.length} key(s)`);
    }
    const requests = edgeRequests(table, o.channel, o.backend, o.requests ?? 256);
    if (requests.length === 0) throw new Error(`the workload has no ${o.channel} requests`);
    // autocannon on its own thread (workers: 1), so the API's event loop does not delay its clocks. With a rate, its
    // built-in correction assumes one request per ms (Math.ceil(1/rate)) and fabricates samples: turned off.
    const base = {
      url: api.url,
      connections: o.connections,
      requests,
      workers: 1,
      ...(o.rate > 0 ? { overallRate: o.rate, ignoreCoordinatedOmission: true } : {}),
    };
    if (o.warmupMs > 0) {
      await autocannon({ ...base, duration: Math.max(1, Math.round(o.warmupMs / 1000)) });
      api.reset();
    }
    log(
      `HTTP edge: autocannon ${o.connections} connection(s)${o.rate > 0 ? `, ${o.rate} req/s` : ''}, ${o.durationMs / 1000} s against ${api.url} (${o.backend})`,
    );
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await autocannon({ ...base, duration: Math.max(1, Math.round(o.durationMs / 1000)) });
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return edgeResult(o, r, api.cells(), api.url, startedAt, wall, cpu);
  } finally {
    await api.close();
    if (o.workload.cleanup) {
      if (provisioned) await provisioned.remove().catch(() => -1);
      else await unlinkKeys(admin, allKeys(table)).catch(() => -1);
    }
    await provisioned?.close();
    await closeNode(admin);
  }
}

function edgeResult(
  o: HttpEdgeOptions,
  r: autocannon.Result,
  cells: ReturnType<Awaited<ReturnType<typeof startEdgeApi>>['cells']>,
  url: string,
  startedAt: string,
  wall: number,
  cpu: NodeJS.CpuUsage,
): BenchResult {
  const overall = latencyHistogram();
  const byChannel: Record<Channel, Histogram> = { mobile: latencyHistogram(), web: latencyHistogram() };
  const byRoute = new Map<string, { route: string; channel: Channel; hist: Histogram }>();
  for (const c of cells) {
    overall.add(c.hist);
    byChannel[c.channel].add(c.hist);
    const route = c.op === 'get' ? 'GET' : 'PUT';
    const id = `${route}|${c.channel}`;
    memo(byRoute, id, () => ({ route, channel: c.channel, hist: latencyHistogram() })).hist.add(c.hist);
  }
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = v.count ?? 0;
  const http: HttpEdgeResult = {
    url,
    connections: o.connections,
    duration_s: r.duration,
    backend: o.backend,
    autocannon: {
      requests_total: r.requests.total,
      requests_per_s: r.requests.average,
      latency_ms: { ...percentileValues(PERCENTILES, (p) => r.latency[percentileName(p)], ''), mean: r.latency.mean },
      errors: r.errors,
      timeouts: r.timeouts,
      non_2xx: r.non2xx,
      status_codes: statusCodes,
    },
    server: [...byRoute.values()].map((x) => ({ route: x.route, channel: x.channel, ...summarize(x.hist), hist: encodeHistogram(x.hist) })),
  };
  // The client's view, for the SLO: autocannon's whole-ms percentiles, on the one channel driven.
  const client: LatencySummary = {
    count: r.requests.total,
    min_us: r.latency.min * 1000,
    mean_us: r.latency.mean * 1000,
    ...percentileValues(PERCENTILES, (p) => r.latency[percentileName(p)] * 1000),
  };
  const channels = CHANNELS.map((channel) => ({ channel, ...(channel === o.channel ? client : summarize(latencyHistogram())) }));
  const misses = statusCodes['404'] ?? 0;
  const failures = Object.fromEntries(
    Object.entries(statusCodes)
      .filter(([code]) => !code.startsWith('2') && code !== '404')
      .map(([code, n]) => [`HTTP ${code}`, n]),
  );
  if (r.errors > 0) failures['connection errors'] = r.errors;
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  const warnings = [
    'autocannon is a closed loop with whole-millisecond latencies: its tail hides stalls; the server-side µs histograms are in `http.server`',
    "autocannon runs in a worker thread of this process: the CPU figure covers it and the API (and the machine's cores are shared with Redis)",
  ];
  if (failed + r.timeouts > 0) warnings.push(`${failed} failed request(s), ${r.timeouts} timeout(s): ${JSON.stringify(failures)}`);
  return {
    name: `HTTP edge (${o.channel}, ${o.backend})`,
    kind: 'http',
    profile: o.workload.name,
    mode: 'closed',
    driver: `http+${o.backend}`,
    started_at: startedAt,
    duration_ms: Math.round(r.duration * 1000),
    warmup_ms: o.warmupMs,
    config: {
      ...(o.rate > 0 ? { target_rate: o.rate } : {}),
      inflight: o.connections,
      connections_per_node: 0,
      workers: 1,
      max_ops: 0,
      op_table_size: 16384,
      seed: o.workload.seed,
      masters: 0,
    },
    totals: {
      issued: r.requests.sent,
      completed: r.requests.total,
      errors: failed,
      timeouts: r.timeouts,
      misses,
      issued_rate: r.requests.average,
      completed_rate: r.requests.average,
    },
    generator: generatorFigures({ user: 0, system: 0 }, cpu, wall, r.requests.total),
    overall: summarize(overall),
    channels: CHANNELS.map((channel) => ({ channel, ...summarize(byChannel[channel]) })),
    // The server's view is request → response on the API: the service time of the edge.
    service_time: CHANNELS.map((channel) => ({ channel, ...summarize(byChannel[channel]) })),
    saturation: detectSaturation(
      {
        mode: 'closed',
        config: { inflight: o.connections },
        totals: { issued: r.requests.sent, completed_rate: r.requests.average },
        per_second: [],
      },
      [],
    ),
    groups: cells.map((c) => ({
      op: c.op,
      module: c.module,
      channel: c.channel,
      plan: c.plan,
      ...summarize(c.hist),
      hist: encodeHistogram(c.hist),
    })),
    per_second: [],
    curves: [percentileCurve('server, all', overall)].filter((c) => c.points.length > 0),
    slo: evaluateSlo(o.spec.slo, channels),
    errors_by_message: failures,
    warnings,
    histograms: { overall: encodeHistogram(overall), mobile: encodeHistogram(byChannel.mobile), web: encodeHistogram(byChannel.web) },
    http,
  };
}
