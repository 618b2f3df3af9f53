import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';

// DIR/<UTC timestamp>-<random>/ holds one backup: manifest.json and its encrypted files. It is written as
// DIR/.partial-<name>/ and renamed when complete, so an interrupted backup never looks like one (and
// retention, which only counts folders with a manifest of ours, never counts or deletes it).

export const PARTIAL_PREFIX = '.partial-';

/** `20261130T040512Z-1a2b3c`: sorts by time as text. */
export function backupName(now = new Date()): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/** Create DIR (0700) and DIR/.partial-<name> (0700); returns both paths. */
export function startBackupDir(out: string, name = backupName()): { partial: string; final: string } {
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const partial = join(out, `${PARTIAL_PREFIX}${name}`);
  mkdirSync(partial, { mode: 0o700 });
  return { partial, final: join(out, name) };
}

export function completeBackupDir(dirs: { partial: string; final: string }): string {
  renameSync(dirs.partial, dirs.final);
  return dirs.final;
}
