/** RESP2 encoding of one command, and a streaming, allocation-free reply scanner for the lean driver. */

const CRLF = Buffer.from('\r\n');

/** `*<n>\r\n$<len>\r\n<arg>\r\n...` */
export function encodeCommand(args: ReadonlyArray<string | Buffer | number>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
  }
  return Buffer.concat(parts);
}

/** Reply status handed to the callback, per top-level reply. */
export const REPLY_OK = 0;
/** A null bulk string or null array (GET of a missing key). */
export const REPLY_NIL = 1;
export const REPLY_ERROR = 2;

const ST_TYPE = 0;
const ST_LINE = 1;
const ST_BULK = 2;
const MAX_DEPTH = 32;

/**
 * Feeds on socket chunks and calls `onReply(status)` once per complete top-level reply, in order.
 * It keeps no reply data (bulk payloads are skipped) except the text of error replies, which
 * `lastError()` returns. Replies may be split anywhere across chunks.
 */
export class RespScanner {
  private state = ST_TYPE;
  private type = 0;
  private num = 0;
  private neg = false;
  private skip = 0;
  private readonly stack = new Int32Array(MAX_DEPTH);
  private depth = 0;
  private readonly errBuf = Buffer.alloc(512);
  private errLen = 0;
  private lastErr = '';

  constructor(private readonly onReply: (status: number) => void) {}

  /** The message of the latest error reply (e.g. "MOVED 866 127.0.0.1:7002"). */
  lastError(): string {
    return this.lastErr;
  }

  /** Scan bytes [start, end) of `buf` (default: all of it). */
  feed(buf: Uint8Array, start = 0, end = buf.length): void {
    const n = end;
    let i = start;
    while (i < n) {
      if (this.state === ST_BULK) {
        const take = n - i < this.skip ? n - i : this.skip;
        this.skip -= take;
        i += take;
        if (this.skip === 0) {
          this.state = ST_TYPE;
          this.valueDone(REPLY_OK);
        }
        continue;
      }
      if (this.state === ST_TYPE) {
        this.type = buf[i++] ?? 0;
        this.num = 0;
        this.neg = false;
        if (this.type === 45 /* - */) this.errLen = 0;
        this.state = ST_LINE;
        continue;
      }
      // ST_LINE: read to LF
      const c = buf[i++] ?? 0;
      if (c === 10) {
        this.lineDone();
        continue;
      }
      if (c === 13) continue;
      if (this.type === 36 /* $ */ || this.type === 42 /* * */) {
        if (c === 45) this.neg = true;
        else this.num = this.num * 10 + (c - 48);
      } else if (this.type === 45 && this.errLen < this.errBuf.length) {
        this.errBuf[this.errLen++] = c;
      }
    }
  }

  private lineDone(): void {
    this.state = ST_TYPE;
    switch (this.type) {
      case 36: // $len
        if (this.neg) this.valueDone(REPLY_NIL);
        else {
          this.skip = this.num + 2;
          this.state = ST_BULK;
        }
        return;
      case 42: // *count
        if (this.neg) this.valueDone(REPLY_NIL);
        else if (this.num === 0) this.valueDone(REPLY_OK);
        else {
          if (this.depth >= MAX_DEPTH) throw new Error('RESP reply nested too deep');
          this.stack[this.depth++] = this.num;
        }
        return;
      case 45: // -error
        this.lastErr = this.errBuf.toString('utf8', 0, this.errLen);
        this.valueDone(REPLY_ERROR);
        return;
      case 43: // +simple
      case 58: // :integer
        this.valueDone(REPLY_OK);
        return;
      default:
        throw new Error(`unexpected RESP type byte ${this.type} (${JSON.stringify(String.fromCharCode(this.type))})`);
    }
  }

  /** A value ended: either a top-level reply, or one element of the enclosing array(s). */
  private valueDone(status: number): void {
    if (this.depth === 0) {
      this.onReply(status);
      return;
    }
    while (this.depth > 0) {
      const left = (this.stack[this.depth - 1] ?? 1) - 1;
      this.stack[this.depth - 1] = left;
      if (left > 0) return;
      this.depth--;
    }
    // An array with an error element (e.g. EXEC) is still a reply; only a top-level error is an error.
    this.onReply(REPLY_OK);
  }
}
