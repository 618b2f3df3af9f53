import { describe, expect, it } from 'vitest';
import { encodeCommand, REPLY_ERROR, REPLY_NIL, REPLY_OK, RespScanner } from '../../src/bench/index.js';

function scanAll(chunks: Buffer[]): { statuses: number[]; errors: string[] } {
  const statuses: number[] = [];
  const errors: string[] = [];
  const s = new RespScanner((st) => {
    statuses.push(st);
    if (st === REPLY_ERROR) errors.push(s.lastError());
  });
  for (const c of chunks) s.feed(c);
  return { statuses, errors };
}

const STREAM = Buffer.concat([
  Buffer.from('+OK\r\n'),
  Buffer.from('$5\r\nhello\r\n'),
  Buffer.from('$-1\r\n'),
  Buffer.from(':42\r\n'),
  Buffer.from('-MOVED 866 127.0.0.1:7002\r\n'),
  Buffer.from('$0\r\n\r\n'),
  Buffer.from('*2\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n'),
  Buffer.from('*0\r\n'),
  Buffer.from('*-1\r\n'),
  Buffer.from('$12\r\nab\r\ncd\r\nefgh\r\n'),
  Buffer.from('-ERR wrong\r\n'),
]);
const EXPECTED = [REPLY_OK, REPLY_OK, REPLY_NIL, REPLY_OK, REPLY_ERROR, REPLY_OK, REPLY_OK, REPLY_OK, REPLY_NIL, REPLY_OK, REPLY_ERROR];

describe('RespScanner', () => {
  it('reports one status per top-level reply, in order', () => {
    const r = scanAll([STREAM]);
    expect(r.statuses).toEqual(EXPECTED);
    expect(r.errors).toEqual(['MOVED 866 127.0.0.1:7002', 'ERR wrong']);
  });

  it('gives the same result wherever the stream is split (every split point, and byte by byte)', () => {
    for (let cut = 1; cut < STREAM.length; cut++) {
      expect(scanAll([STREAM.subarray(0, cut), STREAM.subarray(cut)]).statuses, `split at ${cut}`).toEqual(EXPECTED);
    }
    const bytes = [...STREAM].map((b) => Buffer.of(b));
    expect(scanAll(bytes)).toEqual(scanAll([STREAM]));
  });

  it('skips bulk payloads holding CRLF and RESP-looking bytes', () => {
    const payload = Buffer.from('-ERR not an error\r\n+OK\r\n');
    const r = scanAll([Buffer.concat([Buffer.from(`$${payload.length}\r\n`), payload, Buffer.from('\r\n+OK\r\n')])]);
    expect(r.statuses).toEqual([REPLY_OK, REPLY_OK]);
  });

  it('rejects a byte that starts no RESP2 type', () => {
    expect(() => scanAll([Buffer.from('?oops\r\n')])).toThrow(/unexpected RESP type byte/);
  });
});

describe('encodeCommand', () => {
  it('encodes strings, numbers and Buffers as a RESP array of bulk strings', () => {
    expect(encodeCommand(['SET', 'k', Buffer.from('v\r\n'), 'EX', 300]).toString()).toBe(
      '*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n$2\r\nEX\r\n$3\r\n300\r\n',
    );
    expect(encodeCommand(['GET', 'ção']).toString()).toBe('*2\r\n$3\r\nGET\r\n$5\r\nção\r\n');
  });
});
