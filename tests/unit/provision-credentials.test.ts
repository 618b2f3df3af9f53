import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { HarnessError } from '../../src/errors.js';
import { thrown } from '../support/thrown.js';
import { prepareCredentialsFile, readCredentialsFile, writeCredentialsFile } from '../../src/provision/index.js';

const tenants = [{ tenant: 'acme', plan: 'pro', aclUser: 'tenant-acme', password: 'p'.repeat(32) }];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'creds-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('credentials file', () => {
  it('is checked when prepared: a missing folder names the folder and the fix, and creates nothing', () => {
    const dir = tempDir();
    const path = join(dir, 'missing', 'creds.json');
    const err = thrown(() => prepareCredentialsFile(path, { option: '--credentials-out' }), HarnessError);
    expect(err.message).toBe(`--credentials-out ${path}: folder ${join(dir, 'missing')} does not exist`);
    expect(err.hint).toBe(`create it (mkdir -p ${join(dir, 'missing')}) or choose another path`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a directory, and an existing file unless overwriting is allowed', () => {
    const dir = tempDir();
    expect(thrown(() => prepareCredentialsFile(dir), HarnessError).message).toMatch(/is a directory$/);
    const old = join(dir, 'old.json');
    writeFileSync(old, 'keep me');
    expect(thrown(() => prepareCredentialsFile(old, { overwrite: false }), HarnessError).message).toMatch(
      /already exists; it may hold passwords/,
    );
    expect(readFileSync(old, 'utf8')).toBe('keep me');
    expect(readdirSync(dir)).toEqual(['old.json']);
  });

  it('commit writes mode 0600 through a temp file in the same folder and renames it; nothing else is left', () => {
    const dir = tempDir();
    const path = join(dir, 'creds.json');
    const pending = prepareCredentialsFile(path);
    const temps = readdirSync(dir);
    expect(temps).toHaveLength(1);
    expect(temps[0]).toMatch(/^\.creds\.json\.\d+\.[0-9a-f]{8}\.tmp$/);
    expect(statSync(join(dir, temps[0] ?? '')).mode & 0o777).toBe(0o600);
    expect(existsSync(path)).toBe(false); // nothing at the destination until the commit
    pending.commit(tenants);
    pending.discard(); // after a commit: nothing to do
    expect(readdirSync(dir)).toEqual(['creds.json']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readCredentialsFile(path)).toEqual(tenants);
  });

  it('discard removes the temp file; writeCredentialsFile replaces an existing file atomically', () => {
    const dir = tempDir();
    const path = join(dir, 'creds.json');
    prepareCredentialsFile(path).discard();
    expect(readdirSync(dir)).toEqual([]);
    writeFileSync(path, 'old', { mode: 0o644 });
    writeCredentialsFile(path, tenants);
    expect(readCredentialsFile(path)).toEqual(tenants);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['creds.json']);
  });
});
