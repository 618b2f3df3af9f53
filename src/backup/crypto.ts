import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, type Hash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HarnessError } from '../errors.js';

// AES-256-GCM for every backup file, streamed: a 1M-key RDB is never held in memory. File layout:
// 12-byte random IV || ciphertext || 16-byte GCM tag. The file's name is the additional authenticated
// data, so two files of one backup cannot be swapped without the tag failing.

export const BACKUP_KEY_ENV = 'CACHE_HARNESS_BACKUP_KEY';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The backup key, and the two keys derived from it (one per use, so a file key never MACs a manifest). */
export interface BackupKey {
  fileKey: Buffer;
  macKey: Buffer;
}

const NO_KEY_HINT = `set ${BACKUP_KEY_ENV} to 32 random bytes in base64 (e.g. \`openssl rand -base64 32\`), or pass --key-file with such a line (mode 0600)`;

/**
 * The key from --key-file (base64 text, the file readable by its owner only) or CACHE_HARNESS_BACKUP_KEY.
 * No key is exit 2: a backup is never written in plaintext by accident.
 */
export function loadBackupKey(opts: { keyFile?: string | undefined; env?: NodeJS.ProcessEnv } = {}): BackupKey {
  const env = opts.env ?? process.env;
  let text: string;
  let source: string;
  if (opts.keyFile !== undefined) {
    let mode: number;
    try {
      mode = statSync(opts.keyFile).mode;
    } catch {
      throw new HarnessError(`--key-file ${opts.keyFile} cannot be read`, NO_KEY_HINT);
    }
    if ((mode & 0o077) !== 0)
      throw new HarnessError(
        `--key-file ${opts.keyFile} is readable by others (mode ${(mode & 0o777).toString(8)})`,
        `chmod 600 ${opts.keyFile}`,
      );
    text = readFileSync(opts.keyFile, 'utf8');
    source = '--key-file';
  } else {
    const v = env[BACKUP_KEY_ENV];
    if (!v) throw new HarnessError(`no backup key: ${BACKUP_KEY_ENV} is not set and no --key-file was given`, NO_KEY_HINT);
    text = v;
    source = BACKUP_KEY_ENV;
  }
  const trimmed = text.trim();
  const raw = Buffer.from(trimmed, 'base64');
  // Buffer.from ignores what is not base64: re-encode to be sure the whole text was a key.
  if (raw.length !== KEY_BYTES || raw.toString('base64').replace(/=+$/, '') !== trimmed.replace(/=+$/, ''))
    throw new HarnessError(`the backup key in ${source} is not 32 bytes in base64 (not shown)`, NO_KEY_HINT);
  return deriveKeys(raw);
}

export function deriveKeys(raw: Buffer): BackupKey {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', raw, Buffer.alloc(0), info, KEY_BYTES));
  return { fileKey: derive('cache-harness backup file v1'), macKey: derive('cache-harness backup manifest v1') };
}

/** SHA-256 of the plaintext and of the ciphertext, and their sizes: what the manifest records per file. */
export interface SealedFile {
  sha256_plain: string;
  sha256_cipher: string;
  bytes_plain: number;
  bytes_cipher: number;
}

/** Count and hash what passes through. */
function tap(hash: Hash, counter: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      counter.n += chunk.length;
      cb(null, chunk);
    },
  });
}

/** Encrypt a stream into `path` (mode 0600), streaming; `name` is bound to the ciphertext as AAD. */
export async function encryptStream(source: Readable, path: string, name: string, key: BackupKey): Promise<SealedFile> {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.fileKey, iv);
  cipher.setAAD(Buffer.from(name));
  const plainHash = createHash('sha256');
  const cipherHash = createHash('sha256');
  const plain = { n: 0 };
  const enc = { n: 0 };
  // IV first, the tag last: the tag exists once the cipher has flushed, i.e. in the next stage's flush.
  let started = false;
  const frame = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (!started) this.push(iv);
      started = true;
      cb(null, chunk);
    },
    flush(cb) {
      if (!started) this.push(iv);
      cb(null, cipher.getAuthTag());
    },
  });
  await pipeline(source, tap(plainHash, plain), cipher, frame, tap(cipherHash, enc), createWriteStream(path, { mode: 0o600, flags: 'wx' }));
  return {
    sha256_plain: plainHash.digest('hex'),
    sha256_cipher: cipherHash.digest('hex'),
    bytes_plain: plain.n,
    bytes_cipher: enc.n,
  };
}

/** Thrown when a file's tag or hash does not verify: a tampered file or the wrong key (exit 2). */
export class BackupAuthError extends HarnessError {}

/**
 * Decrypt `path` into `outPath` (0600), streaming, and verify the GCM tag at the end; a bad tag removes
 * nothing but throws, and the caller discards `outPath`. Returns the plaintext's SHA-256 and size.
 */
export async function decryptFile(
  path: string,
  outPath: string,
  name: string,
  key: BackupKey,
): Promise<{ sha256_plain: string; bytes_plain: number }> {
  const fd = openSync(path, 'r');
  let iv: Buffer;
  let tag: Buffer;
  let size: number;
  try {
    size = fstatSync(fd).size;
    if (size < IV_BYTES + TAG_BYTES) throw new BackupAuthError(`${name}: too short to be an encrypted backup file (${size} bytes)`);
    iv = Buffer.alloc(IV_BYTES);
    tag = Buffer.alloc(TAG_BYTES);
    readSync(fd, iv, 0, IV_BYTES, 0);
    readSync(fd, tag, 0, TAG_BYTES, size - TAG_BYTES);
  } finally {
    closeSync(fd);
  }
  const decipher = createDecipheriv('aes-256-gcm', key.fileKey, iv);
  decipher.setAAD(Buffer.from(name));
  decipher.setAuthTag(tag);
  const plainHash = createHash('sha256');
  const plain = { n: 0 };
  const body = size - IV_BYTES - TAG_BYTES;
  const input = body > 0 ? createReadStream(path, { start: IV_BYTES, end: IV_BYTES + body - 1 }) : emptyStream();
  try {
    await pipeline(input, decipher, tap(plainHash, plain), createWriteStream(outPath, { mode: 0o600 }));
  } catch (err) {
    if (err instanceof Error && /unable to authenticate|auth/i.test(err.message))
      throw new BackupAuthError(
        `${name}: authentication failed: the file was changed or the key is not the one it was written with`,
        'restore from an intact backup with the key it was taken with',
      );
    throw err;
  }
  return { sha256_plain: plainHash.digest('hex'), bytes_plain: plain.n };
}

function emptyStream(): Readable {
  return Readable.from([]);
}

/** SHA-256 of a whole file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** HMAC-SHA256 of a manifest's canonical text with the derived manifest key. */
export function macOf(text: string, key: BackupKey): string {
  return createHmac('sha256', key.macKey).update(text).digest('hex');
}
