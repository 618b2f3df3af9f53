import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Channel } from '../tenancy/index.js';
import type { UsageSnapshot } from './usage.js';

/**
 * The `redis_client_*` series the alert rules read (the seed's names; no public exporter has them).
 * Labels: client_id, module, plan. The plan label is `unknown` for a tenant without valid meta.
 *
 * - redis_client_keys_total / _keys_limit: keys of the tenant-module (SCAN accounting) / the plan's
 *   maxKeys, which the quota script enforces per tenant-module.
 * - redis_client_memory_usage_bytes / _memory_limit_bytes: sampled MEMORY USAGE × keys (an estimate) plus
 *   the quota zset's bytes / the plan's maxMemoryMB, per tenant-module like maxKeys.
 * - redis_client_quota_entries: members of the tenant-module's quota bookkeeping zset(s) (ZCARD, expired
 *   ones included; usage.ts `quotaEntries`). The quota scripts keep it <= maxKeys, so above
 *   redis_client_keys_limit it means the tenant ZADDed into it outside them (TenantQuotaIndexTampered).
 * - redis_client_latency_seconds: Histogram of client-side op latency, fed by `observeOp` from whoever
 *   measures ops in this process (the quota suite; a TenantCache given `onOp: observeTenantOp`).
 * - redis_client_mobile_ratio: percent (0-100) of the tenant-module's ops observed with channel=mobile in
 *   the last `mobileWindowSeconds` (default 300). Ops-based, because a key does not record the channel
 *   that wrote it. No series when the tenant-module made no op in the window (no division by zero, no
 *   alert on idle tenants).
 * - redis_client_ops_total{..., channel}: the counter behind the ratio (rate() works on it in PromQL).
 * - cache_harness_accounting_*: the accounting job itself (duration, keys scanned, last success, up).
 */

export const TENANT_LABELS = ['client_id', 'module', 'plan'] as const;
type TenantLabel = (typeof TENANT_LABELS)[number];

/** Buckets in seconds; 0.1 (the alert's p99 threshold) and 0.2 (the SLO's p99) are bucket bounds, so quantiles there are exact. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5];

/** One cache operation of a tenant, as its client measured it (TenantCache's TenantCacheOp fits). */
export interface ObservedOp {
  tenant: string;
  module: string;
  plan: string;
  channel: Channel;
  /** Client-side latency of the op, in seconds. */
  seconds: number;
}

export interface TenantMetricsOptions {
  registry?: Registry;
  mobileWindowSeconds?: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** Ops per channel per tenant-module over a sliding window of fixed buckets (bounded memory). */
export class ChannelWindow {
  private readonly entries = new Map<
    string,
    { labels: Record<TenantLabel, string>; buckets: Map<number, { mobile: number; web: number }> }
  >();
  private readonly bucketMs: number;

  constructor(
    readonly windowSeconds: number,
    private readonly now: () => number,
    readonly bucketCount = 30,
  ) {
    this.bucketMs = Math.max(1, Math.floor((windowSeconds * 1000) / bucketCount));
  }

  record(labels: Record<TenantLabel, string>, channel: Channel, n = 1): void {
    const id = `${labels.client_id}\u0000${labels.module}\u0000${labels.plan}`;
    let e = this.entries.get(id);
    if (!e) {
      e = { labels, buckets: new Map() };
      this.entries.set(id, e);
    }
    const idx = Math.floor(this.now() / this.bucketMs);
    const b = e.buckets.get(idx) ?? { mobile: 0, web: 0 };
    b[channel] += n;
    e.buckets.set(idx, b);
    this.prune(e.buckets, idx);
  }

  /** Percent of mobile ops per tenant-module in the window; tenant-modules with no op in it are dropped. */
  ratios(): Array<{ labels: Record<TenantLabel, string>; percent: number; ops: number }> {
    const idx = Math.floor(this.now() / this.bucketMs);
    const out: Array<{ labels: Record<TenantLabel, string>; percent: number; ops: number }> = [];
    for (const [id, e] of this.entries) {
      this.prune(e.buckets, idx);
      let mobile = 0;
      let total = 0;
      for (const b of e.buckets.values()) {
        mobile += b.mobile;
        total += b.mobile + b.web;
      }
      if (total === 0) {
        this.entries.delete(id);
        continue;
      }
      out.push({ labels: e.labels, percent: (100 * mobile) / total, ops: total });
    }
    return out;
  }

