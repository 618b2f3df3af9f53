export {
  BACKUP_KEY_ENV,
  loadBackupKey,
  deriveKeys,
  encryptStream,
  decryptFile,
  BackupAuthError,
  type BackupKey,
  type SealedFile,
} from './crypto.js';
export {
  readManifest,
  readManifestUnverified,
  writeManifest,
  manifestSchema,
  MANIFEST_FILE,
  type Manifest,
  type BackupFile,
} from './manifest.js';
export { takeClusterBackup, currentMasters, type TakeResult } from './take.js';
export { restoreClusterBackup, type RestoreResult, type MasterRestore } from './restore.js';
export { verifyBackup } from './verify.js';
export { applyRetention, listBackups, selectExpired, type BackupEntry } from './retention.js';
export {
  takeTenantBackup,
  restoreTenantBackup,
  aclSetUserFromLine,
  type TenantBackupResult,
  type TenantRestoreResult,
} from './tenant-export.js';
export { specHash } from './spec-hash.js';
