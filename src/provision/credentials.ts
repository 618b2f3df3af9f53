import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { errorMessage, HarnessError } from '../errors.js';
import type { TenantCredential } from './bulk.js';

/** Tenant passwords handed from provisioning to whoever connects as the tenants (suites, benches). Mode 0600. */
export const credentialsFileSchema = z.object({
  version: z.literal(1),
  tenants: z.array(z.object({ tenant: z.string(), plan: z.string(), aclUser: z.string(), password: z.string() })),
});

/**
 * A credentials file being prepared: its temp file (mode 0600, in the destination's folder, so the
 * final rename is atomic) already exists, which proves the folder is writable before any tenant is created.
 */
export interface PendingCredentialsFile {
  readonly path: string;
  /** Write the passwords to the temp file, fsync, rename over `path`. Once; a failure is a HarnessError. */
  commit(tenants: readonly TenantCredential[]): void;
  /** Remove the temp file if `commit` did not happen (safe to call any time, more than once). */
  discard(): void;
}

/**
 * Check that `path` can receive a credentials file, by creating its temp file now: call it before
 * creating any tenant, so an unwritable path costs nothing. `option` names the flag in errors.
 * `overwrite: false` refuses an existing file (it may hold passwords shown only once).
 */
export function prepareCredentialsFile(path: string, opts: { option?: string; overwrite?: boolean } = {}): PendingCredentialsFile {
  const what = opts.option ? `${opts.option} ${path}` : `credentials file ${path}`;
  const dir = dirname(resolve(path));
  if (existsSync(path)) {
    if (statSync(path).isDirectory())
      throw new HarnessError(`${what} is a directory`, `name a file in it, e.g. ${join(path, 'tenants.json')}`);
    if (opts.overwrite === false) {
      throw new HarnessError(
        `${what} already exists; it may hold passwords that were shown only once, so it is not overwritten`,
        'choose a new path, or move the old file away first',
      );
    }
  }
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o600);
    fchmodSync(fd, 0o600); // whatever the umask
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    throw unwritable(what, dir, err);
  }
  let done = false;
  const discard = () => {
    if (done) return;
    done = true;
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  };
  return {
    path,
    commit(tenants) {
      if (done || fd === undefined) throw new Error(`credentials file ${path}: commit after commit or discard`);
      try {
        writeSync(fd, `${JSON.stringify({ version: 1, tenants }, null, 2)}\n`);
        fsyncSync(fd);
        closeSync(fd);
        fd = undefined;
        renameSync(tmp, path);
        done = true;
      } catch (err) {
        discard();
        throw new HarnessError(`cannot write ${what}: ${errorMessage(err)}`, 'check the disk space and the folder, then run again');
      }
    },
    discard,
  };
}

function unwritable(what: string, dir: string, err: unknown): HarnessError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return new HarnessError(`${what}: folder ${dir} does not exist`, `create it (mkdir -p ${dir}) or choose another path`);
  if (code === 'ENOTDIR') return new HarnessError(`${what}: ${dir} is not a folder`, 'choose a path in an existing folder');
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new HarnessError(`${what}: cannot write in folder ${dir} (${code})`, 'choose a path in a folder you can write to');
  return new HarnessError(`${what}: cannot create a file in ${dir} (${errorMessage(err)})`, 'choose another path');
}

/** Write a credentials file at once (atomically, mode 0600), replacing any file there. */
export function writeCredentialsFile(path: string, tenants: readonly TenantCredential[]): void {
  prepareCredentialsFile(path).commit(tenants);
}

export function readCredentialsFile(path: string): TenantCredential[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new HarnessError(`cannot read tenant credentials ${path}: ${(err as Error).message}`);
  }
  const res = credentialsFileSchema.safeParse(doc);
  if (!res.success) throw new HarnessError(`${path} is not a tenant credentials file: ${res.error.issues[0]?.message ?? 'invalid'}`);
  return res.data.tenants;
}
