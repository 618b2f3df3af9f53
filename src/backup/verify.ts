import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupAuthError, decryptFile, sha256File, type BackupKey } from './crypto.js';
import { readManifest, type Manifest } from './manifest.js';

/** A verified backup: its manifest and every file decrypted into a private (0700) temp folder. */
export interface VerifiedBackup {
  manifest: Manifest;
  /** file name in the manifest → its plaintext path. */
  plain: Map<string, string>;
  /** Remove the plaintext copies. */
  discard(): void;
}

/** Plaintext folders of verifications still open, so a signal handler can remove them (discardAllVerifiedSync). */
const open = new Set<string>();

/** Remove every plaintext folder this process still holds (on SIGINT/SIGTERM or exit). */
export function discardAllVerifiedSync(): void {
  for (const d of open) rmSync(d, { recursive: true, force: true });
  open.clear();
}

/**
 * Check the manifest's MAC, then every file's ciphertext hash and GCM tag, decrypting into a 0700 temp
 * folder. All of it happens before anything is restored: a changed byte anywhere, a missing file or the
 * wrong key is exit 2 with nothing written to the cluster.
 */
export async function verifyBackup(dir: string, key: BackupKey): Promise<VerifiedBackup> {
  const manifest = readManifest(dir, key);
  const tmp = mkdtempSync(join(tmpdir(), 'cache-harness-restore-'));
  open.add(tmp);
  const discard = () => {
    rmSync(tmp, { recursive: true, force: true });
    open.delete(tmp);
  };
  try {
    const plain = new Map<string, string>();
    for (const f of manifest.files) {
      const path = join(dir, f.file);
      let cipherHash: string;
      try {
        cipherHash = await sha256File(path);
      } catch {
        throw new BackupAuthError(`${f.file}: missing from ${dir}`, 'restore from a complete backup');
      }
      if (cipherHash !== f.sha256_cipher)
        throw new BackupAuthError(`${f.file}: its SHA-256 is not the manifest's: the file was changed`, 'restore from an intact backup');
      const out = join(tmp, f.file.replace(/\.enc$/, ''));
      const r = await decryptFile(path, out, f.file, key);
      if (r.sha256_plain !== f.sha256_plain || r.bytes_plain !== f.bytes_plain)
        throw new BackupAuthError(`${f.file}: the decrypted content is not what the manifest records`, 'restore from an intact backup');
      plain.set(f.file, out);
    }
    return { manifest, plain, discard };
  } catch (err) {
    discard();
    throw err;
  }
}
