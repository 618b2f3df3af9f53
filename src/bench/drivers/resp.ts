import { connect, type Socket } from 'node:net';
import { explainConnectError } from '../../cluster/index.js';
import { OP_GET, valueOf } from '../op-table.js';
import { memo } from '../prng.js';
import { encodeCommand, REPLY_ERROR, RespScanner } from '../resp.js';
import { PendingRing, type Driver, type DriverContext } from './driver.js';

const SLAB_BYTES = 256 * 1024;
const HANDSHAKE = -1;

/**
 * The lean driver: one (or a few) pipelined RESP2 connections per master, commands pre-encoded as
 * Buffers once per op-table entry, the ops of one tick copied into one write per connection, replies
 * scanned without building reply objects. Ops are routed by the slot map read before the run.
 */
export async function createRespDriver(ctx: DriverContext): Promise<Driver> {
  const { table, topology } = ctx;
  const head: Buffer[] = new Array<Buffer>(table.size);
  const value: Array<Buffer | null> = new Array<Buffer | null>(table.size);
  const tail: Array<Buffer | null> = new Array<Buffer | null>(table.size);
  const nodeOf = new Uint8Array(table.size);
  const values = new Map<number, Buffer>();
  const tails = new Map<number, Buffer>();
  const heads = new Map<string, Buffer>();
  for (let i = 0; i < table.size; i++) {
    const key = table.key[i] ?? '';
    nodeOf[i] = topology.slotOwner[table.slot[i] ?? 0] ?? 0;
    if (table.kind[i] === OP_GET) {
      const id = `g${key}`;
      head[i] = memo(heads, id, () => encodeCommand(['GET', key]));
      value[i] = null;
      tail[i] = null;
    } else {
      const bytes = table.valueSize[i] ?? 1;
      const ttl = table.ttl[i] ?? 1;
      const id = `s${bytes}:${key}`;
      const k = Buffer.from(key);
      head[i] = memo(heads, id, () => Buffer.concat([Buffer.from(`*5\r\n$3\r\nSET\r\n$${k.length}\r\n`), k, Buffer.from(`\r\n$${bytes}\r\n`)]));
      value[i] = memo(values, bytes, () => valueOf(bytes));
      tail[i] = memo(tails, ttl, () => Buffer.from(`\r\n$2\r\nEX\r\n$${String(ttl).length}\r\n${ttl}\r\n`));
    }
  }

  const conns: RespConn[][] = [];
  const dirty: RespConn[] = [];
  let flushScheduled = false;
  const flushAll = () => {
    flushScheduled = false;
    for (const c of dirty) c.flush();
    dirty.length = 0;
  };
  try {
    for (const m of topology.masters) {
      const list: RespConn[] = [];
      conns.push(list);
      for (let j = 0; j < ctx.connections; j++) list.push(await RespConn.open(m.host, m.port, ctx));
    }
  } catch (err) {
    for (const list of conns) for (const c of list) c.destroy();
    throw err;
  }
  const rr = new Uint32Array(conns.length);

  return {
    name: 'resp',
    send(op, start) {
      const node = nodeOf[op] ?? 0;
      const list = conns[node];
      if (!list) return;
      const c = list.length === 1 ? list[0] : list[(rr[node] = ((rr[node] ?? 0) + 1) % list.length)];
      if (!c) return;
      if (!c.alive) {
        ctx.onFailed(start, c.deadReason);
        return;
      }
      c.append(head[op] as Buffer);
      const v = value[op];
      if (v) {
        c.append(v);
        c.append(tail[op] as Buffer);
      }
      c.pending.push(op, start);
      if (!c.dirty) {
        c.dirty = true;
        dirty.push(c);
      }
      if (!flushScheduled) {
        flushScheduled = true;
        process.nextTick(flushAll);
      }
    },
    inFlight() {
      let n = 0;
      for (const list of conns) for (const c of list) n += c.pending.size;
      return n;
    },
    forEachPending(fn) {
      for (const list of conns) for (const c of list) c.pending.forEach(fn);
    },
    async close() {
      await Promise.all(conns.flat().map((c) => c.end()));
    },
  };
}

