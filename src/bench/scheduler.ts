import { OpFifo } from './op-fifo.js';
import type { Recorder } from './recorder.js';

/** Where the in-thread schedulers put operations: `op` is an op-table index, `intended` its due time (ms, performance.now()). */
export interface Sender {
  send(op: number, intended: number): void;
}

export interface LoopBounds {
  /** When the first op is due (performance.now() ms). */
  start: number;
  /** No op starts at or after this time. */
  end: number;
  /** At most this many ops (warm-up included). */
  maxOps: number;
  /** Op-table size − 1 (a power of two minus one). */
  mask: number;
}

export interface OpenLoopOptions extends LoopBounds {
  /** Arrival rate, ops/s. */
  rate: number;
  /** Ops sent and not answered (the driver's count). */
  inFlight: () => number;
  /** Most ops in flight at once; due ops beyond it wait (keeping their intended time) and count as deferred. */
  maxInFlight: number;
  /** Once the schedule is over, keep sending waiting ops until this time at most. */
  drainUntil: number;
}

export interface OpenLoop {
  /** Resolves once nothing more will be sent. */
  done: Promise<void>;
  /** Send waiting ops if replies made room (call on every completion). */
  pump(): void;
  stop(): void;
  /** Ops still waiting when the loop ended: never sent. */
  takeWaiting(fn: (op: number, intended: number) => void): void;
}

/**
 * Open loop in this thread (drivers without a sender thread: ioredis, tenant-cache): op i is due at
 * start + i/rate whatever happened to earlier ops. Timers wake it (about 1 ms granularity: a sub-ms
 * schedule goes out in small bursts), never a busy poll; each op keeps its intended time, so lateness
 * shows in its latency and in the send lag.
 */
export function openLoop(o: OpenLoopOptions, sender: Sender, rec: Recorder): OpenLoop {
  if (!(o.rate > 0)) throw new RangeError(`open loop: rate must be > 0, got ${o.rate}`);
  const interval = 1000 / o.rate;
  const waiting = new OpFifo();
  let i = 0;
  let stopped = false;
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  let resolve: () => void = () => undefined;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  const scheduleOver = () => stopped || i >= o.maxOps || o.start + i * interval >= o.end;
  const pump = () => {
    while (waiting.size > 0 && o.inFlight() < o.maxInFlight) {
      const op = waiting.shift();
      sender.send(op, waiting.lastIntended);
    }
  };
  const finish = () => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    resolve();
  };
  const tick = () => {
    timer = undefined;
    const now = performance.now();
    pump();
    for (; i < o.maxOps && !stopped; i++) {
      const t = o.start + i * interval;
      if (t > now || t >= o.end) break;
      rec.issued++;
      if (t >= rec.measureStart) rec.measuredIssued++;
      if (waiting.size === 0 && o.inFlight() < o.maxInFlight) sender.send(i & o.mask, t);
      else {
        waiting.push(i & o.mask, t);
        if (t >= rec.measureStart) rec.deferred++;
      }
    }
    rec.outstanding(now, o.inFlight() + waiting.size);
    if (scheduleOver() && (waiting.size === 0 || now >= o.drainUntil)) {
      finish();
      return;
    }
    const next = scheduleOver() ? now + 1 : o.start + i * interval;
    timer = setTimeout(tick, Math.max(0, next - performance.now()));
  };
  timer = setTimeout(tick, Math.max(0, o.start - performance.now()));
  return {
    done,
    pump: () => {
      if (!finished) pump();
    },
    stop: () => {
      stopped = true;
    },
    takeWaiting(fn) {
      while (waiting.size > 0) {
        const op = waiting.shift();
        fn(op, waiting.lastIntended);
      }
    },
  };
}

export interface ClosedLoop {
  /** Resolves with the count of ops sent, once no more will be. */
  done: Promise<number>;
  /** Call on every completion (with the op that completed): sends the next op (intended = now) while the run lasts. */
  next(now: number, completed: number): void;
  stop(): void;
}

/**
 * Ops grouped by the master they go to. A closed loop over lanes refills the lane an op completed on,
 * so each connection keeps its own depth, like memtier's or redis-benchmark's pipelined connections
 * (and one reply chunk leads to one write on its own socket, not one on every socket).
 */
export interface Lanes {
  /** Per op-table entry: its lane. */
  laneOf: Uint8Array;
  /** Per lane: the op-table entries of that lane, in table order. */
  ops: Int32Array[];
}

/** Lanes from each op-table entry's owner (master index). */
export function lanesOf(owner: Uint8Array): Lanes {
  const counts: number[] = [];
  for (const o of owner) counts[o] = (counts[o] ?? 0) + 1;
  const ops = Array.from(counts, (n) => new Int32Array(n ?? 0));
  const filled = new Uint32Array(ops.length);
  owner.forEach((o, i) => {
    const list = ops[o];
    const at = filled[o] ?? 0;
    if (list) list[at] = i;
    filled[o] = at + 1;
  });
  return { laneOf: owner, ops };
}

/** One lane's ops, taken in turn. */
interface LaneCursor {
  ops: Int32Array;
  at: number;
}

/**
 * Closed loop: `inflight` ops outstanding, each completion sends the next one at once (on the lane it
 * completed on when lanes are given, else the table's next op). Latency is from the actual send, so it
 * hides stalls (coordinated omission) — use it to find saturation, not to judge tails.
 */
export function closedLoop(o: LoopBounds & { inflight: number; lanes?: Lanes }, sender: Sender, rec: Recorder): ClosedLoop {
  if (!(o.inflight >= 1)) throw new RangeError(`closed loop: inflight must be >= 1, got ${o.inflight}`);
  const cursors: Array<LaneCursor | undefined> = o.lanes ? o.lanes.ops.map((ops) => (ops.length > 0 ? { ops, at: 0 } : undefined)) : [];
  const usable = cursors.flatMap((c, lane) => (c ? [lane] : []));
  let i = 0;
  let stopped = false;
  let finished = false;
  let resolve: (n: number) => void = () => undefined;
  const done = new Promise<number>((r) => {
    resolve = r;
  });
  const finish = () => {
    if (!finished) {
      finished = true;
      resolve(i);
    }
  };
  const opFor = (lane: number): number => {
    const c = cursors[lane];
    if (!c) return i & o.mask;
    const op = c.ops[c.at] ?? 0;
    c.at = c.at + 1 === c.ops.length ? 0 : c.at + 1;
    return op;
  };
  const sendOne = (now: number, lane: number) => {
    sender.send(opFor(lane), now);
    rec.issued++;
    if (now >= rec.measureStart) rec.measuredIssued++;
    i++;
  };
  const next = (now: number, completed: number) => {
    if (finished) return;
    if (stopped || i >= o.maxOps || now >= o.end) {
      finish();
      return;
    }
    sendOne(now, o.lanes?.laneOf[completed] ?? 0);
  };
  const begin = () => {
    const now = performance.now();
    const n = Math.min(o.inflight, o.maxOps);
    // Spread the first ops over the lanes; each lane then keeps its share in flight.
    for (let k = 0; k < n; k++) sendOne(now, usable.length > 0 ? (usable[k % usable.length] ?? 0) : 0);
    // A run whose ops all fail to return must still end: check the clock too.
    const guard = setInterval(() => {
      if (performance.now() >= o.end || finished) {
        clearInterval(guard);
        finish();
      }
    }, 50);
  };
  const wait = o.start - performance.now();
  setTimeout(begin, Math.max(0, wait));
  return {
    done,
    next,
    stop: () => {
      stopped = true;
      finish();
    },
  };
}
