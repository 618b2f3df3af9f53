import { Gauge, Registry } from 'prom-client';
import { mobileConnectionPercent, type TenantConnections } from './client-list.js';
import type { ProbeRoundResult, ProbeSample, ProbeTarget } from './probe.js';
import { LATENCY_BUCKETS, SERVED_METRICS as S, TENANT_LABELS, type ServedMetric } from './served-metrics.js';
import { HistogramSeries, labelPairs, metricHeader, samplesBlock } from './series-text.js';
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

/** One probed tenant-module: its latency histogram and error count. */
interface ProbeSeries {
  labels: Record<TenantLabel, string>;
  latency: HistogramSeries;
  errors: number;
  group: ProbeGroup;
}

/**
 * Probe series in groups of GROUP_SIZE, each group's text kept until one of its series changes: a round probes up
 * to 1,000 tenant-modules in rotation (consecutive in first-probed order), so it rewrites a few groups, not 35,000 series.
 */
interface ProbeGroup {
  series: Set<ProbeSeries>;
  text: Buffer | null;
}
const GROUP_SIZE = 256;

/** The text of the per-tenant series, by section; each rebuilt only when its data changes. */
interface Sections {
  usage: Buffer;
  /** The probe error counter's text; null when an error count changed. */
  probeErrors: Buffer | null;
  connections: Buffer;
}

const EMPTY = Buffer.alloc(0);

export class TenantMetrics {
  /** The exporter's own jobs and the per-node series (small: prom-client renders them at each scrape). */
  readonly registry: Registry;
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
  private readonly probes = new Map<string, ProbeSeries>();
  private readonly groups: ProbeGroup[] = [];
  private readonly sections: Sections = { usage: EMPTY, probeErrors: null, connections: EMPTY };

  constructor(opts: TenantMetricsOptions = {}) {
    const registry = (this.registry = opts.registry ?? new Registry());
    const now = opts.now ?? Date.now;
    const cfg = <L extends string>(def: ServedMetric) => metricConfig<L>(def, registry);
    const accountedAt = () => this.accountedAt;
    new Gauge({
      ...cfg(S.accountingAge),
      collect() {
        const at = accountedAt();
        // NaN before the first success: a labelless gauge would otherwise read 0, i.e. "fresh".
        this.set(at === null ? NaN : Math.max(0, (now() - at) / 1000));
      },
    });
    this.accountingDuration = new Gauge(cfg(S.accountingDuration));
    this.accountingKeys = new Gauge(cfg(S.accountingKeys));
    this.accountingLastSuccess = new Gauge(cfg(S.accountingLastSuccess));
    this.accountingUp = new Gauge(cfg(S.accountingUp));
    this.probeTargets = new Gauge(cfg(S.probeTargets));
    this.probeProbed = new Gauge(cfg(S.probeProbed));
    this.probeRoundDuration = new Gauge(cfg(S.probeRoundDuration));
    this.liveUp = new Gauge(cfg(S.liveUp));
    this.applyConnections([]);
    this.sections.usage = Buffer.from(USAGE_SERIES.map((def) => samplesBlock(def, [])).join(''));
  }

