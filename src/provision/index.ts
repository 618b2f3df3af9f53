export { TENANT_COMMANDS, aclSetUserArgs, aclSetUserCommand, tenantKeyPattern, tenantLimitsPattern, quotaSelector } from './acl-rule.js';
export { generatePassword, sha256Hex } from './secrets.js';
export {
  InvalidTenantInput,
  validateTenantInput,
  validateTenantInputs,
  parsePlan,
  parseTenantIdInput,
  type TenantInput,
  type TenantRequest,
} from './input.js';
export { openAdminSession, withAdminSession, connectAdminNode, type AdminSession, type AdminNode } from './admin-session.js';
export { tenantKeysMatch, META_KEYS_MATCH } from './scan.js';
export { persistAcl, deleteUsers, usersOn, getUser, type PersistMethod, type NodePersist } from './acl-nodes.js';
export { repairUsers, type AclRepair } from './acl-repair.js';
export { createTenant, limitsKeysOf, type CreateOptions, type CreateResult } from './create.js';
export { listTenants, showTenant, type TenantListing, type TenantDetails } from './list.js';
export { removeTenant, type RemoveResult } from './remove.js';
export { provisionMany, type ProvisionReport, type ProvisionOptions, type TenantCredential } from './bulk.js';
export { generatePopulation, weightedRoundRobin, DEFAULT_PLAN_MIX, DEFAULT_WEB_PERCENT, type PopulationOptions } from './population.js';
export { loadPopulation, parsePopulation, populationFileSchema, POPULATION_LIMITS, type PopulationFile } from './population-file.js';
export {
  writeCredentialsFile,
  prepareCredentialsFile,
  readCredentialsFile,
  credentialsFileSchema,
  type PendingCredentialsFile,
} from './credentials.js';
export { connectAsTenant } from './tenant-client.js';
export { restartLocalNode, restartNode, type Restarted } from './restart-node.js';
export { sampleKeys, writeSampleKeys, type SampleKey } from './sample-keys.js';
