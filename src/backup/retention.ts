import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../errors.js';
import { readManifestUnverified } from './manifest.js';

export interface BackupEntry {
  name: string;
  createdAt: string;
}

/**
 * Which backups `--keep N` deletes: all but the newest N by manifest time (name as tie-break). Pure.
 * Only entries that are backups of ours are passed in; nothing else is ever a candidate.
 */
export function selectExpired(entries: readonly BackupEntry[], keep: number): BackupEntry[] {
  if (!Number.isInteger(keep) || keep < 1)
    throw new HarnessError(`--keep ${keep} must be a whole number of at least 1`, 'keep at least the backup just taken');
  const newestFirst = [...entries].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.name.localeCompare(a.name));
  return newestFirst.slice(keep);
}

/** The folders directly in `dir` whose manifest.json is a backup manifest of ours. Anything else is ignored. */
export function listBackups(dir: string): BackupEntry[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && statSync(join(dir, name)).isDirectory())
    .flatMap((name) => {
      const m = readManifestUnverified(join(dir, name));
      return m ? [{ name, createdAt: m.created_at }] : [];
    });
}

/** Apply `--keep N` to DIR: delete the older backups of ours, keep the newest N and everything that is not ours. */
export function applyRetention(dir: string, keep: number): string[] {
  const expired = selectExpired(listBackups(dir), keep);
  for (const e of expired) rmSync(join(dir, e.name), { recursive: true, force: true });
  return expired.map((e) => e.name);
}
