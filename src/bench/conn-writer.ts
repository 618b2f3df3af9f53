import type { CommandArena } from './command-arena.js';
import { OpFifo } from './op-fifo.js';
import type { PendingRing } from './pending.js';

/**
 * Writes bytes[start, end) to the connection now; returns how many were written (0: the socket buffer
 * is full, try later), or -1 when the connection is gone.
 */
export type WriteFn = (buf: Buffer, start: number, end: number) => number;

const SLAB_BYTES = 256 * 1024;

/**
 * The send side of one connection, in whichever thread sends: due ops are copied into one buffer and
 * written with one syscall per flush. At most `bound` ops are in flight; a due op that finds no room
 * waits in a backlog (keeping its intended start, so the wait shows in its latency) and is counted as
 * deferred: a run that defers ops is offering more than the connection can take.
 */
export class ConnWriter {
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  /** Bytes [written, pos) of the slab are encoded and not yet written. */
  private pos = 0;
  private written = 0;
  private readonly backlog = new OpFifo();
  /** Measured ops that had to wait for room. */
  deferred = 0;
  /** Measured ops offered after the connection was gone (errors, never sent). */
  failed = 0;
  dead = false;

  constructor(
    readonly ring: PendingRing,
    readonly bound: number,
    private readonly arena: CommandArena,
    private readonly write: WriteFn,
    /** Ops due before this (warm-up) are not counted as deferred or failed. */
    public measureStart: number,
  ) {}

  get backlogSize(): number {
    return this.backlog.size;
  }

  /** Ops in flight plus ops waiting for room. */
  get outstanding(): number {
    return this.ring.size + this.backlog.size;
  }

  /** An op is due: encode it now if the connection has room and nothing waits before it, else queue it. */
  offer(op: number, intended: number, now: number): void {
    if (this.dead) {
      if (intended >= this.measureStart) this.failed++;
      return;
    }
    if (this.backlog.size === 0 && this.ring.size < this.bound) {
      this.put(op, intended, now);
      return;
    }
    this.backlog.push(op, intended);
    if (intended >= this.measureStart) this.deferred++;
  }

  /** Encode queued ops while there is room (call after replies freed some). */
  pump(now: number): void {
    while (this.backlog.size > 0 && this.ring.size < this.bound && !this.dead) {
      const op = this.backlog.shift();
      this.put(op, this.backlog.lastIntended, now);
    }
  }

  /** Write what is encoded; true when nothing is left to write. */
  flush(): boolean {
    if (this.pos === this.written) return true;
    const n = this.dead ? -1 : this.write(this.slab, this.written, this.pos);
    if (n < 0) {
      this.die();
      return true;
    }
    this.written += n;
    if (this.written === this.pos) {
      this.pos = 0;
      this.written = 0;
      return true;
    }
    return false;
  }

  /** Every op still queued (never sent), for the end of a run. */
  takeBacklog(fn: (op: number, intended: number) => void): void {
    while (this.backlog.size > 0) {
      const op = this.backlog.shift();
      fn(op, this.backlog.lastIntended);
    }
  }

  private put(op: number, intended: number, now: number): void {
    const len = this.arena.length(op);
    if (this.pos + len > this.slab.length) this.makeRoom(len);
    this.pos = this.arena.copy(op, this.slab, this.pos);
    this.ring.push(op, intended, now);
  }

  /** Flush, then move unwritten bytes to the front, then grow if one command still does not fit. */
  private makeRoom(len: number): void {
    this.flush();
    if (this.written > 0) {
      this.slab.copy(this.slab, 0, this.written, this.pos);
      this.pos -= this.written;
      this.written = 0;
    }
    if (this.pos + len > this.slab.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * this.slab.length, this.pos + len));
      this.slab.copy(bigger, 0, 0, this.pos);
      this.slab = bigger;
    }
  }

  private die(): void {
    this.dead = true;
    this.pos = 0;
    this.written = 0;
    this.takeBacklog((_op, intended) => {
      if (intended >= this.measureStart) this.failed++;
    });
  }
}
