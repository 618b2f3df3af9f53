import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import {
  clockAnchor,
  ConnWriter,
  encodeCommands,
  FdGuard,
  offsetTo,
  Pacer,
  PendingRing,
  referenceOpTable,
  type WriteFn,
} from '../../src/bench/index.js';

describe('PendingRing', () => {
  it('is a bounded FIFO of (op, intended, sent), seen the same from a second view of its shared buffers', () => {
    const r = PendingRing.create(3);
    expect(r.capacity).toBe(4);
    for (let i = 0; i < 4; i++) r.push(i, i * 1.5, i * 1.5 + 0.1);
    expect(() => r.push(9, 0, 0)).toThrow(/full/);
    const other = PendingRing.attach(r.share());
    expect(other.size).toBe(4);
    expect(other.shift()).toBe(0);
    expect([other.lastIntended, other.lastSentAt]).toEqual([0, 0.1]);
    r.push(4, 6, 6.1);
    const seen: number[][] = [];
    r.forEach((op, intended, sent) => seen.push([op, intended, sent]));
    expect(seen).toEqual([
      [1, 1.5, 1.6],
      [2, 3, 3.1],
      [3, 4.5, 4.6],
      [4, 6, 6.1],
    ]);
    const out: number[] = [];
    for (let op = r.shift(); op >= 0; op = r.shift()) out.push(op);
    expect(out).toEqual([1, 2, 3, 4]);
    expect(r.shift()).toBe(-1);
    expect(other.size).toBe(0);
  });
});

describe('ConnWriter', () => {
  const table = referenceOpTable({ op: 'set', valueBytes: 100, keyspace: 10, size: 1024, seed: 1 });
  const arena = encodeCommands(table);

  /** A socket stand-in: takes at most `accept` bytes per write (0 = buffer full, -1 = gone). */
  function sink(accept: () => number): { write: WriteFn; bytes: number[] } {
    const bytes: number[] = [];
    return {
      bytes,
      write: (buf, start, end) => {
        const n = Math.min(end - start, accept());
        if (n > 0) bytes.push(...buf.subarray(start, start + n));
        return n;
      },
    };
  }

  it('encodes due ops into one write; beyond the in-flight bound they wait, keep their intended time and count as deferred', () => {
    const ring = PendingRing.create(2);
    const out = sink(() => 1 << 30);
    const w = new ConnWriter(ring, 2, arena, out.write, 100);
    w.offer(0, 99, 99.5); // warm-up: not counted
    w.offer(1, 100, 100.2);
    w.offer(2, 101, 101.3); // no room: waits
    w.offer(3, 102, 102.4);
    expect(ring.size).toBe(2);
    expect(w.backlogSize).toBe(2);
    expect(w.deferred).toBe(2);
    expect(w.flush()).toBe(true);
    expect(out.bytes.length).toBe(arena.length(0) + arena.length(1));
    ring.shift();
    w.pump(105);
    expect(w.backlogSize).toBe(1);
    ring.shift();
    ring.shift();
    expect([ring.lastIntended, ring.lastSentAt]).toEqual([101, 105]);
    let left = 0;
    w.takeBacklog((op, intended) => {
      left = op * 1000 + intended;
    });
    expect(left).toBe(3102);
  });

  it('keeps what the socket did not take and writes it next time, in order', () => {
    let budget = 10;
    const out = sink(() => budget);
    const w = new ConnWriter(PendingRing.create(8), 8, arena, out.write, 0);
    w.offer(0, 1, 1);
    w.offer(1, 2, 2);
    expect(w.flush()).toBe(false);
    budget = 0;
    expect(w.flush()).toBe(false);
    budget = 1 << 30;
    expect(w.flush()).toBe(true);
    const want = Buffer.alloc(arena.length(0) + arena.length(1));
    arena.copy(1, want, arena.copy(0, want, 0));
    expect(Buffer.from(out.bytes).equals(want)).toBe(true);
  });

  it('a connection that is gone fails the measured ops offered after it, queued ones included', () => {
    const w = new ConnWriter(PendingRing.create(1), 1, arena, () => -1, 10);
    w.offer(0, 10, 10);
    w.offer(1, 11, 11);
    w.flush();
    expect(w.dead).toBe(true);
    expect(w.failed).toBe(1); // the queued one; the one in the ring is the receiver's to fail
    w.offer(2, 12, 12);
    expect(w.failed).toBe(2);
  });
});

