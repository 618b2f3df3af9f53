/**
 * Ops written to one connection and not yet answered, oldest first (replies come back in send order),
 * with each op's intended start and actual send time (ms, the receiving thread's performance.now()).
 *
 * Fixed capacity: the connection's in-flight bound. The columns live in SharedArrayBuffers so a sender
 * thread can push while the receiving thread shifts: one producer, one consumer, each publishing its
 * position with Atomics (entries are written before the tail moves, and read before the head moves).
 */
export interface PendingShare {
  ops: SharedArrayBuffer;
  times: SharedArrayBuffer;
  ctl: SharedArrayBuffer;
}

const HEAD = 0;
const TAIL = 1;

export class PendingRing {
  readonly capacity: number;
  private readonly mask: number;
  private readonly ops: Int32Array;
  /** Two per entry: intended start, actual send. */
  private readonly times: Float64Array;
  private readonly ctl: Int32Array;
  /** Set by shift(): the popped op's intended start and send time. */
  lastIntended = 0;
  lastSentAt = 0;

  private constructor(share: PendingShare) {
    this.ops = new Int32Array(share.ops);
    this.times = new Float64Array(share.times);
    this.ctl = new Int32Array(share.ctl);
    this.capacity = this.ops.length;
    this.mask = this.capacity - 1;
  }

  /** A ring holding at least `bound` ops (rounded up to a power of two). */
  static create(bound: number): PendingRing {
    if (!(bound >= 1)) throw new RangeError(`in-flight bound must be >= 1, got ${bound}`);
    const cap = 2 ** Math.ceil(Math.log2(bound));
    return new PendingRing({ ops: new SharedArrayBuffer(4 * cap), times: new SharedArrayBuffer(16 * cap), ctl: new SharedArrayBuffer(8) });
  }

  /** The same ring, seen from another thread. */
  static attach(share: PendingShare): PendingRing {
    return new PendingRing(share);
  }

  share(): PendingShare {
    return {
      ops: this.ops.buffer as SharedArrayBuffer,
      times: this.times.buffer as SharedArrayBuffer,
      ctl: this.ctl.buffer as SharedArrayBuffer,
    };
  }

  get size(): number {
    return (Atomics.load(this.ctl, TAIL) - Atomics.load(this.ctl, HEAD)) | 0;
  }

  /** Producer side: append one op (the caller checks `size < capacity`: the bound is the caller's policy). */
  push(op: number, intended: number, sentAt: number): void {
    const tail = Atomics.load(this.ctl, TAIL);
    if (((tail - Atomics.load(this.ctl, HEAD)) | 0) >= this.capacity)
      throw new RangeError('pending ring full: check size against the in-flight bound before pushing');
    const j = tail & this.mask;
    this.ops[j] = op;
    this.times[2 * j] = intended;
    this.times[2 * j + 1] = sentAt;
    Atomics.store(this.ctl, TAIL, (tail + 1) | 0);
  }

  /** Consumer side: pop the oldest op (its times in lastIntended / lastSentAt); -1 when empty. */
  shift(): number {
    const head = Atomics.load(this.ctl, HEAD);
    if (head === Atomics.load(this.ctl, TAIL)) return -1;
    const j = head & this.mask;
    const op = this.ops[j] ?? -1;
    this.lastIntended = this.times[2 * j] ?? 0;
    this.lastSentAt = this.times[2 * j + 1] ?? 0;
    Atomics.store(this.ctl, HEAD, (head + 1) | 0);
    return op;
  }

  forEach(fn: (op: number, intended: number, sentAt: number) => void): void {
    const tail = Atomics.load(this.ctl, TAIL);
    for (let h = Atomics.load(this.ctl, HEAD); h !== tail; h = (h + 1) | 0) {
      const j = h & this.mask;
      fn(this.ops[j] ?? -1, this.times[2 * j] ?? 0, this.times[2 * j + 1] ?? 0);
    }
  }
}
