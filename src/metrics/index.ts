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
export {
  TenantMetrics,
  ChannelWindow,
  tenantMetrics,
  observeTenantOp,
  LATENCY_BUCKETS,
  TENANT_LABELS,
  type ObservedOp,
  type TenantMetricsOptions,
} from './tenant-metrics.js';
export { startExporter, EXPORTER_HOST, type Exporter, type ExporterOptions } from './exporter.js';
export { renderAlertRules, alertExpressions, ALERT_NAMES, ALERT_RULES_PATH, SEED_ALERT_RULES_PATH } from './alert-rules.js';