  private prune(buckets: Map<number, unknown>, idx: number): void {
    for (const k of buckets.keys()) if (k <= idx - this.bucketCount) buckets.delete(k);
  }
}

export class TenantMetrics {
  readonly registry: Registry;
  readonly keysTotal: Gauge<TenantLabel>;
  readonly keysLimit: Gauge<TenantLabel>;
  readonly memoryUsage: Gauge<TenantLabel>;
  readonly memoryLimit: Gauge<TenantLabel>;
  readonly quotaEntries: Gauge<TenantLabel>;
  readonly latency: Histogram<TenantLabel>;
  readonly mobileRatio: Gauge<TenantLabel>;
  readonly ops: Counter<TenantLabel | 'channel'>;
  readonly accountingDuration: Gauge;
  readonly accountingKeys: Gauge;
  readonly accountingLastSuccess: Gauge;
  readonly accountingUp: Gauge;
  private readonly window: ChannelWindow;

  constructor(opts: TenantMetricsOptions = {}) {
    this.registry = opts.registry ?? new Registry();
    const registers = [this.registry];
    const labelNames = TENANT_LABELS;
    this.window = new ChannelWindow(opts.mobileWindowSeconds ?? 300, opts.now ?? Date.now);
    this.keysTotal = new Gauge({
      name: 'redis_client_keys_total',
      help: 'Keys of the tenant-module (SCAN on every master; quota bookkeeping excluded)',
      labelNames,
      registers,
    });
    this.keysLimit = new Gauge({
      name: 'redis_client_keys_limit',
      help: "The plan's maxKeys, per tenant-module (enforced by the quota script)",
      labelNames,
      registers,
    });
    this.memoryUsage = new Gauge({
      name: 'redis_client_memory_usage_bytes',
      help: 'Estimated bytes of the tenant-module on the masters: mean MEMORY USAGE of sampled keys x keys, plus its quota zset',
      labelNames,
      registers,
    });
    this.memoryLimit = new Gauge({
      name: 'redis_client_memory_limit_bytes',
      help: "The plan's maxMemoryMB in bytes, per tenant-module",
      labelNames,
      registers,
    });
    this.quotaEntries = new Gauge({
      name: 'redis_client_quota_entries',
      help: "Members of the tenant-module's quota bookkeeping zset(s) (ZCARD). The quota scripts keep it at most the plan's maxKeys: above redis_client_keys_limit it means members written outside the quota scripts (a tenant's raw ZADD)",
      labelNames,
      registers,
    });
    this.latency = new Histogram({
      name: 'redis_client_latency_seconds',
      help: "Client-side latency of the tenant's cache ops",
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.ops = new Counter({
      name: 'redis_client_ops_total',
      help: 'Cache ops of the tenant-module by channel',
      labelNames: [...labelNames, 'channel'],
      registers,
    });
    const window = this.window;
    this.mobileRatio = new Gauge({
      name: 'redis_client_mobile_ratio',
      help: `Percent of the tenant-module's ops on the mobile channel in the last ${window.windowSeconds} s`,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const r of window.ratios()) this.set(r.labels, r.percent);
      },
    });
    this.accountingDuration = new Gauge({
      name: 'cache_harness_accounting_duration_seconds',
      help: 'Duration of the last usage accounting (SCAN of every master)',
      registers,
    });
    this.accountingKeys = new Gauge({
      name: 'cache_harness_accounting_keys_scanned',
      help: 'Distinct keys scanned by the last usage accounting',
      registers,
    });
    this.accountingLastSuccess = new Gauge({
      name: 'cache_harness_accounting_last_success_timestamp_seconds',
      help: 'Unix time of the last successful usage accounting',
      registers,
    });
    this.accountingUp = new Gauge({ name: 'cache_harness_accounting_up', help: '1 when the last usage accounting succeeded', registers });
  }

  /** Record one op: latency histogram, per-channel counter, mobile-ratio window. */
  observeOp(op: ObservedOp): void {
    const labels = { client_id: op.tenant, module: op.module, plan: op.plan };
    this.latency.observe(labels, op.seconds);
    this.ops.inc({ ...labels, channel: op.channel });
    this.window.record(labels, op.channel);
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
    this.accountingDuration.set(s.durationMs / 1000);
    this.accountingKeys.set(s.keysScanned);
    this.accountingLastSuccess.set(Date.parse(s.takenAt) / 1000 + s.durationMs / 1000);
    this.accountingUp.set(1);
  }

  /** Mark the last accounting as failed (the usage series keep their last values). */
  accountingFailed(): void {
    this.accountingUp.set(0);
  }
}

let shared: TenantMetrics | undefined;

/** The process-wide metrics (own Registry, not prom-client's global one): what the exporter serves by default. */
export function tenantMetrics(): TenantMetrics {
  shared ??= new TenantMetrics();
  return shared;
}

/**
 * Record one tenant op in the process-wide metrics. For TenantCache and benches:
 * `const t0 = performance.now(); ...; observeTenantOp({ tenant, module, plan, channel, seconds: (performance.now() - t0) / 1000 })`.
 */
export function observeTenantOp(op: ObservedOp): void {
  tenantMetrics().observeOp(op);
}