describe('FdGuard', () => {
  it('a retired fd is never written again, and retire waits for a write under way', () => {
    const g = new FdGuard();
    let writes = 0;
    expect(
      g.withFd(() => {
        writes++;
      }),
    ).toBe(true);
    g.retire();
    expect(g.retired).toBe(true);
    expect(
      g.withFd(() => {
        writes++;
      }),
    ).toBe(false);
    expect(writes).toBe(1);
  });

  it('retire from another thread blocks while this thread writes', async () => {
    const g = new FdGuard();
    const code = `const { workerData, parentPort } = require('node:worker_threads');
      const cell = new Int32Array(workerData);
      parentPort.postMessage('ready');
      // retire(): spin on compareExchange(FREE -> RETIRED) with short waits while a write holds the cell.
      for (;;) { const v = Atomics.compareExchange(cell, 0, 0, 2); if (v === 0 || v === 2) break; Atomics.wait(cell, 0, 1, 5); }
      parentPort.postMessage(performance.now());`;
    let retiredAt = 0;
    let writeEnd = 0;
    await new Promise<void>((resolve) => {
      const w = new Worker(code, { eval: true, workerData: g.buffer });
      w.once('message', () => {
        g.withFd(() => {
          const until = performance.now() + 30;
          while (performance.now() < until) {
            /* a 30 ms write */
          }
          writeEnd = performance.timeOrigin + performance.now();
        });
        w.once('message', (t: number) => {
          retiredAt = performance.timeOrigin + t;
          void w.terminate().then(() => resolve());
        });
      });
    });
    expect(g.retired).toBe(true);
    // Worker and main share no timeOrigin guarantee: compare on the epoch scale, within a millisecond.
    expect(retiredAt).toBeGreaterThanOrEqual(writeEnd - 1);
  });
});

describe('Pacer and clock', () => {
  it('returns at or after the time asked for, never before; spins only within its budget', () => {
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const p = new Pacer(() => performance.now(), stop, { spinUs: 200, spinBudget: 0.05, batchUs: 0 });
    let early = 0;
    const t0 = performance.now();
    for (let i = 1; i <= 50; i++) {
      const due = t0 + i * 2;
      p.until(due);
      if (performance.now() < due) early++;
    }
    expect(early).toBe(0);
    // 100 ms of waiting: at most 5% of it (plus one window's worth of slack) spent spinning.
    expect(p.spinMs).toBeLessThanOrEqual(0.05 * 100 + 5 + 0.2 * 2);
    expect(p.sleeps).toBeGreaterThan(0);
  });

  it('a stop wakes a long wait at once', () => {
    const stop = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(stop, 0, 1);
    const t0 = performance.now();
    new Pacer(() => performance.now(), stop).until(t0 + 5000);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("converts another thread's performance.now() to this thread's timebase", async () => {
    const code = `const { workerData, parentPort } = require('node:worker_threads');
      const h1 = process.hrtime.bigint(); const p = performance.now(); const h2 = process.hrtime.bigint();
      parentPort.postMessage({ perfMs: p, hrNs: (h1 + h2) / 2n });`;
    const anchor = await new Promise<{ perfMs: number; hrNs: bigint }>((resolve) => {
      const w = new Worker(code, { eval: true });
      w.once('message', (m: { perfMs: number; hrNs: bigint }) => {
        void w.terminate();
        resolve(m);
      });
    });
    const here = clockAnchor();
    // offsetTo(anchor) maps this thread's clock onto the worker's: the same hrtime instant reads the same.
    const mapped = here.perfMs + offsetTo(anchor);
    const expected = anchor.perfMs + Number(here.hrNs - anchor.hrNs) / 1e6;
    expect(Math.abs(mapped - expected)).toBeLessThan(0.05);
  });
});
