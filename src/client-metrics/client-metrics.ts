import { Counter, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS } from '../metrics/served-metrics.js';
import type { TenantOp, TenantOpSink } from '../tenancy/tenant-op.js';

export const CLIENT_OP_LABELS = ['client_id', 'module', 'plan', 'channel', 'op'] as const;
type OpLabel = (typeof CLIENT_OP_LABELS)[number];

/** The client-side series, under names of their own: the exporter's `redis_client_latency_seconds` is the server-side probe's. */
export const CLIENT_OP_DURATION = 'cache_harness_client_op_duration_seconds';
export const CLIENT_OP_ERRORS = 'cache_harness_client_op_errors_total';

/**
 * What a tenant's client measured, in a prom-client Registry of its own that the application serves
 * (`registry.metrics()`, or `metricsHandler()` on node:http). Every op TenantCache makes lands here by default
 * (`clientMetrics()`, one per process or worker thread).
 *
 * Cardinality: one histogram series set per (tenant, module, plan, channel, op) the process served. An
 * application usually serves one or a few tenants; a gateway serving thousands should pass `metrics: null`
 * to TenantCache, or a ClientMetrics it resets.
 */
export class ClientMetrics implements TenantOpSink {
  readonly registry: Registry;
  readonly duration: Histogram<OpLabel>;
  readonly errors: Counter<OpLabel | 'error'>;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.duration = new Histogram({
      name: CLIENT_OP_DURATION,
      help: "Client-side latency of the tenant's cache ops, measured by the application's TenantCache (command sent to reply), failed ops included",
      labelNames: CLIENT_OP_LABELS,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.errors = new Counter({
      name: CLIENT_OP_ERRORS,
      help: "The tenant's cache ops that failed, by reason (QuotaExceeded, PermissionDenied, NotProvisioned, other); divide by the duration histogram's _count for a rate",
      labelNames: [...CLIENT_OP_LABELS, 'error'],
      registers,
    });
  }

  observe(op: TenantOp): void {
    const labels = { client_id: op.tenant, module: op.module, plan: op.plan, channel: op.channel, op: op.op };
    this.duration.observe(labels, op.seconds);
    if (op.error !== null) this.errors.inc({ ...labels, error: op.error });
  }

  /** The registry in Prometheus's text format. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Forget every series (a long-running gateway can call it, e.g., when tenants go away). */
  reset(): void {
    this.registry.resetMetrics();
  }
}

let shared: ClientMetrics | undefined;

/** The process-wide client metrics (per worker thread: threads do not share memory), which TenantCache reports to by default. */
export function clientMetrics(): ClientMetrics {
  shared ??= new ClientMetrics();
  return shared;
}
