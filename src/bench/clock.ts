import { writeFileSync } from 'node:fs';

/**
 * Threads of one process each count performance.now() from their own time origin, but all from the
 * same monotonic clock (hrtime). An anchor sampled in one thread lets another convert to its timebase.
 */
export interface ClockAnchor {
  perfMs: number;
  hrNs: bigint;
}

/** The tightest of a few (hrtime, performance.now()) pairs: a first call or a preemption can split one pair by 100s of µs. */
export function clockAnchor(): ClockAnchor {
  let best: ClockAnchor = { perfMs: 0, hrNs: 0n };
  let bestGap = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 8; k++) {
    const h1 = process.hrtime.bigint();
    const perfMs = performance.now();
    const h2 = process.hrtime.bigint();
    const gap = Number(h2 - h1);
    if (gap < bestGap) {
      bestGap = gap;
      best = { perfMs, hrNs: (h1 + h2) / 2n };
    }
  }
  return best;
}

/** Milliseconds to add to this thread's performance.now() to read the anchor thread's. */
export function offsetTo(anchor: ClockAnchor): number {
  const local = clockAnchor();
  return anchor.perfMs - Number(anchor.hrNs) / 1e6 - (local.perfMs - Number(local.hrNs) / 1e6);
}

/**
 * Linux wakes a sleeping thread up to its timer slack (50 µs by default) after the time it asked for.
 * A process may lower its main thread's slack without privileges; threads created afterwards inherit it.
 * Call before starting the sender threads. Returns false where the kernel does not offer it.
 */
export function fineTimerSlack(): boolean {
  try {
    writeFileSync('/proc/self/timerslack_ns', '1');
    return true;
  } catch {
    return false;
  }
}
