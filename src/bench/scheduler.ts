import type { Recorder } from './recorder.js';

/** Where the schedulers put operations: `op` is an op-table index, `start` the op's start time (ms, performance.now()). */
export interface Sender {
  send(op: number, start: number): void;
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
  /**
   * When the next op is due within this many ms, poll with setImmediate (sub-ms precision, one busy core);
   * otherwise sleep with setTimeout until that margin. Default 1 ms (timers have ~1 ms granularity).
   */
  spinMs?: number;
  /**
   * While polling with nothing in flight, sleep up to this many µs at a time (Atomics.wait: sub-ms, unlike
   * timers) instead of busy polling, which frees the core for Redis. Never while a reply is awaited (its
   * arrival time must be read at once) nor within NAP_MARGIN_US of the next send. Default 0: always busy
   * poll. Measured here at 2000 ops/s: nap 200 µs cut the generator's CPU from ~100% to ~40% of a core, kept p50,
   * but raised p99 from ~0.8 ms to ~3.3 ms (a sleeping thread waits for a core on a busy 2-core box).
   */
  napUs?: number;
  /** Ops sent and not answered (the driver's count); naps happen only at 0. */
  inFlight?: () => number;
}

/** A nap overshoots by ~50-80 µs (futex wake-up); stop napping this long before the next send is due. */
const NAP_MARGIN_US = 120;
const napCell = new Int32Array(new SharedArrayBuffer(4));

/** Block this thread for about `us` microseconds (the event loop does not run meanwhile). */
function nap(us: number): void {
  Atomics.wait(napCell, 0, 0, us / 1000);
}

/**
 * Open loop (wrk2-style): op i is due at start + i/rate, whatever happened to earlier ops. Each tick sends
 * every op whose intended time has passed, with that intended time as its start, so a stall of the
 * target or of this process shows in the latency of every op it delayed. Resolves with the count of ops
 * sent once the last op is sent (not answered).
 */
export function openLoop(o: OpenLoopOptions, sender: Sender, rec: Recorder): { done: Promise<number>; stop(): void } {
  if (!(o.rate > 0)) throw new RangeError(`open loop: rate must be > 0, got ${o.rate}`);
  const interval = 1000 / o.rate;
  const spinMs = o.spinMs ?? 1;
  const napUs = o.napUs ?? 0;
  const inFlight = o.inFlight ?? (() => 1);
  let i = 0;
  let prevSend = 0;
  let stopped = false;
  let resolve: (n: number) => void = () => undefined;
  const done = new Promise<number>((r) => {
    resolve = r;
  });
  const tick = () => {
    const now = performance.now();
    let burst = 0;
    while (i < o.maxOps && !stopped) {
      const t = o.start + i * interval;
      if (t > now || t >= o.end) break;
      sender.send(i & o.mask, t);
      rec.issued++;
      if (t >= rec.measureStart) rec.measuredIssued++;
      rec.sent(t, now, prevSend);
      prevSend = now;
      i++;
      burst++;
    }
    if (burst > rec.maxBurst) rec.maxBurst = burst;
    const next = o.start + i * interval;
    if (stopped || i >= o.maxOps || next >= o.end) {
      resolve(i);
      return;
    }
    const wait = next - performance.now();
    if (wait > spinMs) setTimeout(tick, wait - spinMs);
    else {
      // Sent something this tick: return at once so it is flushed; otherwise nap while nothing is awaited.
      const room = wait * 1000 - NAP_MARGIN_US;
      if (burst === 0 && napUs > 0 && room > 0 && inFlight() === 0) nap(Math.min(napUs, room));
      setImmediate(tick);
    }
  };
  const first = o.start - performance.now();
  if (first > spinMs) setTimeout(tick, first - spinMs);
  else setImmediate(tick);
  return { done, stop: () => { stopped = true; } };
}

export interface ClosedLoop {
  /** Resolves with the count of ops sent, once no more will be. */
  done: Promise<number>;
  /** Call on every completion: sends the next op (start = now) while the run lasts. */
  next(now: number): void;
  stop(): void;
}

/**
 * Closed loop: `inflight` ops outstanding, each completion sends the next one at once. Latency is from the
 * actual send, so it hides stalls (coordinated omission) — use it to find saturation, not to judge tails.
 */
export function closedLoop(o: LoopBounds & { inflight: number }, sender: Sender, rec: Recorder): ClosedLoop {
  if (!(o.inflight >= 1)) throw new RangeError(`closed loop: inflight must be >= 1, got ${o.inflight}`);
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
  const sendOne = (now: number) => {
    sender.send(i & o.mask, now);
    rec.issued++;
    if (now >= rec.measureStart) rec.measuredIssued++;
    i++;
  };
  const next = (now: number) => {
    if (finished) return;
    if (stopped || i >= o.maxOps || now >= o.end) {
      finish();
      return;
    }
    sendOne(now);
  };
  const begin = () => {
    const now = performance.now();
    const n = Math.min(o.inflight, o.maxOps);
    for (let k = 0; k < n; k++) sendOne(now);
    if (n > rec.maxBurst) rec.maxBurst = n;
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
  return { done, next, stop: () => { stopped = true; finish(); } };
}
