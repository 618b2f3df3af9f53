import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { TenancyError } from './errors.js';

/** What a cache value may be: anything JSON can carry. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * First byte of every value we write. Control bytes 0x01-0x03 cannot start a JSON text nor a base64
 * string, so they also tell our values apart from the seed's header-less ones (base64 JSON, plain JSON).
 */
export const CODEC_HEADER = { json: 0x01, gzip: 0x02, brotli: 0x03 } as const;
export type Compression = 'gzip' | 'brotli';
/** How a stored value was encoded; the two `legacy-*` forms are the seed SDK's (read-only, for migration). */
export type StoredForm = keyof typeof CODEC_HEADER | 'legacy-base64' | 'legacy-json';

export interface CodecOptions {
  /** JSON at least this long (bytes) is compressed; smaller values stay raw (the header costs 1 byte, gzip's ~20). */
  compressAbove: number;
  /** brotli (quality 5) measured 1-3 points smaller than gzip-6 on JSON, at ~1.5x the encode time. */
  compression: Compression;
  /** Brotli quality 0-11. Node's default is 11, which measured 100-200x slower than 5 for ~2 points more. */
  brotliQuality: number;
  gzipLevel: number;
  /** Refuse to inflate beyond this (a corrupt or hostile value must not exhaust memory). */
  maxDecodedBytes: number;
}

export const DEFAULT_CODEC_OPTIONS: Readonly<CodecOptions> = {
  compressAbove: 1024,
  compression: 'brotli',
  brotliQuality: 5,
  gzipLevel: 6,
  maxDecodedBytes: 64 * 1024 * 1024,
};

/** Running totals; `savedBytes` is JSON bytes minus stored bytes (raw values cost 1 header byte each, so it can be negative). */
export interface CodecStats {
  writes: number;
  jsonBytes: number;
  storedBytes: number;
  savedBytes: number;
  written: Record<keyof typeof CODEC_HEADER, number>;
  read: Record<StoredForm, number>;
}

/** A stored value that no supported form decodes. */
export class CodecError extends TenancyError {}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** JSON values to and from the bytes stored in Redis. One instance per client; it keeps the byte counts. */
export class ValueCodec {
  readonly options: Readonly<CodecOptions>;
  private readonly counts: CodecStats = {
    writes: 0,
    jsonBytes: 0,
    storedBytes: 0,
    savedBytes: 0,
    written: { json: 0, gzip: 0, brotli: 0 },
    read: { json: 0, gzip: 0, brotli: 0, 'legacy-base64': 0, 'legacy-json': 0 },
  };

  constructor(options: Partial<CodecOptions> = {}) {
    this.options = { ...DEFAULT_CODEC_OPTIONS, ...options };
  }

  encode(value: JsonValue): Buffer {
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) throw new CodecError('the value is not JSON-serialisable', 'codec');
    const json = Buffer.from(text, 'utf8');
    let out = withHeader(CODEC_HEADER.json, json);
    let form: keyof typeof CODEC_HEADER = 'json';
    if (json.length >= this.options.compressAbove) {
      const packed = withHeader(CODEC_HEADER[this.options.compression], this.compress(json));
      // Incompressible data (already-compressed media, random ids) stays raw rather than growing.
      if (packed.length < out.length) [out, form] = [packed, this.options.compression];
    }
    const c = this.counts;
    c.writes++;
    c.jsonBytes += json.length;
    c.storedBytes += out.length;
    c.savedBytes = c.jsonBytes - c.storedBytes;
    c.written[form]++;
    return out;
  }

  decode(stored: Buffer): JsonValue {
    const { form, value } = decodeStored(stored, this.options.maxDecodedBytes);
    this.counts.read[form]++;
    return value;
  }

  stats(): CodecStats {
    return structuredClone(this.counts);
  }

  private compress(json: Buffer): Buffer {
    if (this.options.compression === 'gzip') return gzipSync(json, { level: this.options.gzipLevel });
    return brotliCompressSync(json, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: this.options.brotliQuality,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: json.length,
      },
    });
  }
}

/** Which form a stored value is in (decodes it to find out). */
export function formOf(stored: Buffer): StoredForm {
  return decodeStored(stored, DEFAULT_CODEC_OPTIONS.maxDecodedBytes).form;
}

function decodeStored(stored: Buffer, maxOutputLength: number): { form: StoredForm; value: JsonValue } {
  const body = stored.subarray(1);
  switch (stored[0]) {
    case undefined:
      throw new CodecError('stored value is empty', 'codec');
    case CODEC_HEADER.json:
      return { form: 'json', value: parseJson(body, 'json') };
    case CODEC_HEADER.gzip:
      return {
        form: 'gzip',
        value: parseJson(
          inflate(() => gunzipSync(body, { maxOutputLength }), 'gzip'),
          'gzip',
        ),
      };
    case CODEC_HEADER.brotli:
      return {
        form: 'brotli',
        value: parseJson(
          inflate(() => brotliDecompressSync(body, { maxOutputLength }), 'brotli'),
          'brotli',
        ),
      };
  }
  return decodeLegacy(stored);
}

/**
 * The seed's header-less values: base64 of JSON (mobile) or plain JSON (web). They cannot be confused:
 * base64 of a JSON text starts with one of C D I L M N O W Z b d e (never a JSON start), and a JSON text
 * that is also strict base64 ("1234", "true", "null") decodes to a first byte >= 0x80, which no JSON starts with.
 */
function decodeLegacy(stored: Buffer): { form: StoredForm; value: JsonValue } {
  const text = stored.toString('latin1');
  if (BASE64.test(text)) {
    const value = tryParseJson(Buffer.from(text, 'base64'));
    if (value.ok) return { form: 'legacy-base64', value: value.value };
  }
  const value = tryParseJson(stored);
  if (value.ok) return { form: 'legacy-json', value: value.value };
  throw new CodecError(
    `stored value (${stored.length} bytes, first byte 0x${(stored[0] ?? 0).toString(16).padStart(2, '0')}) is neither ours, the seed's base64 JSON nor plain JSON`,
    'codec',
  );
}

function inflate(run: () => Buffer, form: StoredForm): Buffer {
  try {
    return run();
  } catch (err) {
    throw new CodecError(`stored ${form} value does not inflate: ${(err as Error).message}`, 'codec');
  }
}

function parseJson(bytes: Buffer, form: StoredForm): JsonValue {
  const r = tryParseJson(bytes);
  if (!r.ok) throw new CodecError(`stored ${form} value is not UTF-8 JSON: ${r.error}`, 'codec');
  return r.value;
}

function tryParseJson(bytes: Buffer): { ok: true; value: JsonValue } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(utf8.decode(bytes)) as JsonValue };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

function withHeader(header: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.of(header), body]);
}
