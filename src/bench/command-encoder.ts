import { CommandArena } from './command-arena.js';
import { OP_GET, valueOf, type OpTable } from './op-table.js';

/** Encode GET key / SET key value [EX ttl] for every entry of the table, each distinct segment once. */
export function encodeCommands(table: OpTable): CommandArena {
  const out = new ArenaBuilder();
  // Segment offsets by what they encode; numeric and key-string keys only (no per-entry garbage).
  const getHeads = new Map<string, number>();
  const setHeads = new Map<number, Map<string, number>>();
  const values = new Map<number, number>();
  const tails = new Map<number, number>();
  const segs = new Int32Array(new SharedArrayBuffer(4 * 6 * table.size));
  const put = (i: number, k: number, off: number, end: number) => {
    segs[6 * i + 2 * k] = off;
    segs[6 * i + 2 * k + 1] = end - off;
  };
  for (let i = 0; i < table.size; i++) {
    const key = table.key[i] ?? '';
    if (table.kind[i] === OP_GET) {
      const off =
        getHeads.get(key) ?? out.remember(getHeads, key, () => out.ascii(`*2\r\n$3\r\nGET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`));
      put(i, 0, off, out.endOf(off));
      continue;
    }
    const bytes = table.valueSize[i] ?? 1;
    // TTL 0: a plain SET (the comparisons' reference tables, like redis-benchmark's and memtier's).
    const ttl = table.ttl[i] ?? 0;
    const argc = ttl > 0 ? 5 : 3;
    const byKey = setHeads.get(bytes * 8 + argc) ?? new Map<string, number>();
    setHeads.set(bytes * 8 + argc, byKey);
    const head =
      byKey.get(key) ??
      out.remember(byKey, key, () => out.ascii(`*${argc}\r\n$3\r\nSET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n$${bytes}\r\n`));
    const value = values.get(bytes) ?? out.remember(values, bytes, () => out.bytes(valueOf(bytes)));
    const tail =
      tails.get(ttl) ??
      out.remember(tails, ttl, () => out.ascii(ttl > 0 ? `\r\n$2\r\nEX\r\n$${String(ttl).length}\r\n${ttl}\r\n` : '\r\n'));
    put(i, 0, head, out.endOf(head));
    put(i, 1, value, out.endOf(value));
    put(i, 2, tail, out.endOf(tail));
  }
  return CommandArena.attach({ bytes: out.toShared(), segments: segs.buffer });
}

/** Appends segments to one growing buffer, remembering where each ends. */
class ArenaBuilder {
  private buf = Buffer.allocUnsafe(1 << 20);
  private len = 0;
  private readonly ends = new Map<number, number>();

  /** Append, record the segment's offset under `key` in `map`, return the offset. */
  remember<K>(map: Map<K, number>, key: K, append: () => number): number {
    const off = append();
    map.set(key, off);
    return off;
  }

  endOf(off: number): number {
    return this.ends.get(off) ?? off;
  }

  ascii(text: string): number {
    return this.append(Buffer.byteLength(text), (at) => this.buf.write(text, at));
  }

  bytes(b: Uint8Array): number {
    return this.append(b.length, (at) => {
      this.buf.set(b, at);
      return b.length;
    });
  }

  toShared(): SharedArrayBuffer {
    const shared = new SharedArrayBuffer(Math.max(1, this.len));
    new Uint8Array(shared).set(this.buf.subarray(0, this.len));
    return shared;
  }

  private append(n: number, write: (at: number) => number): number {
    if (this.len + n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.len + n));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    const off = this.len;
    this.len += write(off);
    this.ends.set(off, this.len);
    return off;
  }
}