class RespConn {
  readonly pending = new PendingRing();
  private readonly scanner: RespScanner;
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private slabStart = 0;
  private slabPos = 0;
  dirty = false;
  alive = true;
  deadReason = '';
  private now = 0;
  private handshake: { resolve: () => void; reject: (e: Error) => void } | undefined;

  private constructor(private readonly sock: Socket, private readonly where: string, private readonly ctx: DriverContext) {
    this.scanner = new RespScanner((status) => this.reply(status));
    sock.on('data', (buf: Buffer) => {
      this.now = performance.now();
      this.scanner.feed(buf);
    });
    sock.on('error', (err: Error) => {
      this.deadReason ||= `${where}: ${err.message}`;
    });
    sock.on('close', () => this.died(this.deadReason || `${where}: connection closed`));
  }

  static open(host: string, port: number, ctx: DriverContext): Promise<RespConn> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host, port, noDelay: true });
      const fail = (err: Error) => {
        sock.destroy();
        reject(explainConnectError({ host, port }, err));
      };
      const timer = setTimeout(() => fail(new Error('connect timeout (3 s)')), 3000);
      sock.once('error', fail);
      sock.once('connect', () => {
        sock.off('error', fail);
        const c = new RespConn(sock, `${host}:${port}`, ctx);
        const { username, password } = ctx.target;
        if (!password) {
          clearTimeout(timer);
          resolve(c);
          return;
        }
        c.handshake = {
          resolve: () => { clearTimeout(timer); resolve(c); },
          reject: (e) => { clearTimeout(timer); c.destroy(); reject(explainConnectError({ host, port }, e)); },
        };
        c.append(encodeCommand(username ? ['AUTH', username, password] : ['AUTH', password]));
        c.pending.push(HANDSHAKE, 0);
        c.flush();
      });
    });
  }

  private reply(status: number): void {
    const op = this.pending.shift();
    if (op === HANDSHAKE) {
      const h = this.handshake;
      this.handshake = undefined;
      if (status === REPLY_ERROR) h?.reject(new Error(this.scanner.lastError()));
      else h?.resolve();
      return;
    }
    if (op < 0) return;
    this.ctx.onComplete(op, this.pending.lastStart, this.now, status, status === REPLY_ERROR ? this.scanner.lastError() : undefined);
  }

  /** Copy bytes into the current slab; a full slab is flushed and replaced (written regions are never reused). */
  append(b: Buffer): void {
    if (this.slabPos + b.length > this.slab.length) {
      this.flush();
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, b.length));
      this.slabStart = 0;
      this.slabPos = 0;
    }
    b.copy(this.slab, this.slabPos);
    this.slabPos += b.length;
  }

  flush(): void {
    this.dirty = false;
    if (this.slabPos === this.slabStart || !this.alive) return;
    this.sock.write(this.slab.subarray(this.slabStart, this.slabPos));
    this.slabStart = this.slabPos;
  }

  private died(reason: string): void {
    if (!this.alive) return;
    this.alive = false;
    this.deadReason = reason;
    const now = performance.now();
    if (this.handshake) {
      this.handshake.reject(new Error(reason));
      this.handshake = undefined;
    }
    for (let op = this.pending.shift(); op !== -2; op = this.pending.shift()) {
      if (op >= 0) this.ctx.onComplete(op, this.pending.lastStart, now, REPLY_ERROR, reason);
    }
  }

  end(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.sock.destroy(); resolve(); }, 1000);
      this.sock.once('close', () => { clearTimeout(t); resolve(); });
      this.alive = false;
      this.sock.end();
    });
  }

  destroy(): void {
    this.alive = false;
    this.sock.destroy();
  }
}
