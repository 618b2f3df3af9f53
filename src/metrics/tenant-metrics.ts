import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { mobileConnectionPercent, type TenantConnections } from './client-list.js';
import type { ProbeRoundResult, ProbeSample, ProbeTarget } from './probe.js';
import { LATENCY_BUCKETS, SERVED_METRICS as S, TENANT_LABELS, type ServedMetric } from './served-metrics.js';
import type { UsageSnapshot } from './usage.js';

/**
 * The per-tenant series the alert rules read (the seed's `redis_client_*` names; no public exporter has them),
 * all from the live cluster, none from the applications (names, labels and HELP: served-metrics.ts):
 *
 * - redis_client_keys_* / memory_* / quota_entries{client_id, module, plan}: the last background SCAN accounting
 *   (`applyUsage`), with its age in redis_client_accounting_age_seconds. The plan label is `unknown` for a tenant
 *   without valid meta.
 * - redis_client_latency_seconds{client_id, module, plan}: the synthetic probe's SET/GET on the tenant-module's
 *   shard (`observeProbe`).
 * - redis_client_connections{client_id, channel} and redis_client_mobile_ratio{client_id}: CLIENT LIST on every
 *   node (`applyConnections`). A tenant with no open connection has neither (no division by zero, no alert on
 *   idle tenants).
 * - cache_harness_*: the exporter's own jobs.
 */

type TenantLabel = (typeof TENANT_LABELS)[number];

export interface TenantMetricsOptions {
  registry?: Registry;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** A metric's constructor options from its served-metrics.ts entry. */
export function metricConfig<L extends string>(def: ServedMetric, registry: Registry) {
  return { name: def.name, help: def.help, labelNames: def.labels as readonly L[], registers: [registry] };
}

export class TenantMetrics {
  readonly registry: Registry;
  readonly keysTotal: Gauge<TenantLabel>;
  readonly keysLimit: Gauge<TenantLabel>;
  readonly memoryUsage: Gauge<TenantLabel>;
  readonly memoryLimit: Gauge<TenantLabel>;
  readonly quotaEntries: Gauge<TenantLabel>;
  readonly latency: Histogram<TenantLabel>;
  readonly probeErrors: Counter<TenantLabel>;
  readonly connections: Gauge<'client_id' | 'channel'>;
  readonly mobileRatio: Gauge<'client_id'>;
  readonly accountingDuration: Gauge;
  readonly accountingKeys: Gauge;
  readonly accountingLastSuccess: Gauge;
  readonly accountingUp: Gauge;
  readonly probeTargets: Gauge;
  readonly probeProbed: Gauge;
  readonly probeRoundDuration: Gauge;
  readonly liveUp: Gauge;
  /** When the last successful accounting ended (ms), for the age gauge. */
  private accountedAt: number | null = null;
  /** The label sets the probe has observed, so series of tenant-modules gone can be removed. */
  private readonly probed = new Map<string, Record<TenantLabel, string>>();

  constructor(opts: TenantMetricsOptions = {}) {
    const registry = (this.registry = opts.registry ?? new Registry());
    const now = opts.now ?? Date.now;
    const cfg = <L extends string>(def: ServedMetric) => metricConfig<L>(def, registry);
    this.keysTotal = new Gauge(cfg<TenantLabel>(S.keysTotal));
    this.keysLimit = new Gauge(cfg<TenantLabel>(S.keysLimit));
    this.memoryUsage = new Gauge(cfg<TenantLabel>(S.memoryUsage));
    this.memoryLimit = new Gauge(cfg<TenantLabel>(S.memoryLimit));
    this.quotaEntries = new Gauge(cfg<TenantLabel>(S.quotaEntries));
    const accountedAt = () => this.accountedAt;
    new Gauge({
      ...cfg(S.accountingAge),
      collect() {
        const at = accountedAt();
        // NaN before the first success: a labelless gauge would otherwise read 0, i.e. "fresh".
        this.set(at === null ? NaN : Math.max(0, (now() - at) / 1000));
      },
    });
    this.latency = new Histogram({ ...cfg<TenantLabel>(S.latency), buckets: LATENCY_BUCKETS });
    this.probeErrors = new Counter(cfg<TenantLabel>(S.probeErrors));
    this.connections = new Gauge(cfg<'client_id' | 'channel'>(S.connections));
    this.mobileRatio = new Gauge(cfg<'client_id'>(S.mobileRatio));
    this.accountingDuration = new Gauge(cfg(S.accountingDuration));
    this.accountingKeys = new Gauge(cfg(S.accountingKeys));
    this.accountingLastSuccess = new Gauge(cfg(S.accountingLastSuccess));
    this.accountingUp = new Gauge(cfg(S.accountingUp));
    this.probeTargets = new Gauge(cfg(S.probeTargets));
    this.probeProbed = new Gauge(cfg(S.probeProbed));
    this.probeRoundDuration = new Gauge(cfg(S.probeRoundDuration));
    this.liveUp = new Gauge(cfg(S.liveUp));
  }

