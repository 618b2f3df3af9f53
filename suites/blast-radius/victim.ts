import { performance } from 'node:perf_hooks';
import { latencyHistogram, type Histogram } from '../../src/bench/histograms.js';
import { errorMessage } from '../../src/errors.js';
import type { TenantCache } from '../../src/tenancy/index.js';

// The quiet tenant: a paced open-loop workload through its own TenantCache (its own ACL user), 80% GET and
// 20% overwriting SET of its own keys. Each op's latency counts from its intended start, so a stall of the
// node (or of this process) shows in full instead of only delaying the next op (no coordinated omission).

export const VICTIM_DATA_TYPE = 'users';

export interface VictimWindow {
  ops: number;
  errors: number;
  errorMessages: string[];
  latency: Histogram;
  /** How late the pacer launched ops (its own lateness, µs). */
  sendLag: Histogram;
  elapsedMs: number;
}

export interface VictimOptions {
  cache: TenantCache;
  keys: number;
  ratePerSec: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const us = (ms: number) => Math.max(1, Math.round(ms * 1000));

export function victimKey(i: number): string {
  return `v${i}`;
}

/** Write every key of the quiet tenant (through the quota script: its normal write path). */
export async function seedVictim(o: VictimOptions): Promise<void> {
  for (let i = 0; i < o.keys; i += 50)
    await Promise.all(
      Array.from({ length: Math.min(50, o.keys - i) }, (_, j) => o.cache.set(VICTIM_DATA_TYPE, victimKey(i + j), { i: i + j, v: 'quiet' })),
    );
}

/** How many of the quiet tenant's keys are missing now, read back as the tenant. */
export async function victimKeysLost(o: VictimOptions): Promise<number> {
  const values = await o.cache.mget(
    VICTIM_DATA_TYPE,
    Array.from({ length: o.keys }, (_, i) => victimKey(i)),
  );
  return values.filter((v) => v === undefined).length;
}

/**
 * Run the workload for at least `minMs` and until `during` settles (capped at `maxMs`), then wait (bounded) for
 * the ops in flight. Returns the window's figures and what `during` returned (or threw).
 */
export async function victimWindow<T>(
  o: VictimOptions,
  minMs: number,
  maxMs: number,
  during: () => Promise<T>,
): Promise<{ window: VictimWindow; outcome: { ok: true; value: T } | { ok: false; error: unknown } }> {
  const w: VictimWindow = { ops: 0, errors: 0, errorMessages: [], latency: latencyHistogram(), sendLag: latencyHistogram(), elapsedMs: 0 };
  const interval = 1000 / o.ratePerSec;
  const pending = new Set<Promise<void>>();
  let settled = false;
  const abuse = during().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  void abuse.then(() => {
    settled = true;
  });
  const t0 = performance.now();
  for (let i = 0; ;) {
    const now = performance.now();
    const elapsed = now - t0;
    if ((elapsed >= minMs && settled) || elapsed >= maxMs) break;
    const due = t0 + i * interval;
    if (due > now) {
      await sleep(due - now);
      continue;
    }
    w.sendLag.recordValue(us(now - due));
    const k = victimKey(i % o.keys);
    const write = i % 5 === 4;
    const op = (write ? o.cache.set(VICTIM_DATA_TYPE, k, { i, v: 'quiet' }) : o.cache.get(VICTIM_DATA_TYPE, k)).then(
      () => {
        w.latency.recordValue(us(performance.now() - due));
      },
      (err: unknown) => {
        w.errors++;
        if (w.errorMessages.length < 5) w.errorMessages.push(errorMessage(err));
      },
    );
    const tracked = op.finally(() => pending.delete(tracked));
    pending.add(tracked);
    w.ops++;
    i++;
  }
  w.elapsedMs = performance.now() - t0;
  const outcome = await abuse;
  // Ops still unanswered 5 s after the window count as errors (a stalled node must not hang the suite).
  const stuck = await Promise.race([Promise.all(pending).then(() => 0), sleep(5000).then(() => pending.size)]);
  if (stuck > 0) {
    w.errors += stuck;
    w.errorMessages.push(`${stuck} op(s) unanswered 5 s after the window`);
  }
  return { window: w, outcome };
}
