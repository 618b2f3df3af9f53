import { describe, expect, it } from 'vitest';
import { buildOpTable, buildWorkload, closedLoop, mergeEncoded, openLoop, Recorder, REPLY_ERROR, REPLY_NIL, REPLY_OK, summarize, type Sender } from '../../src/bench/index.js';
import { loadSpec } from '../../src/spec/index.js';

const spec = loadSpec();
const table = buildOpTable(spec, buildWorkload(spec, 'mobile'), { size: 1024 });

function capture(): Sender & { ops: number[]; starts: number[]; sentAt: number[] } {
  const s = {
    ops: [] as number[], starts: [] as number[], sentAt: [] as number[],
    send(op: number, start: number) {
      s.ops.push(op);
      s.starts.push(start);
      s.sentAt.push(performance.now());
    },
  };
  return s;
}

describe('openLoop', () => {
  it('sends op i at start + i/rate, with that intended time as its start, until the end', async () => {
    const start = performance.now() + 5;
    const end = start + 300;
    const rec = new Recorder(table, start, end);
    const s = capture();
    const n = await openLoop({ rate: 2000, start, end, maxOps: 1_000_000, mask: table.size - 1 }, s, rec).done;
    expect(n).toBe(600);
    expect(s.starts).toHaveLength(600);
    s.starts.forEach((t, i) => expect(t).toBeCloseTo(start + i * 0.5, 9));
    expect(s.ops.slice(0, 3)).toEqual([0, 1, 2]);
    // Never sent before its time.
    s.sentAt.forEach((t, i) => expect(t).toBeGreaterThanOrEqual(s.starts[i] ?? 0));
    expect(rec.issued).toBe(600);
    expect(rec.measuredIssued).toBe(600);
    expect(rec.sendLag.totalCount).toBe(600);
    expect(rec.sendGap.totalCount).toBe(599);
  });

  it('is bounded by max ops, ending early', async () => {
    const start = performance.now();
    const s = capture();
    const t0 = performance.now();
    const n = await openLoop({ rate: 10_000, start, end: start + 60_000, maxOps: 100, mask: table.size - 1 }, s, new Recorder(table, start, start + 60_000)).done;
    expect(n).toBe(100);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('a stall of the sender does not move intended times: the late ops go out at once, stamped with when they were due', async () => {
    const start = performance.now() + 5;
    const end = start + 200;
    const rec = new Recorder(table, start, end);
    const s = capture();
    setTimeout(() => {
      const until = performance.now() + 60;
      while (performance.now() < until) { /* block the event loop for 60 ms */ }
    }, 50);
    await openLoop({ rate: 2000, start, end, maxOps: 1_000_000, mask: table.size - 1 }, s, rec).done;
    expect(s.starts).toHaveLength(400);
    s.starts.forEach((t, i) => expect(t).toBeCloseTo(start + i * 0.5, 9));
    expect(rec.maxBurst).toBeGreaterThanOrEqual(80);
    expect(summarize(rec.sendLag).max_us).toBeGreaterThanOrEqual(40_000);
  });

  it('ops before the measured window are warm-up: sent, not measured', async () => {
    const start = performance.now() + 5;
    const rec = new Recorder(table, start + 100, start + 200);
    await openLoop({ rate: 1000, start, end: start + 200, maxOps: 1_000_000, mask: table.size - 1 }, capture(), rec).done;
    expect(rec.issued).toBe(200);
    expect(rec.measuredIssued).toBe(100);
    rec.complete(0, start + 1, start + 2, REPLY_OK);
    expect(rec.completed).toBe(0);
  });

  it('rejects a rate that is not positive', () => {
    expect(() => openLoop({ rate: 0, start: 0, end: 1, maxOps: 1, mask: 1023 }, capture(), new Recorder(table, 0, 1))).toThrow(/rate must be > 0/);
  });
});

describe('closedLoop', () => {
  it('keeps N in flight, sends the next on each completion, stops at max ops', async () => {
    const start = performance.now();
    const rec = new Recorder(table, start, start + 10_000);
    let inFlight = 0;
    let peak = 0;
    let sent = 0;
    let loop: ReturnType<typeof closedLoop> | undefined;
    const sender: Sender = {
      send(op, st) {
        sent++;
        inFlight++;
        peak = Math.max(peak, inFlight);
        setImmediate(() => {
          inFlight--;
          const now = performance.now();
          rec.complete(op, st, now, REPLY_OK);
          loop?.next(now);
        });
      },
    };
    loop = closedLoop({ inflight: 8, start, end: start + 10_000, maxOps: 500, mask: table.size - 1 }, sender, rec);
    expect(await loop.done).toBe(500);
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toBe(500);
    expect(peak).toBe(8);
    expect(rec.completed).toBe(500);
  });

  it('ends at its end time even when nothing completes', async () => {
    const start = performance.now();
    const t0 = performance.now();
    const loop = closedLoop({ inflight: 4, start, end: start + 100, maxOps: 1_000_000, mask: table.size - 1 }, capture(), new Recorder(table, start, start + 100));
    expect(await loop.done).toBe(4);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});

describe('Recorder', () => {
  it('records answered ops from their start; errors are counted, not timed; unanswered ops are timeouts with their wait so far', () => {
    const rec = new Recorder(table, 1000, 2000);
    rec.complete(0, 1000, 1002.5, REPLY_OK);
    rec.complete(1, 1001, 1001.1, REPLY_ERROR, 'ERR boom');
    rec.complete(2, 1002, 1003, REPLY_NIL);
    rec.timeout(3, 1500, 6500);
    rec.failed(1600, 'connection closed');
    const run = rec.encode(0);
    expect(run).toMatchObject({ completed: 4, errors: 2, misses: 1, timeouts: 1, errorsByMessage: { 'ERR boom': 1, 'connection closed': 1 } });
    const all = summarize(mergeEncoded(run.dimHists));
    expect(all.count).toBe(3);
    expect(all.max_us).toBeGreaterThanOrEqual(5_000_000);
    expect(Math.abs(all.min_us - 1000)).toBeLessThanOrEqual(1);
    expect(new Set(run.perSecond.map((p) => p.second))).toEqual(new Set([0]));
  });
});