  /** Replace the usage series with a snapshot's (tenant-modules gone since the last snapshot disappear). */
  applyUsage(s: UsageSnapshot): void {
    const rows = s.tenantModules.map((r) => ({ r, labels: { client_id: r.tenant, module: r.module, plan: r.plan ?? 'unknown' } }));
    const present = <T>(pick: (r: UsageSnapshot['tenantModules'][number]) => T | null) =>
      rows.flatMap(({ r, labels }) => {
        const value = pick(r);
        return value === null ? [] : [{ labels, value: Number(value) }];
      });
    this.sections.usage = Buffer.from(
      [
        samplesBlock(
          S.keysTotal,
          present((r) => r.keys),
        ),
        samplesBlock(
          S.keysLimit,
          present((r) => r.keysLimit),
        ),
        samplesBlock(
          S.memoryUsage,
          present((r) => r.memoryBytes),
        ),
        samplesBlock(
          S.memoryLimit,
          present((r) => r.memoryLimitBytes),
        ),
        samplesBlock(
          S.quotaEntries,
          present((r) => r.quotaEntries),
        ),
      ].join(''),
    );
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
    const id = probeId(s.target);
    let p = this.probes.get(id);
    if (!p) {
      const labels = { client_id: s.target.tenant, module: s.target.module, plan: s.target.plan };
      let group = this.groups[this.groups.length - 1];
      if (!group || group.series.size >= GROUP_SIZE) this.groups.push((group = { series: new Set(), text: null }));
      p = { labels, latency: new HistogramSeries(S.latency.name, LATENCY_BUCKETS, labels), errors: 0, group };
      group.series.add(p);
      this.probes.set(id, p);
    }
    p.latency.observe(s.seconds);
    p.group.text = null;
    if (s.error !== undefined) {
      p.errors++;
      this.sections.probeErrors = null;
    }
  }

  /** Drop the probe series of tenant-modules no longer probed (tenant removed, plan changed): the label set stays bounded. */
  retainProbeSeries(targets: readonly ProbeTarget[]): void {
    const keep = new Set(targets.map(probeId));
    for (const [id, p] of this.probes) {
      if (keep.has(id)) continue;
      this.probes.delete(id);
      p.group.series.delete(p);
      p.group.text = null;
      if (p.errors > 0) this.sections.probeErrors = null;
    }
  }

  probeRoundDone(r: ProbeRoundResult): void {
    this.probeTargets.set(r.targets);
    this.probeProbed.set(r.probed);
    this.probeRoundDuration.set(r.durationMs / 1000);
    this.prepare();
  }

  /** Replace the connection series with the last CLIENT LIST read (tenants with no connection left disappear). */
  applyConnections(rows: readonly TenantConnections[]): void {
    const ratios = [...mobileConnectionPercent(rows)].map(([tenant, value]) => ({ labels: { client_id: tenant }, value }));
    this.sections.connections = Buffer.from(
      samplesBlock(
        S.connections,
        rows.map((r) => ({ labels: { client_id: r.tenant, channel: r.channel }, value: r.connections })),
      ) + samplesBlock(S.mobileRatio, ratios),
    );
  }

  /** Rebuild the probe text that changed since the last call, so the next scrape only sends text. */
  prepare(): void {
    for (const g of this.groups) g.text ??= Buffer.from([...g.series].map((p) => p.latency.render()).join(''));
    if (this.sections.probeErrors === null) {
      const lines = [metricHeader(S.probeErrors)];
      for (const p of this.probes.values()) if (p.errors > 0) lines.push(`${S.probeErrors.name}{${labelPairs(p.labels)}} ${p.errors}\n`);
      this.sections.probeErrors = Buffer.from(`${lines.join('')}\n`);
    }
  }

  /** Every served series, in Prometheus text format, as chunks to send in order. */
  async chunks(): Promise<Buffer[]> {
    this.prepare();
    const small = Buffer.from(await this.registry.metrics());
    return [
      this.sections.usage,
      LATENCY_HEADER,
      ...this.groups.map((g) => g.text ?? EMPTY),
      NEWLINE,
      this.sections.probeErrors ?? EMPTY,
      this.sections.connections,
      small,
    ];
  }

  /** The whole exposition as one string (tests; the exporter sends `chunks()`). */
  async text(): Promise<string> {
    return Buffer.concat(await this.chunks()).toString('utf8');
  }
}

const LATENCY_HEADER = Buffer.from(metricHeader(S.latency));
const NEWLINE = Buffer.from('\n');
const USAGE_SERIES = [S.keysTotal, S.keysLimit, S.memoryUsage, S.memoryLimit, S.quotaEntries];

const probeId = (t: Pick<ProbeTarget, 'tenant' | 'module' | 'plan'>) => `${t.tenant}\u0000${t.module}\u0000${t.plan}`;