  /** Replace the usage series with a snapshot's (tenant-modules gone since the last snapshot disappear). */
  applyUsage(s: UsageSnapshot): void {
    for (const g of [this.keysTotal, this.keysLimit, this.memoryUsage, this.memoryLimit, this.quotaEntries]) g.reset();
    for (const r of s.tenantModules) {
      const labels = { client_id: r.tenant, module: r.module, plan: r.plan ?? 'unknown' };
      this.keysTotal.set(labels, r.keys);
      this.memoryUsage.set(labels, r.memoryBytes);
      if (r.keysLimit !== null) this.keysLimit.set(labels, r.keysLimit);
      if (r.memoryLimitBytes !== null) this.memoryLimit.set(labels, r.memoryLimitBytes);
      if (r.quotaEntries !== null) this.quotaEntries.set(labels, r.quotaEntries);
    }
    const endedAt = Date.parse(s.takenAt) + s.durationMs;
    this.accountedAt = endedAt;
    this.accountingDuration.set(s.durationMs / 1000);
    this.accountingKeys.set(s.keysScanned);
    this.accountingLastSuccess.set(endedAt / 1000);
    this.accountingUp.set(1);
  }

  /** Mark the last accounting as failed (the usage series keep their last values; their age keeps growing). */
  accountingFailed(): void {
    this.accountingUp.set(0);
  }

  /** One probe op: the latency histogram, and the error counter when it failed. */
  observeProbe(s: ProbeSample): void {
    const labels = { client_id: s.target.tenant, module: s.target.module, plan: s.target.plan };
    this.probed.set(probeId(s.target), labels);
    this.latency.observe(labels, s.seconds);
    if (s.error !== undefined) this.probeErrors.inc(labels);
  }

  /** Drop the probe series of tenant-modules no longer probed (tenant removed, plan changed): the label set stays bounded. */
  retainProbeSeries(targets: readonly ProbeTarget[]): void {
    const keep = new Set(targets.map(probeId));
    for (const [id, labels] of this.probed) {
      if (keep.has(id)) continue;
      this.latency.remove(labels);
      this.probeErrors.remove(labels);
      this.probed.delete(id);
    }
  }

  probeRoundDone(r: ProbeRoundResult): void {
    this.probeTargets.set(r.targets);
    this.probeProbed.set(r.probed);
    this.probeRoundDuration.set(r.durationMs / 1000);
  }

  /** Replace the connection series with the last CLIENT LIST read (tenants with no connection left disappear). */
  applyConnections(rows: readonly TenantConnections[]): void {
    this.connections.reset();
    this.mobileRatio.reset();
    for (const r of rows) this.connections.set({ client_id: r.tenant, channel: r.channel }, r.connections);
    for (const [tenant, percent] of mobileConnectionPercent(rows)) this.mobileRatio.set({ client_id: tenant }, percent);
  }
}

const probeId = (t: Pick<ProbeTarget, 'tenant' | 'module' | 'plan'>) => `${t.tenant}\u0000${t.module}\u0000${t.plan}`;
