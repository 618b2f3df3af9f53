import { writeSync } from 'node:fs';
import { offsetTo, type ClockAnchor } from './clock.js';
import { CommandArena, type CommandArenaShare } from './command-arena.js';
import { ConnWriter, type WriteFn } from './conn-writer.js';
import { FdGuard } from './fd-guard.js';
import { Pacer, type PacingOptions } from './pacer.js';
import { PendingRing, type PendingShare } from './pending.js';
import { threadCpuMs } from './thread-cpu.js';

/** An open-loop schedule, in the receiving thread's performance.now() ms. */
export interface OpenSchedule {
  /** Op i is due at start + i × interval. */
  start: number;
  interval: number;
  /** No op is due at or after this. */
  end: number;
  measureStart: number;
  maxOps: number;
  /** Op-table size − 1: op i of the run is table entry i & mask. */
  mask: number;
  /** Once the schedule is over, keep sending queued ops until this time at most. */
  drainUntil: number;
}

/** Everything a sender thread needs: plain data and shared buffers. */
export interface SenderInit {
  anchor: ClockAnchor;
  arena: CommandArenaShare;
  /** Per op-table entry: the master that owns its key (Uint8Array). */
  opNode: SharedArrayBuffer;
  conns: Array<{ fd: number; node: number; ring: PendingShare; guard: SharedArrayBuffer }>;
  /** In-flight bound per connection. */
  bound: number;
  schedule: OpenSchedule;
  pacing: PacingOptions;
  /** Int32 cell: set to 1 to stop early. */
  stop: SharedArrayBuffer;
}

export interface SenderReport {
  /** Ops whose intended time came (warm-up included), and those inside the measured window. */
  issued: number;
  measuredIssued: number;
  /** Measured ops that waited for room under the in-flight bound. */
  deferred: number;
  /** Measured ops due on a connection that was gone. */
  failed: number;
  /** Ops still queued when the run ended: never sent. */
  unsentOps: number[];
  unsentIntended: number[];
  /** Per measured second: the most ops outstanding (in flight + queued) at once, all connections. */
  outstandingPerSecond: number[];
  spinMs: number;
  sleeps: number;
  writes: number;
  /** This thread's CPU over the run (ms; NaN where /proc is missing). */
  cpuMs: number;
}

/** Sleep between checks while ops wait for room (replies arrive on the other thread). */
const BACKLOG_POLL_MS = 0.1;

/**
 * The open loop, run in its own thread: at each op's intended time, encode it into its connection's
 * buffer and write(2) it at once, so the receiving thread's event loop only reads replies. Sends are
 * never early; a late wake-up sends every op that came due meanwhile, each stamped with its own
 * intended time, and the actual send time goes into the pending ring next to it.
 */
export function runOpenLoopSender(init: SenderInit): SenderReport {
  const offset = offsetTo(init.anchor);
  const now = () => performance.now() + offset;
  const stop = new Int32Array(init.stop);
  const s = init.schedule;
  const arena = CommandArena.attach(init.arena);
  const opNode = new Uint8Array(init.opNode);
  const cpu0 = threadCpuMs();
  const report: SenderReport = {
    issued: 0,
    measuredIssued: 0,
    deferred: 0,
    failed: 0,
    unsentOps: [],
    unsentIntended: [],
    outstandingPerSecond: [],
    spinMs: 0,
    sleeps: 0,
    writes: 0,
    cpuMs: 0,
  };
  const writers = init.conns.map(
    (c) => new ConnWriter(PendingRing.attach(c.ring), init.bound, arena, fdWriter(c.fd, new FdGuard(c.guard), report), s.measureStart),
  );
  const byNode: ConnWriter[][] = [];
  init.conns.forEach((c, k) => (byNode[c.node] ??= []).push(writers[k] as ConnWriter));
  const rr = new Uint32Array(byNode.length);
  const pick = (op: number): ConnWriter | undefined => {
    const node = opNode[op] ?? 0;
    const list = byNode[node];
    if (!list) return undefined;
    if (list.length === 1) return list[0];
    rr[node] = ((rr[node] ?? 0) + 1) % list.length;
    return list[rr[node] ?? 0];
  };
  const pacer = new Pacer(now, stop, init.pacing);
  const batchMs = init.pacing.batchUs / 1000;
  // Wake-ups are spaced on the schedule, not from the (late) moment of the last wake-up: a late wake does
  // not push every later one back.
  let lastTarget = -Infinity;
  let i = 0;
  for (;;) {
    const t = now();
    for (; i < s.maxOps; i++) {
      const due = s.start + i * s.interval;
      if (due > t || due >= s.end) break;
      const op = i & s.mask;
      pick(op)?.offer(op, due, t);
      report.issued++;
      if (due >= s.measureStart) report.measuredIssued++;
    }
    const scheduleDone = i >= s.maxOps || s.start + i * s.interval >= s.end;
    let waiting = false;
    let outstanding = 0;
    for (const w of writers) {
      if (w.backlogSize > 0) w.pump(t);
      if (!w.flush() || w.backlogSize > 0) waiting = true;
      outstanding += w.outstanding;
    }
    const sec = Math.floor((t - s.measureStart) / 1000);
    if (sec >= 0 && t < s.end && outstanding > (report.outstandingPerSecond[sec] ?? 0)) report.outstandingPerSecond[sec] = outstanding;
    if (Atomics.load(stop, 0) !== 0 || (scheduleDone && (!waiting || t >= s.drainUntil))) break;
    let next = scheduleDone ? Infinity : Math.max(s.start + i * s.interval, lastTarget + batchMs);
    if (waiting) next = Math.min(next, t + BACKLOG_POLL_MS);
    lastTarget = next;
    pacer.until(next);
  }
  for (const w of writers) {
    w.takeBacklog((op, intended) => {
      report.unsentOps.push(op);
      report.unsentIntended.push(intended);
    });
    report.deferred += w.deferred;
    report.failed += w.failed;
  }
  for (let k = 0; k < report.outstandingPerSecond.length; k++) report.outstandingPerSecond[k] ??= 0;
  report.spinMs = Math.round(pacer.spinMs);
  report.sleeps = pacer.sleeps;
  report.cpuMs = threadCpuMs() - cpu0;
  return report;
}

/** write(2) on a socket another thread owns, under its guard; EAGAIN (socket buffer full) writes nothing. */
function fdWriter(fd: number, guard: FdGuard, report: SenderReport): WriteFn {
  return (buf, start, end) => {
    let n = -1;
    guard.withFd(() => {
      try {
        n = writeSync(fd, buf, start, end - start);
        report.writes++;
      } catch (err) {
        n = (err as NodeJS.ErrnoException).code === 'EAGAIN' ? 0 : -1;
      }
    });
    return n;
  };
}
