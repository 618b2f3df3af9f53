/**
 * Every series the exporter serves: name, type, labels and HELP, in one list. The metric objects are built
 * from it (tenant-metrics.ts, node-metrics.ts), and dashboards and tests check their queries against it
 * (a unit test keeps it equal to what the registry really serves).
 */

export type ServedMetricType = 'gauge' | 'counter' | 'histogram';

export interface ServedMetric {
  name: string;
  type: ServedMetricType;
  labels: readonly string[];
  help: string;
}

export const TENANT_LABELS = ['client_id', 'module', 'plan'] as const;
const NODE = ['node'] as const;

/**
 * The probe histogram's buckets in seconds; 0.1 (the alert's p99 threshold) and 0.2 (the SLO's p99) are bucket
 * bounds, so quantiles there are exact; 1 is the probe's timeout. Few: each one is a series per tenant-module
 * (35,000 at 10,000 tenants).
 */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.025, 0.1, 0.2, 0.5, 1];

const m = (name: string, type: ServedMetricType, labels: readonly string[], help: string): ServedMetric => ({ name, type, labels, help });

export const SERVED_METRICS = {
  // Per tenant-module usage (the background SCAN accounting; usage.ts).
  keysTotal: m(
    'redis_client_keys_total',
    'gauge',
    TENANT_LABELS,
    'Keys of the tenant-module (SCAN on every master; quota bookkeeping excluded)',
  ),
  keysLimit: m('redis_client_keys_limit', 'gauge', TENANT_LABELS, "The plan's maxKeys, per tenant-module (enforced by the quota script)"),
  memoryUsage: m(
    'redis_client_memory_usage_bytes',
    'gauge',
    TENANT_LABELS,
    'Estimated bytes of the tenant-module on the masters: mean MEMORY USAGE of sampled keys x keys, plus its quota zset',
  ),
  memoryLimit: m('redis_client_memory_limit_bytes', 'gauge', TENANT_LABELS, "The plan's maxMemoryMB in bytes, per tenant-module"),
  quotaEntries: m(
    'redis_client_quota_entries',
    'gauge',
    TENANT_LABELS,
    "Members of the tenant-module's quota bookkeeping zset(s) (ZCARD). The quota scripts keep it at most the plan's maxKeys: above redis_client_keys_limit it means members written outside the quota scripts (a tenant's raw ZADD)",
  ),
  accountingAge: m(
    'redis_client_accounting_age_seconds',
    'gauge',
    [],
    'Seconds since the last successful usage accounting ended: the redis_client_keys_*/memory_*/quota_* series are that old (scrapes never scan); NaN before the first',
  ),
  // Per tenant-module latency, from the exporter's synthetic probe (probe.ts).
  latency: m(
    'redis_client_latency_seconds',
    'histogram',
    TENANT_LABELS,
    "The exporter's synthetic probe: latency of a SET and a GET of a probe key in the tenant-module's slot, i.e. on the shard that serves that tenant (not the application's own latency)",
  ),
  probeErrors: m(
    'redis_client_probe_errors_total',
    'counter',
    TENANT_LABELS,
    "Probe ops on the tenant-module's shard that failed or timed out (also observed in redis_client_latency_seconds at their elapsed time)",
  ),
  // Per tenant connections, from CLIENT LIST on every node (client-list.ts).
  connections: m(
    'redis_client_connections',
    'gauge',
    ['client_id', 'channel'],
    'Connections of the tenant (ACL user tenant-<id>) on all nodes, by the channel its connection name declares (<tenant>:<module>:<channel>; unknown without a valid one)',
  ),
  mobileRatio: m(
    'redis_client_mobile_ratio',
    'gauge',
    ['client_id'],
    "Percent (0-100) of the tenant's open connections, on all nodes, whose name declares channel mobile (connections without a valid name count as not mobile); a share of connections, not of ops or keys",
  ),
  // The exporter's own jobs.
  accountingDuration: m(
    'cache_harness_accounting_duration_seconds',
    'gauge',
    [],
    'Duration of the last usage accounting (SCAN of every master)',
  ),
  accountingKeys: m('cache_harness_accounting_keys_scanned', 'gauge', [], 'Distinct keys scanned by the last usage accounting'),
  accountingLastSuccess: m(
    'cache_harness_accounting_last_success_timestamp_seconds',
    'gauge',
    [],
    'Unix time of the last successful usage accounting',
  ),
  accountingUp: m('cache_harness_accounting_up', 'gauge', [], '1 when the last usage accounting succeeded'),
  probeTargets: m('cache_harness_probe_targets', 'gauge', [], 'Tenant-modules the probe covers (in rotation when above the per-round cap)'),
  probeProbed: m('cache_harness_probe_last_round_probed', 'gauge', [], 'Tenant-modules probed in the last probe round'),
  probeRoundDuration: m('cache_harness_probe_last_round_duration_seconds', 'gauge', [], 'Duration of the last probe round'),
  liveUp: m(
    'cache_harness_live_read_up',
    'gauge',
    [],
    '1 when the last read of the live cluster (CLIENT LIST, INFO, probe) reached every node; the per-node series say which failed',
  ),
  // Per node (node-signals.ts), redis_exporter's names with a `node` label (host:port).
  nodeUp: m('redis_up', 'gauge', NODE, '1 when the node answered the last read'),
  nodeInfo: m(
    'redis_instance_info',
    'gauge',
    ['node', 'role', 'redis_version'],
    "The node's role (master or replica) and version; always 1",
  ),
  memoryUsed: m('redis_memory_used_bytes', 'gauge', NODE, 'used_memory of the node (INFO memory)'),
  memoryMax: m('redis_memory_max_bytes', 'gauge', NODE, 'maxmemory of the node (0: no limit)'),
  evictedKeys: m('redis_evicted_keys_total', 'counter', NODE, 'Keys the node evicted under maxmemory since it started (INFO stats)'),
  blockedClients: m('redis_blocked_clients', 'gauge', NODE, 'Clients blocked on a blocking command'),
  connectedClients: m('redis_connected_clients', 'gauge', NODE, 'Client connections (replication links to replicas excluded)'),
  maxClients: m('redis_config_maxclients', 'gauge', NODE, 'maxclients of the node'),
  commandsProcessed: m('redis_commands_processed_total', 'counter', NODE, 'Commands the node processed since it started'),
  masterLinkUp: m('redis_master_link_up', 'gauge', NODE, "Replicas only: 1 when the replica's link to its master is up"),
  replicaLag: m(
    'redis_replica_offset_lag_bytes',
    'gauge',
    NODE,
    "Replicas only: bytes of its master's replication stream the replica has not acknowledged (from the master's INFO replication)",
  ),
  latencySpikeLast: m(
    'redis_latency_spike_last_seconds',
    'gauge',
    ['node', 'event_name'],
    'Unix time of the latest latency-monitor spike of that event (LATENCY LATEST; needs latency-monitor-threshold > 0)',
  ),
  latencySpikeDuration: m(
    'redis_latency_spike_duration_seconds',
    'gauge',
    ['node', 'event_name'],
    'Duration of the latest latency-monitor spike of that event',
  ),
} as const satisfies Record<string, ServedMetric>;

/** The served series as a list, in the order above. */
export const SERVED_METRIC_LIST: readonly ServedMetric[] = Object.values(SERVED_METRICS);
