/** How a sender waits for the next op's intended time. */
export interface PacingOptions {
  /** Sleep until this many µs before the time, then spin the rest (a futex sleep wakes 40-250 µs late here). */
  spinUs: number;
  /** Spin at most this share of one core (0..1), measured per 100 ms; beyond it, sleep all the way. */
  spinBudget: number;
  /**
   * Wake at most once per this many µs: at high rates the ops due meanwhile go out in one write (each
   * with its own intended time, so the wait is in its latency and its send lag). Fewer wake-ups and
   * syscalls per op; the lag it adds is bounded by this.
   */
  batchUs: number;
}

export const DEFAULT_PACING: PacingOptions = { spinUs: 60, spinBudget: 0.05, batchUs: 100 };

const WINDOW_MS = 100;

/**
 * Waits until a time on `now()`'s clock without holding a core: a futex sleep (Atomics.wait) for the bulk,
 * then a short spin for precision, within a CPU budget. `stop` (an Int32Array cell, 0 = run) wakes it early.
 */
export class Pacer {
  private windowStart = 0;
  private windowSpin = 0;
  /** Totals, for the run's quality figures. */
  spinMs = 0;
  sleeps = 0;

  constructor(
    private readonly now: () => number,
    private readonly stop: Int32Array,
    private readonly o: PacingOptions = DEFAULT_PACING,
  ) {}

  /** Return at or after `t` (ms), or when stopped. */
  until(t: number): void {
    let now = this.now();
    if (now - this.windowStart >= WINDOW_MS) {
      this.windowStart = now;
      this.windowSpin = 0;
    }
    const spinMs = this.windowSpin < this.o.spinBudget * WINDOW_MS ? this.o.spinUs / 1000 : 0;
    const sleepMs = t - now - spinMs;
    if (sleepMs > 0) {
      this.sleeps++;
      Atomics.wait(this.stop, 0, 0, sleepMs);
      now = this.now();
    }
    if (now >= t || spinMs === 0) return;
    const s0 = now;
    while (now < t && Atomics.load(this.stop, 0) === 0) now = this.now();
    this.windowSpin += now - s0;
    this.spinMs += now - s0;
  }
}
