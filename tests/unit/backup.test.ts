import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  aclSetUserFromLine,
  applyRetention,
  BackupAuthError,
  decryptFile,
  deriveKeys,
  encryptStream,
  loadBackupKey,
  readManifest,
  selectExpired,
  writeManifest,
  type Manifest,
} from '../../src/backup/index.js';
import { readRecords, recordStream } from '../../src/backup/record-file.js';
import { HarnessError } from '../../src/errors.js';
import { thrown } from '../support/thrown.js';

const made: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'cache-harness-backup-unit-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
const key = deriveKeys(randomBytes(32));
const otherKey = deriveKeys(randomBytes(32));

async function sealed(plain: Buffer, name = 'f.enc'): Promise<{ dir: string; path: string; plain: Buffer }> {
  const dir = tmp();
  const path = join(dir, name);
  // Several chunks, as a socket would deliver them.
  const chunks = [plain.subarray(0, 7), plain.subarray(7, 70_000), plain.subarray(70_000)];
  await encryptStream(Readable.from(chunks), path, name, key);
  return { dir, path, plain };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('backup encryption (AES-256-GCM, streamed)', () => {
  it('round-trips a stream, and the file holds no plaintext', async () => {
    const plain = Buffer.concat([Buffer.from('a-known-plaintext-value '.repeat(10_000)), randomBytes(1000)]);
    const { dir, path } = await sealed(plain);
    const file = readFileSync(path);
    expect(file.length).toBe(plain.length + 12 + 16);
    expect(file.includes(Buffer.from('a-known-plaintext-value'))).toBe(false);
    const out = join(dir, 'plain');
    const r = await decryptFile(path, out, 'f.enc', key);
    expect(readFileSync(out).equals(plain)).toBe(true);
    expect(r.bytes_plain).toBe(plain.length);
  });

  it('refuses a file with one flipped bit, a swapped name (AAD) and the wrong key', async () => {
    const { dir, path } = await sealed(randomBytes(100_000));
    const out = join(dir, 'plain');
    await expect(rejection(decryptFile(path, out, 'other.enc', key))).resolves.toBeInstanceOf(BackupAuthError);
    await expect(rejection(decryptFile(path, out, 'f.enc', otherKey))).resolves.toBeInstanceOf(BackupAuthError);
    const bytes = readFileSync(path);
    for (const at of [0, 50_000, bytes.length - 1]) {
      const copy = Buffer.from(bytes);
      copy[at] = (copy[at] ?? 0) ^ 1;
      writeFileSync(path, copy);
      await expect(rejection(decryptFile(path, out, 'f.enc', key))).resolves.toBeInstanceOf(BackupAuthError);
    }
  });

  it('encrypts an empty stream and decrypts it back to nothing', async () => {
    const { dir, path } = await sealed(Buffer.alloc(0));
    const r = await decryptFile(path, join(dir, 'plain'), 'f.enc', key);
    expect(r.bytes_plain).toBe(0);
  });
});

describe('loadBackupKey', () => {
  const good = randomBytes(32).toString('base64');
  it('reads a 32-byte base64 key from the environment or a 0600 file', () => {
    expect(loadBackupKey({ env: { CACHE_HARNESS_BACKUP_KEY: good } }).fileKey).toHaveLength(32);
    const f = join(tmp(), 'key');
    writeFileSync(f, `${good}\n`, { mode: 0o600 });
    expect(loadBackupKey({ keyFile: f, env: {} }).macKey).toHaveLength(32);
  });

  it('refuses no key, a short or non-base64 key, and a key file others can read, without showing the key', () => {
    expect(thrown(() => loadBackupKey({ env: {} }), HarnessError).message).toMatch(/no backup key/);
    const short = randomBytes(16).toString('base64');
    const e = thrown(() => loadBackupKey({ env: { CACHE_HARNESS_BACKUP_KEY: short } }), HarnessError);
    expect(e.message).toMatch(/not 32 bytes/);
    expect(e.message).not.toContain(short);
    thrown(() => loadBackupKey({ env: { CACHE_HARNESS_BACKUP_KEY: `${good}!!` } }), HarnessError);
    const f = join(tmp(), 'key');
    writeFileSync(f, good);
    chmodSync(f, 0o644);
    expect(thrown(() => loadBackupKey({ keyFile: f, env: {} }), HarnessError).message).toMatch(/readable by others/);
  });
});

const manifest = (): Manifest => ({
  format: 'cache-harness-backup',
  version: 1,
  kind: 'cluster',
  created_at: '2026-01-01T00:00:00.000Z',
  redis_version: '7.0.15',
  spec_hash: 'a'.repeat(64),
  source: '127.0.0.1:7001',
  files: [
    {
      file: 'master-1.rdb.enc',
      node: { id: 'abc', name: 'redis-1', address: '127.0.0.1:7001' },
      slots: [[0, 5460]],
      keys: 10,
      sha256_plain: 'b'.repeat(64),
      sha256_cipher: 'c'.repeat(64),
      bytes_plain: 1,
      bytes_cipher: 29,
    },
  ],
});

describe('manifest', () => {
  it('round-trips with its MAC, and refuses a changed field, the wrong key and a foreign file', () => {
    const dir = tmp();
    writeManifest(dir, manifest(), key);
    expect(readManifest(dir, key)).toEqual(manifest());
    expect(thrown(() => readManifest(dir, otherKey), HarnessError).message).toMatch(/authentication failed/);
    const path = join(dir, 'manifest.json');
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace('"keys": 10', '"keys": 11'));
    expect(thrown(() => readManifest(dir, key), HarnessError).message).toMatch(/authentication failed/);
    writeFileSync(path, JSON.stringify({ hello: 'world' }));
    expect(thrown(() => readManifest(dir, key), HarnessError).message).toMatch(/not a cache-harness backup manifest/);
    expect(thrown(() => readManifest(tmp(), key), HarnessError).message).toMatch(/no manifest.json/);
  });
});

