import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The admin password's variable: a local cluster's password, and a --target's when its URL has none. */
export const PASSWORD_ENV = 'CACHE_HARNESS_PASSWORD';

/** Admin password: CACHE_HARNESS_PASSWORD, else generated for this run. Never printed. */
export function resolvePassword(): string {
  const fromEnv = process.env[PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return randomBytes(24).toString('base64url');
}

/** Kept in the run dir, readable by the owner only, so `status`/`down` and suites can reconnect. */
export function savePassword(runDir: string, password: string): void {
  writeFileSync(join(runDir, 'password'), password, { mode: 0o600 });
}

export function readPassword(runDir: string): string {
  return readFileSync(join(runDir, 'password'), 'utf8');
}
