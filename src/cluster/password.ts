import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../errors.js';
import { hasControlChars, rememberSecret } from '../redact.js';

/** The admin password's variable: a local cluster's password, and a --target's when its URL has none. */
export const PASSWORD_ENV = 'CACHE_HARNESS_PASSWORD';

/** Admin password: CACHE_HARNESS_PASSWORD, else generated for this run. Never printed. */
export function resolvePassword(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return checkedPassword(fromEnv, PASSWORD_ENV);
  const generated = randomBytes(24).toString('base64url');
  rememberSecret(generated);
  return generated;
}

/**
 * A password from the user (CACHE_HARNESS_PASSWORD, a --target URL): refused when it has a control
 * character (a newline splits the redis.conf line it goes into, and redis-server then echoes a piece
 * of it), without printing it. Remembered, so `redact` takes it out of any message.
 */
export function checkedPassword(password: string, from: string): string {
  rememberSecret(password);
  if (hasControlChars(password)) {
    throw new HarnessError(
      `the password in ${from} has a control character (newline, tab...); it is not shown`,
      'use printable characters only, e.g. `openssl rand -base64 24`',
    );
  }
  return password;
}

/** Kept in the run dir, readable by the owner only, so `status`/`down` and suites can reconnect. */
export function savePassword(runDir: string, password: string): void {
  writeFileSync(join(runDir, 'password'), password, { mode: 0o600 });
}

export function readPassword(runDir: string): string {
  const password = readFileSync(join(runDir, 'password'), 'utf8');
  rememberSecret(password);
  return password;
}
