export { TenancyError, InvalidKey, NotProvisioned, InvalidTenantMeta, PermissionDenied, QuotaExceeded } from './errors.js';
export {
  parseTenantId,
  parseModule,
  parseDataType,
  parseChannel,
  CHANNELS,
  dataTypesOf,
  TENANT_ID_RULE,
  type TenantId,
  type ModuleName,
  type DataType,
  type PlanName,
  type Channel,
} from './ids.js';
export { tagForSlot, slotOf, slotGroups } from './slot-tags.js';
export { placeTenantModule, shardSlots, type Placement, type PlacementStrategy } from './placement.js';
export {
  tenantPrefix,
  tenantModulePrefix,
  buildDataKey,
  buildKey,
  metaKey,
  escapeGlob,
  TENANT_KEY_ROOT,
  META_KEY_ROOT,
  MAX_USER_KEY_LENGTH,
  LIMITS_KEY_ROOT,
  limitsKeyOf,
  limitsPrefix,
  PROBE_KEY_ROOT,
  probeKeyOf,
} from './keys.js';
export { ttlClassOf, ttlSeconds, ttlTable } from './ttl.js';
export {
  buildTenantMeta,
  parseTenantMeta,
  modulePlacement,
  tenantQuotaKeys,
  aclUserName,
  tenantOfAclUser,
  type TenantMeta,
} from './meta.js';
export {
  ValueCodec,
  CodecError,
  formOf,
  CODEC_HEADER,
  DEFAULT_CODEC_OPTIONS,
  type JsonValue,
  type CodecOptions,
  type CodecStats,
  type Compression,
  type StoredForm,
} from './codec.js';
export { TenantCache, type TenantCacheOptions } from './tenant-cache.js';
export {
  TENANT_OP_NAMES,
  TENANT_OP_ERRORS,
  tenantOpError,
  type TenantOp,
  type TenantOpName,
  type TenantOpError,
  type TenantOpSink,
} from './tenant-op.js';
export { tenantScope } from './tenant-scope.js';
export { plainSet, type WriteStrategy, type WriteScope, type PreparedWrite } from './write-path.js';
export { mapRedisError } from './redis-errors.js';
export { groupBySlot } from './slot-groups.js';
export {
  bindSpecMasters,
  checkModulePlacement,
  shardMatchRate,
  type LiveNode,
  type ProbedKey,
  type PlacementProblem,
  type PlacementReport,
} from './placement-check.js';
export { slotSpread, type SlotSpread } from './slot-spread.js';
export {
  QUOTA_KEY_SUFFIX,
  QUOTA_ACL_GRANTS,
  QUOTA_ZSET_GRANTS,
  QUOTA_SCRIPTS,
  quotaKeyOf,
  quotaKeysFor,
  isQuotaKey,
  loadQuotaScripts,
  quotaSet,
  quotaDel,
  quotaDelMany,
  quotaCount,
  quotaReconcile,
  QUOTA_MAX_KEYS_PER_CALL,
  mapQuotaError,
  type QuotaKeys,
  type QuotaSetResult,
  type QuotaClient,
} from './quota-script.js';
export { quotaWriteStrategy } from './quota-strategy.js';
export { quotaLimitsFromSpec, tenantQuotaLimits, writeQuotaLimits, type QuotaLimits } from './quota-limits.js';
export { openQuotaCluster, closeQuotaCluster, type QuotaClusterOptions } from './quota-cluster.js';
