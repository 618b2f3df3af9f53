import { writeSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { explainConnectError, hostPort } from '../../cluster/index.js';
import { clockAnchor } from '../clock.js';
import type { CommandArena } from '../command-arena.js';
import { encodeCommands } from '../command-encoder.js';
import { ConnWriter } from '../conn-writer.js';
import { FdGuard } from '../fd-guard.js';
import type { OpenSchedule, SenderInit, SenderReport } from '../open-loop-sender.js';
import type { PacingOptions } from '../pacer.js';
import { PendingRing } from '../pending.js';
import { encodeCommand, REPLY_ERROR, RespScanner } from '../resp.js';
import { threadEntry } from '../thread-entry.js';
import type { Driver, DriverContext } from './driver.js';

const READ_BUFFER_BYTES = 64 * 1024;

/**
 * The lean driver: a few pipelined RESP2 connections per master, every op-table command encoded once
 * (CommandArena), replies scanned without building reply objects, ops routed by the slot map read
 * before the run. Two ways to send: from this thread (closed loop: each reply sends the next op), or
 * from a sender thread that writes to the sockets' fds at each op's intended time (open loop), so this
 * thread's event loop sleeps in epoll and reads replies the moment they arrive.
 */
export async function createRespDriver(ctx: DriverContext): Promise<Driver> {
  const { table, topology } = ctx;
  const arena = encodeCommands(table);
  const opNode = new Uint8Array(new SharedArrayBuffer(table.size));
  for (let i = 0; i < table.size; i++) opNode[i] = topology.slotOwner[table.slot[i] ?? 0] ?? 0;

  const conns: RespConn[] = [];
  const byNode: RespConn[][] = [];
  const dirty: RespConn[] = [];
  let flushScheduled = false;
  const flushAll = () => {
    flushScheduled = false;
    for (const c of dirty) c.flushInThread();
    dirty.length = 0;
  };
  const markDirty = (c: RespConn) => {
    if (!c.dirty) {
      c.dirty = true;
      dirty.push(c);
    }
    if (!flushScheduled) {
      flushScheduled = true;
      process.nextTick(flushAll);
    }
  };
  try {
    for (const [node, m] of topology.masters.entries()) {
      const list: RespConn[] = [];
      byNode.push(list);
      for (let j = 0; j < ctx.connections; j++) {
        const c = await RespConn.open(m.host, m.port, node, ctx, arena, markDirty);
        list.push(c);
        conns.push(c);
      }
    }
  } catch (err) {
    for (const c of conns) c.destroy();
    throw err;
  }
  const rr = new Uint32Array(byNode.length);
  /** Set while a sender thread owns the writes: nothing may write from this thread meanwhile. */
  let senderRunning = false;

  const driver: Driver = {
    name: 'resp',
    send(op, intended) {
      if (senderRunning) throw new Error('resp driver: a sender thread is writing; in-thread sends would interleave');
      const node = opNode[op] ?? 0;
      const list = byNode[node];
      if (!list) return;
      const c = list.length === 1 ? list[0] : list[(rr[node] = ((rr[node] ?? 0) + 1) % list.length)];
      c?.sendInThread(op, intended, performance.now());
    },
    inFlight() {
      let n = 0;
      for (const c of conns) n += c.ring.size;
      return n;
    },
    forEachPending(fn) {
      for (const c of conns) c.ring.forEach(fn);
    },
    // Without the sockets' fds (not a Unix socket API), the open loop runs in this thread instead.
    ...(conns.every((c) => c.fd >= 0) ? { runOpenLoop } : {}),
    async close() {
      await Promise.all(conns.map((c) => c.end()));
    },
  };
  return driver;

  async function runOpenLoop(schedule: OpenSchedule, pacing: PacingOptions, signal?: AbortSignal): Promise<SenderReport> {
    const stop = new SharedArrayBuffer(4);
    const stopNow = () => {
      Atomics.store(new Int32Array(stop), 0, 1);
      Atomics.notify(new Int32Array(stop), 0);
    };
    signal?.addEventListener('abort', stopNow, { once: true });
    if (signal?.aborted) stopNow();
    const init: SenderInit = {
      anchor: clockAnchor(),
      arena: arena.share(),
      opNode: opNode.buffer,
      bound: ctx.maxInFlightPerConn,
      schedule,
      pacing,
      stop,
      conns: conns.map((c) => ({ fd: c.fd, node: c.node, ring: c.ring.share(), guard: c.guard.buffer })),
    };
    for (const c of conns) c.writer.measureStart = schedule.measureStart;
    senderRunning = true;
    // The sender allocates almost nothing per op: a small heap keeps its resident memory small.
    const w = new Worker(threadEntry('sender-thread'), {
      workerData: init,
      execArgv: [],
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 },
    });
    try {
      return await new Promise<SenderReport>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`the sender thread exited with code ${code} before reporting`)));
      });
    } finally {
      signal?.removeEventListener('abort', stopNow);
      stopNow();
      await w.terminate();
      senderRunning = false;
      for (const c of conns) c.failPendingIfDead();
    }
  }
}

/** One connection: this thread reads (and owns the socket); writes come from here or from a sender thread. */
class RespConn {
  readonly ring: PendingRing;
  readonly guard = new FdGuard();
  readonly writer: ConnWriter;
  private readonly scanner: RespScanner;
  dirty = false;
  alive = true;
  private deadReason = '';
  private now = 0;
  private handshake: { resolve: () => void; reject: (e: Error) => void } | undefined;