describe('retention', () => {
  const e = (name: string, createdAt: string) => ({ name, createdAt });
  it('keeps the newest N by manifest time', () => {
    const all = [e('b', '2026-01-02'), e('a', '2026-01-01'), e('c', '2026-01-03')];
    expect(selectExpired(all, 2).map((x) => x.name)).toEqual(['a']);
    expect(selectExpired(all, 5)).toEqual([]);
    expect(thrown(() => selectExpired(all, 0), HarnessError).message).toMatch(/at least 1/);
  });

  it('deletes only older folders holding a manifest of ours', () => {
    const out = tmp();
    for (const [name, at] of [
      ['old', '2026-01-01T00:00:00.000Z'],
      ['mid', '2026-01-02T00:00:00.000Z'],
      ['new', '2026-01-03T00:00:00.000Z'],
    ] as const) {
      mkdirSync(join(out, name));
      writeManifest(join(out, name), { ...manifest(), created_at: at }, key);
    }
    mkdirSync(join(out, 'aaa-not-ours'));
    writeFileSync(join(out, 'aaa-not-ours', 'manifest.json'), '{"format":"something-else"}');
    mkdirSync(join(out, '.partial-x'));
    writeFileSync(join(out, 'loose-file'), 'x');
    expect(applyRetention(out, 1).sort()).toEqual(['mid', 'old']);
    for (const kept of ['new', 'aaa-not-ours', '.partial-x', 'loose-file']) expect(existsSync(join(out, kept))).toBe(true);
  });
});

describe('tenant export pieces', () => {
  it('turns an ACL LIST line into ACL SETUSER arguments that start from reset', () => {
    expect(aclSetUserFromLine('user tenant-a on #ab ~cliente:a:* -@all +get (~x +zadd)')).toEqual([
      'SETUSER',
      'tenant-a',
      'reset',
      'on',
      '#ab',
      '~cliente:a:*',
      '-@all',
      '+get',
      '(~x',
      '+zadd)',
    ]);
    thrown(() => aclSetUserFromLine('default on nopass'), HarnessError);
  });

  it('writes key records as a stream and reads them back in batches', async () => {
    const recs = Array.from({ length: 2500 }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      expireAt: i % 2 ? 1_800_000_000_000 + i : 0,
      dump: randomBytes(i % 50),
    }));
    const path = join(tmp(), 'records');
    const stream = recordStream([recs.slice(0, 1000), recs.slice(1000)]);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    writeFileSync(path, Buffer.concat(chunks));
    const back = [];
    for await (const b of readRecords(path, 1000)) back.push(...b);
    expect(back).toHaveLength(2500);
    expect(back.map((r) => [r.key.toString(), r.expireAt, r.dump.toString('hex')])).toEqual(
      recs.map((r) => [r.key.toString(), r.expireAt, r.dump.toString('hex')]),
    );
  });
});
