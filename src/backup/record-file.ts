import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { HarnessError } from '../errors.js';
import type { KeyRecord } from './key-records.js';

// A tenant export's key file, before encryption: one record per key, `u32 keyLen | u32 dumpLen |
// f64 expireAt | key | dump`, so it is read back one record at a time.

const HEAD = 16;

function encodeRecord(r: KeyRecord): Buffer {
  const head = Buffer.alloc(HEAD);
  head.writeUInt32BE(r.key.length, 0);
  head.writeUInt32BE(r.dump.length, 4);
  head.writeDoubleBE(r.expireAt, 8);
  return Buffer.concat([head, r.key, r.dump]);
}

/** Record batches → a byte stream (for encryptStream). */
export function recordStream(batches: AsyncIterable<KeyRecord[]> | Iterable<KeyRecord[]>): Readable {
  return Readable.from(
    (async function* () {
      for await (const batch of batches) if (batch.length > 0) yield Buffer.concat(batch.map(encodeRecord));
    })(),
  );
}

/** Read a (decrypted) record file back, `batch` records at a time. */
export async function* readRecords(path: string, batch = 1000): AsyncGenerator<KeyRecord[]> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    let pos = 0;
    let out: KeyRecord[] = [];
    const head = Buffer.alloc(HEAD);
    while (pos < size) {
      if (pos + HEAD > size) throw new HarnessError(`${path}: truncated record at byte ${pos}`);
      await fh.read(head, 0, HEAD, pos);
      const keyLen = head.readUInt32BE(0);
      const dumpLen = head.readUInt32BE(4);
      const expireAt = head.readDoubleBE(8);
      if (pos + HEAD + keyLen + dumpLen > size) throw new HarnessError(`${path}: truncated record at byte ${pos}`);
      const body = Buffer.alloc(keyLen + dumpLen);
      await fh.read(body, 0, body.length, pos + HEAD);
      out.push({ key: body.subarray(0, keyLen), dump: body.subarray(keyLen), expireAt });
      pos += HEAD + keyLen + dumpLen;
      if (out.length >= batch) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    await fh.close();
  }
}
