import { describe, expect, it } from 'vitest';
import {
  buildOpTable,
  buildWorkload,
  closedLoop,
  lanesOf,
  mergeEncoded,
  openLoop,
  Recorder,
  REPLY_ERROR,
  REPLY_NIL,
  REPLY_OK,
  summarize,
  type Sender,
} from '../../src/bench/index.js';
import { loadSpec } from '../../src/spec/index.js';

const spec = loadSpec();
const table = buildOpTable(spec, buildWorkload(spec, 'mobile'), { size: 1024 });

function capture(): Sender & { ops: number[]; starts: number[]; sentAt: number[] } {
  const s = {
    ops: [] as number[],
    starts: [] as number[],
    sentAt: [] as number[],
    send(op: number, start: number) {
      s.ops.push(op);
      s.starts.push(start);
      s.sentAt.push(performance.now());
    },
  };
  return s;
}

const unbounded = { inFlight: () => 0, maxInFlight: 1_000_000 };

describe('openLoop (in-thread, timer-driven)', () => {
  it('sends op i at start + i/rate, with that intended time, never before it, until the end', async () => {
    const start = performance.now() + 5;
    const end = start + 300;
    const rec = new Recorder(table, start, end);
    const s = capture();
    await openLoop({ rate: 2000, start, end, maxOps: 1_000_000, mask: table.size - 1, drainUntil: end, ...unbounded }, s, rec).done;
    expect(s.starts).toHaveLength(600);
    s.starts.forEach((t, i) => expect(t).toBeCloseTo(start + i * 0.5, 9));
    expect(s.ops.slice(0, 3)).toEqual([0, 1, 2]);
    s.sentAt.forEach((t, i) => expect(t).toBeGreaterThanOrEqual(s.starts[i] ?? 0));
    expect(rec.issued).toBe(600);
    expect(rec.measuredIssued).toBe(600);
  });

  it('is bounded by max ops, ending early', async () => {
    const start = performance.now();
    const s = capture();
    const t0 = performance.now();
    await openLoop(
      { rate: 10_000, start, end: start + 60_000, maxOps: 100, mask: table.size - 1, drainUntil: start + 60_000, ...unbounded },
      s,
      new Recorder(table, start, start + 60_000),
    ).done;
    expect(s.ops).toHaveLength(100);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('a stall of this thread does not move intended times: the late ops go out at once, stamped with when they were due', async () => {
    const start = performance.now() + 5;
    const end = start + 200;
    const s = capture();
    setTimeout(() => {
      const until = performance.now() + 60;
      while (performance.now() < until) {
        /* block the event loop for 60 ms */
      }
    }, 50);
    await openLoop(
      { rate: 2000, start, end, maxOps: 1_000_000, mask: table.size - 1, drainUntil: end, ...unbounded },
      s,
      new Recorder(table, start, end),
    ).done;
    expect(s.starts).toHaveLength(400);
    s.starts.forEach((t, i) => expect(t).toBeCloseTo(start + i * 0.5, 9));
    const late = s.sentAt.map((t, i) => t - (s.starts[i] ?? 0));
    expect(Math.max(...late)).toBeGreaterThanOrEqual(40);
  });

  it('beyond the in-flight bound, due ops wait (deferred) and go out as replies make room, still with their intended time', async () => {
    const start = performance.now() + 5;
    const end = start + 100;
    const rec = new Recorder(table, start, end);
    let inFlight = 0;
    const s = capture();
    const sender: Sender = {
      send(op, t) {
        inFlight++;
        s.send(op, t);
      },
    };
    const loop = openLoop(
      { rate: 1000, start, end, maxOps: 1_000_000, mask: table.size - 1, drainUntil: end + 500, inFlight: () => inFlight, maxInFlight: 5 },
      sender,
      rec,
    );
    // Nothing answers for 60 ms, then everything does.
    setTimeout(() => {
      const answer = setInterval(() => {
        inFlight = 0;
        loop.pump();
      }, 2);
      void loop.done.then(() => clearInterval(answer));
    }, 60);
    await loop.done;
    expect(s.starts).toHaveLength(100);
    expect(rec.deferred).toBeGreaterThan(40);
    s.starts.forEach((t, i) => expect(t).toBeCloseTo(start + i, 9));
    expect(Math.max(...rec.outstandingPerSecond)).toBeGreaterThan(40);
  });

  it('ops still waiting at the drain deadline are handed back: never sent', async () => {
    const start = performance.now() + 5;
    const end = start + 50;
    const s = capture();
    const loop = openLoop(
      { rate: 1000, start, end, maxOps: 1_000_000, mask: table.size - 1, drainUntil: end + 30, inFlight: () => 3, maxInFlight: 3 },
      s,
      new Recorder(table, start, end),
    );
    await loop.done;
    let waiting = 0;
    loop.takeWaiting(() => {
      waiting++;
    });
    expect(s.ops).toHaveLength(0);
    expect(waiting).toBe(50);
  });

  it('rejects a rate that is not positive', () => {
    expect(() =>
      openLoop({ rate: 0, start: 0, end: 1, maxOps: 1, mask: 1023, drainUntil: 1, ...unbounded }, capture(), new Recorder(table, 0, 1)),
    ).toThrow(/rate must be > 0/);
  });
});

describe('closedLoop', () => {
  it('keeps N in flight, sends the next on each completion, stops at max ops', async () => {
    const start = performance.now();
    const rec = new Recorder(table, start, start + 10_000, 0, false);
    let inFlight = 0;
    let peak = 0;
    let sent = 0;
    const sender: Sender = {
      send(op, st) {
        sent++;
        inFlight++;
        peak = Math.max(peak, inFlight);
        setImmediate(() => {
          inFlight--;
          const now = performance.now();
          rec.complete(op, st, st, now, REPLY_OK);
          loop.next(now, op);
        });
      },
    };
    const loop = closedLoop({ inflight: 8, start, end: start + 10_000, maxOps: 500, mask: table.size - 1 }, sender, rec);
    expect(await loop.done).toBe(500);
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toBe(500);
    expect(peak).toBe(8);
    expect(rec.completed).toBe(500);
  });

  it('over lanes, a completion refills its own lane: each master keeps its share in flight', async () => {
    const owner = Uint8Array.from(table.slot, (slot) => (slot < 5461 ? 0 : slot < 10923 ? 1 : 2));
    const lanes = lanesOf(owner);
    const start = performance.now();
    const inFlight = [0, 0, 0];
    const peaks = [0, 0, 0];
    const sender: Sender = {
      send(op) {
        const lane = owner[op] ?? 0;
        inFlight[lane] = (inFlight[lane] ?? 0) + 1;
        peaks[lane] = Math.max(peaks[lane] ?? 0, inFlight[lane] ?? 0);
        // Lane 0 answers slowly, the others at once: a global refill would pile ops onto lane 0.
        const later = () => {
          inFlight[lane] = (inFlight[lane] ?? 1) - 1;
          loop.next(performance.now(), op);
        };
        if (lane === 0) setTimeout(later, 2);
        else setImmediate(later);
      },
    };
    const loop = closedLoop(
      { inflight: 6, start, end: start + 10_000, maxOps: 600, mask: table.size - 1, lanes },
      sender,
      new Recorder(table, start, start + 10_000),
    );
    await loop.done;
    expect(peaks).toEqual([2, 2, 2]);
  });

  it('ends at its end time even when nothing completes', async () => {
    const start = performance.now();
    const t0 = performance.now();
    const loop = closedLoop(
      { inflight: 4, start, end: start + 100, maxOps: 1_000_000, mask: table.size - 1 },
      capture(),
      new Recorder(table, start, start + 100),
    );
    expect(await loop.done).toBe(4);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});

describe('Recorder', () => {
  it('records latency from the intended start, service time from the send, send lag between; errors counted, not timed; timeouts with their wait', () => {
    const rec = new Recorder(table, 1000, 2000);
    rec.complete(0, 1000, 1000.5, 1002.5, REPLY_OK);
    rec.complete(1, 1001, 1001, 1001.1, REPLY_ERROR, 'ERR boom');
    rec.complete(2, 1002, 1002, 1003, REPLY_NIL);
    rec.timeout(3, 1500, 1500, 6500);
    rec.timeout(4, 1600, Number.NaN, 6600);
    rec.failed(2, 'connection closed');
    const run = rec.encode(0);
    expect(run).toMatchObject({
      completed: 5,
      errors: 3,
      misses: 1,
      timeouts: 2,
      unsent: 1,
      errorsByMessage: { 'ERR boom': 1, 'connection closed': 2 },
    });
    const latency = summarize(mergeEncoded(run.dimHists));
    expect(latency.count).toBe(4);
    expect(latency.max_us).toBeGreaterThanOrEqual(5_000_000);
    expect(Math.abs(latency.min_us - 1000)).toBeLessThanOrEqual(1);
    // The never-sent op has a latency but no service time and no send lag.
    const service = summarize(mergeEncoded(run.serviceHists));
    expect(service.count).toBe(3);
    expect(Math.abs(summarize(mergeEncoded([run.sendLag])).max_us - 500)).toBeLessThanOrEqual(1);
    expect(new Set(run.perSecond.map((p) => p.second))).toEqual(new Set([0]));
  });

  it('ops before the measured window are warm-up: not measured', () => {
    const rec = new Recorder(table, 1000, 2000);
    rec.complete(0, 999, 999, 1001, REPLY_OK);
    expect(rec.completed).toBe(0);
  });
});
