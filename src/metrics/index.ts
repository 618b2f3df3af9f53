export { classifyKey, moduleLabel, UNKNOWN_MODULE, type KeyKind } from './parse-key.js';
export {
  accountUsage,
  accountMasters,
  QUOTA_EXACT_BYTES_MAX_MEMBERS,
  type AccountingOptions,
  type MasterConnection,
  type MasterScan,
  type TenantModuleUsage,
  type UsageSnapshot,
} from './usage.js';
export { TenantMetrics, metricConfig, type TenantMetricsOptions } from './tenant-metrics.js';
export { NodeMetrics, type NodeRead } from './node-metrics.js';
export { HistogramSeries, samplesBlock, metricHeader, labelPairs, escapeLabelValue, formatValue } from './series-text.js';
export {
  SERVED_METRICS,
  SERVED_METRIC_LIST,
  LATENCY_BUCKETS,
  TENANT_LABELS,
  type ServedMetric,
  type ServedMetricType,
} from './served-metrics.js';
export {
  parseClientList,
  channelOfName,
  tenantConnections,
  mobileConnectionPercent,
  readClientList,
  UNKNOWN_CHANNEL,
  type ClientEntry,
  type ConnectionChannel,
  type TenantConnections,
} from './client-list.js';
export { parseNodeSignals, parseLatencyLatest, readNodeSignals, type NodeSignals, type LatencyEvent } from './node-signals.js';
export {
  PROBE_USER,
  DEFAULT_PROBE_OPTIONS,
  probeUserAclArgs,
  probeTargets,
  probeRound,
  ProbeRotation,
  type ProbeOptions,
  type ProbeTarget,
  type ProbeSample,
  type ProbeRoundResult,
} from './probe.js';
export { readLiveCluster, type LiveRead } from './live-read.js';
export {
  startExporter,
  EXPORTER_HOST,
  DEFAULT_INTERVAL_SECONDS,
  DEFAULT_ACCOUNTING_INTERVAL_SECONDS,
  type Exporter,
  type ExporterOptions,
} from './exporter.js';
export { renderAlertRules, alertExpressions, ALERT_NAMES, ALERT_RULES_PATH, SEED_ALERT_RULES_PATH } from './alert-rules.js';
