import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HarnessError } from '../errors.js';
import { macOf, type BackupKey } from './crypto.js';

// manifest.json: what a backup holds, in clear text (no key or value in it), so retention and an operator
// can read it without the key, and authenticated with an HMAC under a key derived from the backup key:
// a changed slot range, key count or file hash is refused like a changed file.

export const MANIFEST_FILE = 'manifest.json';
export const BACKUP_FORMAT = 'cache-harness-backup';
export const BACKUP_FORMAT_VERSION = 1;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const backupFileSchema = z.object({
  /** File name inside the backup folder (also its AAD). */
  file: z.string().regex(/^[A-Za-z0-9._-]+$/),
  /** The master it was dumped from, as the live cluster named it at dump time. */
  node: z.object({ id: z.string(), name: z.string().optional(), address: z.string() }),
  slots: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])),
  /** DBSIZE just before the dump (a cluster-wide backup), or the records in the file (a tenant export). */
  keys: z.number().int().min(0),
  /** DBSIZE just after the dump: differs from `keys` when the master was written to (or keys expired) meanwhile. */
  keys_after: z.number().int().min(0).optional(),
  sha256_plain: sha256,
  sha256_cipher: sha256,
  bytes_plain: z.number().int().min(0),
  bytes_cipher: z.number().int().min(0),
});
export type BackupFile = z.infer<typeof backupFileSchema>;

export const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(BACKUP_FORMAT_VERSION),
  /** `cluster`: one RDB per master. `tenant`: one tenant's keys (DUMP records), meta, limits and ACL user. */
  kind: z.enum(['cluster', 'tenant']),
  tenant: z.string().optional(),
  created_at: z.string(),
  redis_version: z.string(),
  /** SHA-256 of the spec file the backup was taken with. */
  spec_hash: sha256,
  source: z.string(),
  files: z.array(backupFileSchema).min(1),
});
export type Manifest = z.infer<typeof manifestSchema>;

const sealedSchema = manifestSchema.extend({ mac: sha256 });

/** The text the MAC covers: the manifest without `mac`, keys in schema order. */
function canonical(m: Manifest): string {
  return JSON.stringify(manifestSchema.parse(m));
}

export function writeManifest(dir: string, m: Manifest, key: BackupKey): void {
  const body = manifestSchema.parse(m);
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify({ ...body, mac: macOf(canonical(body), key) }, null, 2)}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
}

/** A manifest that parses as ours, without checking its MAC (retention uses this: it has no key). */
export function readManifestUnverified(dir: string): Manifest | null {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return null;
  try {
    const r = sealedSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** Read and authenticate a backup's manifest; anything wrong is exit 2 before a single key is restored. */
export function readManifest(dir: string, key: BackupKey): Manifest {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path))
    throw new HarnessError(`${dir} is not a backup: no ${MANIFEST_FILE}`, 'name a folder `backup --out` wrote (DIR/<timestamp>)');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new HarnessError(`${path} is not JSON`, 'restore from an intact backup');
  }
  const r = sealedSchema.safeParse(raw);
  if (!r.success)
    throw new HarnessError(
      `${path} is not a cache-harness backup manifest (format ${BACKUP_FORMAT} v${BACKUP_FORMAT_VERSION}): ${r.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
      'restore from an intact backup',
    );
  const { mac, ...body } = r.data;
  if (macOf(canonical(body), key) !== mac)
    throw new HarnessError(
      `${path}: authentication failed: the manifest was changed or the key is not the one the backup was taken with`,
      'restore from an intact backup with the key it was taken with',
    );
  const names = new Set<string>();
  for (const f of body.files) {
    if (names.has(f.file)) throw new HarnessError(`${path}: file ${f.file} is listed twice`, 'restore from an intact backup');
    names.add(f.file);
  }
  return body;
}
