export { TenancyError, InvalidKey, NotProvisioned, PermissionDenied, QuotaExceeded } from './errors.js';
export { parseTenantId, parseModule, parseDataType, parseChannel, dataTypesOf, TENANT_ID_RULE, type TenantId, type ModuleName, type DataType, type Channel } from './ids.js';
export { tagForSlot, slotOf } from './slot-tags.js';
export { placeTenantModule, shardSlots, type Placement, type PlacementStrategy } from './placement.js';
export { tenantPrefix, tenantModulePrefix, buildDataKey, buildKey, metaKey, escapeGlob, TENANT_KEY_ROOT, META_KEY_ROOT, MAX_USER_KEY_LENGTH } from './keys.js';
export { ttlClassOf, ttlSeconds, ttlTable } from './ttl.js';
export { tenantMetaSchema, aclUserName, type TenantMeta } from './meta.js';
