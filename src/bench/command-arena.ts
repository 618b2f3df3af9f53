/**
 * Every op-table entry's RESP command, encoded once (command-encoder.ts), in one SharedArrayBuffer a
 * sender thread can read. This module is what the sender thread loads: it imports nothing.
 * A command is up to three segments (SET: head with the key, the value, the EX tail): keys are stored
 * once per distinct key, values once per size, tails once per TTL, so a 64k-entry table costs a few MB.
 */
export interface CommandArenaShare {
  bytes: SharedArrayBuffer;
  /** Six per op: offset and length of up to three segments (length 0: absent). */
  segments: SharedArrayBuffer;
}

/** Segments up to this size are copied byte by byte; larger ones (values) through a cached view and one memcpy. */
const SMALL_SEGMENT = 128;

export class CommandArena {
  private readonly bytes: Uint8Array;
  private readonly segments: Int32Array;
  /** Views of the large segments by offset: Buffer.copy would allocate a fresh view per call (GC at 100k ops/s). */
  private readonly views = new Map<number, Uint8Array>();

  private constructor(share: CommandArenaShare) {
    this.bytes = new Uint8Array(share.bytes);
    this.segments = new Int32Array(share.segments);
  }

  static attach(share: CommandArenaShare): CommandArena {
    return new CommandArena(share);
  }

  share(): CommandArenaShare {
    return { bytes: this.bytes.buffer as SharedArrayBuffer, segments: this.segments.buffer as SharedArrayBuffer };
  }

  /** Bytes of op's command. */
  length(op: number): number {
    const s = this.segments;
    const b = 6 * op;
    return (s[b + 1] ?? 0) + (s[b + 3] ?? 0) + (s[b + 5] ?? 0);
  }

  /** Copy op's command into `dst` at `pos` (the caller checks room); returns the position after it. Allocates nothing. */
  copy(op: number, dst: Uint8Array, pos: number): number {
    const s = this.segments;
    const src = this.bytes;
    let at = pos;
    for (let b = 6 * op, k = 0; k < 3; k++, b += 2) {
      const len = s[b + 1] ?? 0;
      if (len === 0) break;
      const off = s[b] ?? 0;
      if (len <= SMALL_SEGMENT) {
        for (let j = 0; j < len; j++) dst[at + j] = src[off + j] ?? 0;
      } else {
        let v = this.views.get(off);
        if (!v) {
          v = src.subarray(off, off + len);
          this.views.set(off, v);
        }
        dst.set(v, at);
      }
      at += len;
    }
    return at;
  }
}
