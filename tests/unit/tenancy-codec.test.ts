import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CODEC_HEADER, CodecError, formOf, ValueCodec, type JsonValue } from '../../src/tenancy/index.js';

/** JSON's own idea of a value (drops -0 and the like), which is what any store round-trips. */
const viaJson = (v: JsonValue): JsonValue => JSON.parse(JSON.stringify(v)) as JsonValue;
/** Exactly what the seed SDK wrote: compressMobileData (mobile) and JSON.stringify (web), stored as UTF-8. */
const seedMobile = (v: JsonValue): Buffer => Buffer.from(Buffer.from(JSON.stringify(v)).toString('base64'), 'utf8');
const seedWeb = (v: JsonValue): Buffer => Buffer.from(JSON.stringify(v), 'utf8');

/** A CRM contact list like the seed's modules cache: repetitive keys, varied values. Deterministic. */
function contacts(n: number): JsonValue {
  const first = ['Ana', 'Bruno', 'Carla', 'Diego', 'Eduarda', 'Felipe', 'João', 'Natália', 'Otávio', 'Vitória'];
  const last = ['Silva', 'Santos', 'Oliveira', 'Souza', 'Ferreira', 'Lima', 'Costa', 'Ribeiro'];
  return Array.from({ length: n }, (_, i) => {
    const f = first[(i * 7) % first.length] ?? 'Ana';
    const l = last[(i * 5) % last.length] ?? 'Silva';
    return {
      id: `ct_${((i * 2654435761) % 2 ** 32).toString(36)}`,
      name: `${f} ${l}`,
      email: `${f.toLowerCase()}.${l.toLowerCase()}${i}@exemplo.com.br`,
      phone: `+55 11 9${String((i * 48271) % 1e8).padStart(8, '0')}`,
      tags: [i % 3 ? 'cliente' : 'lead', 'sp'],
      score: (i * 37) % 100,
      optIn: i % 4 !== 0,
    };
  });
}

describe('ValueCodec', () => {
  it('round-trips every JSON value, raw and through both compressors', () => {
    const codecs = [new ValueCodec(), new ValueCodec({ compressAbove: 0 }), new ValueCodec({ compressAbove: 0, compression: 'gzip' })];
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        for (const c of codecs) expect(c.decode(c.encode(v as JsonValue))).toEqual(viaJson(v as JsonValue));
      }),
      { numRuns: 300 },
    );
  });

  it('writes a one-byte header naming the form', () => {
    expect(new ValueCodec().encode({ a: 1 })[0]).toBe(CODEC_HEADER.json);
    expect(new ValueCodec().encode(contacts(50))[0]).toBe(CODEC_HEADER.brotli);
    expect(new ValueCodec({ compression: 'gzip' }).encode(contacts(50))[0]).toBe(CODEC_HEADER.gzip);
    expect(formOf(new ValueCodec({ compression: 'gzip' }).encode(contacts(50)))).toBe('gzip');
    // The raw form is the JSON text after the header byte: readable with redis-cli.
    expect(new ValueCodec().encode({ a: 1 }).subarray(1).toString()).toBe('{"a":1}');
  });

  it("reads the seed's header-less values: base64 JSON (mobile) and plain JSON (web)", () => {
    const c = new ValueCodec();
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(formOf(seedMobile(v as JsonValue))).toBe('legacy-base64');
        expect(c.decode(seedMobile(v as JsonValue))).toEqual(viaJson(v as JsonValue));
        expect(formOf(seedWeb(v as JsonValue))).toBe('legacy-json');
        expect(c.decode(seedWeb(v as JsonValue))).toEqual(viaJson(v as JsonValue));
      }),
      { numRuns: 300 },
    );
    // JSON texts that are also strict base64 stay JSON.
    for (const v of [1234, 12345678, true, null, 'abcd']) expect(formOf(seedWeb(v))).toBe('legacy-json');
    expect(c.decode(seedMobile({ clientId: '123', modules: ['crm'] }))).toEqual({ clientId: '123', modules: ['crm'] });
    expect(c.stats().read['legacy-base64']).toBeGreaterThan(0);
  });

  it("compresses a large repetitive payload well below its JSON size, and below the seed's base64", () => {
    const v = contacts(100);
    const json = Buffer.byteLength(JSON.stringify(v));
    for (const compression of ['brotli', 'gzip'] as const) {
      const c = new ValueCodec({ compression });
      const stored = c.encode(v);
      expect(stored.length).toBeLessThan(json * 0.35);
      expect(stored.length).toBeLessThan(seedMobile(v).length * 0.3);
      expect(c.stats()).toMatchObject({ writes: 1, jsonBytes: json, storedBytes: stored.length, savedBytes: json - stored.length });
    }
    expect(new ValueCodec().encode(v).length).toBeLessThan(new ValueCodec({ compression: 'gzip' }).encode(v).length);
  });

  it('keeps values below the threshold raw, and never stores a compressed form larger than raw', () => {
    const c = new ValueCodec();
    const small = contacts(3);
    expect(JSON.stringify(small).length).toBeLessThan(1024);
    expect(c.encode(small)[0]).toBe(CODEC_HEADER.json);
    const tiny = new ValueCodec({ compressAbove: 0 });
    expect(tiny.encode('a')[0]).toBe(CODEC_HEADER.json);
    expect(tiny.stats()).toMatchObject({ written: { json: 1, gzip: 0, brotli: 0 }, savedBytes: -1 });
  });

  it('counts bytes saved across writes', () => {
    const c = new ValueCodec();
    const a = c.encode(contacts(100));
    const b = c.encode({ small: true });
    const s = c.stats();
    expect(s.writes).toBe(2);
    expect(s.storedBytes).toBe(a.length + b.length);
    expect(s.savedBytes).toBe(s.jsonBytes - s.storedBytes);
    expect(s.written).toEqual({ json: 1, gzip: 0, brotli: 1 });
  });

  it('rejects what no form decodes, with a CodecError', () => {
    const c = new ValueCodec({ maxDecodedBytes: 1000 });
    expect(() => c.decode(Buffer.alloc(0))).toThrow(CodecError);
    expect(() => c.decode(Buffer.from('hello world'))).toThrow(/neither ours/);
    expect(() => c.decode(Buffer.concat([Buffer.of(CODEC_HEADER.brotli), Buffer.from('garbage')]))).toThrow(CodecError);
    expect(() => c.decode(Buffer.concat([Buffer.of(CODEC_HEADER.json), Buffer.from('{bad')]))).toThrow(CodecError);
    // A value that inflates beyond the limit is refused (decompression bomb).
    const bomb = new ValueCodec().encode('x'.repeat(100_000));
    expect(bomb.length).toBeLessThan(100);
    expect(() => c.decode(bomb)).toThrow(/does not inflate/);
    expect(() => c.encode(undefined as unknown as JsonValue)).toThrow(CodecError);
  });
});