  private constructor(
    private readonly sock: Socket,
    readonly fd: number,
    readonly node: number,
    where: string,
    private readonly ctx: DriverContext,
    arena: CommandArena,
    private readonly markDirty: (c: RespConn) => void,
  ) {
    this.ring = PendingRing.create(ctx.maxInFlightPerConn);
    this.writer = new ConnWriter(this.ring, ctx.maxInFlightPerConn, arena, (buf, start, end) => this.writeInThread(buf, start, end), 0);
    this.scanner = new RespScanner((status) => this.reply(status));
    // Node closes the fd inside _destroy: retire the guard first, so a sender thread never writes to a closed
    // (and possibly reused) fd number.
    const s = sock as unknown as { _destroy: (err: Error | null, cb: (e?: Error | null) => void) => void };
    const destroy = s._destroy;
    s._destroy = (err, cb) => {
      this.guard.retire();
      destroy.call(sock, err, cb);
    };
    sock.on('error', (err: Error) => {
      this.deadReason ||= `${where}: ${err.message}`;
    });
    sock.on('close', () => this.died(this.deadReason || `${where}: connection closed`));
  }

  /** Connect (and AUTH), reading with one reusable buffer: no allocation per chunk. */
  static open(
    host: string,
    port: number,
    node: number,
    ctx: DriverContext,
    arena: CommandArena,
    markDirty: (c: RespConn) => void,
  ): Promise<RespConn> {
    return new Promise((resolve, reject) => {
      let conn: RespConn | undefined;
      const sock = connect({
        host,
        port,
        noDelay: true,
        onread: {
          buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
          callback: (n: number, buf: Uint8Array) => {
            conn?.onData(buf as Buffer, n);
            return true;
          },
        },
      });
      const fail = (err: Error) => {
        sock.destroy();
        reject(explainConnectError({ host, port }, err));
      };
      const timer = setTimeout(() => fail(new Error('connect timeout (3 s)')), 3000);
      sock.once('error', fail);
      sock.once('connect', () => {
        sock.off('error', fail);
        const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
        const c = new RespConn(sock, fd, node, hostPort({ host, port }), ctx, arena, markDirty);
        conn = c;
        const { username, password } = ctx.target;
        if (!password) {
          clearTimeout(timer);
          resolve(c);
          return;
        }
        c.handshake = {
          resolve: () => {
            clearTimeout(timer);
            resolve(c);
          },
          reject: (e) => {
            clearTimeout(timer);
            c.destroy();
            reject(explainConnectError({ host, port }, e));
          },
        };
        sock.write(encodeCommand(username ? ['AUTH', username, password] : ['AUTH', password]));
      });
    });
  }

  private onData(buf: Buffer, n: number): void {
    this.now = performance.now();
    this.scanner.feed(buf, 0, n);
  }

  private reply(status: number): void {
    if (this.handshake) {
      const h = this.handshake;
      this.handshake = undefined;
      if (status === REPLY_ERROR) h.reject(new Error(this.scanner.lastError()));
      else h.resolve();
      return;
    }
    const op = this.ring.shift();
    if (op < 0) return;
    this.ctx.onComplete(
      op,
      this.ring.lastIntended,
      this.ring.lastSentAt,
      this.now,
      status,
      status === REPLY_ERROR ? this.scanner.lastError() : undefined,
    );
    if (this.writer.backlogSize > 0) {
      this.writer.pump(this.now);
      this.markDirty(this);
    }
  }

  sendInThread(op: number, intended: number, now: number): void {
    this.writer.offer(op, intended, now);
    this.markDirty(this);
  }

  flushInThread(): void {
    this.dirty = false;
    // A full socket buffer (EAGAIN) leaves bytes behind: try again on the next turn of the loop.
    if (!this.writer.flush()) setImmediate(() => this.markDirty(this));
  }

  /** write(2) on the fd, as the sender thread does: the slab is reused at once, so nothing may keep a reference to it. */
  private writeInThread(buf: Buffer, start: number, end: number): number {
    if (!this.alive) return -1;
    if (this.fd < 0) {
      this.sock.write(Buffer.from(buf.subarray(start, end)));
      return end - start;
    }
    let n = -1;
    this.guard.withFd(() => {
      try {
        n = writeSync(this.fd, buf, start, end - start);
      } catch (err) {
        n = (err as NodeJS.ErrnoException).code === 'EAGAIN' ? 0 : -1;
      }
    });
    return n;
  }

  /** Ops still in the ring of a dead connection become errors (a sender thread may have added some after the close). */
  failPendingIfDead(): void {
    if (this.alive) return;
    const now = performance.now();
    for (let op = this.ring.shift(); op >= 0; op = this.ring.shift())
      this.ctx.onComplete(op, this.ring.lastIntended, this.ring.lastSentAt, now, REPLY_ERROR, this.deadReason);
  }

  private died(reason: string): void {
    if (!this.alive) return;
    this.alive = false;
    this.deadReason = reason;
    this.guard.retire();
    if (this.handshake) {
      this.handshake.reject(new Error(reason));
      this.handshake = undefined;
    }
    this.failPendingIfDead();
  }

  end(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.sock.destroy();
        resolve();
      }, 1000);
      this.sock.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      this.guard.retire();
      this.alive = false;
      this.sock.end();
    });
  }

  destroy(): void {
    this.guard.retire();
    this.alive = false;
    this.sock.destroy();
  }
}
