import { latencyHistogram, summarize, type Histogram } from '../bench/histograms.js';
import { ThreadChannel } from '../bench/thread-channel.js';
import type { NodeAddress } from '../cluster/index.js';
import { errorMessage } from '../errors.js';
import type { LatencySummary } from '../report/index.js';
import { tagForSlot } from '../tenancy/slot-tags.js';
import { errorKind } from './acked-writes.js';

// Open-loop traffic over every shard while a fault is injected, as an application sees it: one ioredis Cluster
// client (admin credentials), op i scheduled at start + i/rate and its latency counted from that intended start
// (no coordinated omission), a per-op timeout so a stalled node shows as TIMEOUTs. It runs in its own worker
// thread (src/bench/fault-traffic-thread.ts), so the fault injector in the starting thread never delays the
// pacer. Every op's intended start and outcome comes back; the client-visible window per shard is computed
// here from them (shardWindow, pure).

/** One shard's keys: `name` is the master that owned their slots when the traffic started. */
export interface TrafficShard {
  name: string;
  keys: readonly string[];
}

/** What the starting thread passes in `workerData` (credentials never in argv/env). */
export interface TrafficInit {
  seeds: readonly NodeAddress[];
  username?: string;
  password?: string;
  shards: readonly TrafficShard[];
  /** Ops per second over all shards (round-robin), half SET, half GET. */
  ratePerSec: number;
  /** An op without a reply after this long counts as TIMEOUT. */
  opTimeoutMs: number;
  /** Hard bound on the traffic's duration. */
  maxMs: number;
  /** ioredis's slot map refresh interval: what a long-lived application client sets to follow a failover. */
  slotsRefreshIntervalMs: number;
}

export type ToTraffic = { type: 'start' } | { type: 'stop' };

/** Every op of one shard in launch (= intended) order: start ms since the traffic's t0, latency ms or -1 when it failed. */
export interface ShardOps {
  name: string;
  startMs: number[];
  latencyMs: number[];
  /** The failed ops: when (intended start, ms since t0) and why (errorKind). */
  failures: Array<{ atMs: number; kind: string }>;
  /** The first error message of each kind. */
  samples: Record<string, string>;
}

export interface TrafficRecord {
  /** Epoch ms (performance.timeOrigin + performance.now()) of t0: fault times in the starting thread convert with it. */
  t0EpochMs: number;
  elapsedMs: number;
  shards: ShardOps[];
  /** p99 of the pacer's own lateness (ms): how precisely the schedule was kept. */
  sendLagP99Ms: number;
  /** Ops whose reply had not come when the traffic stopped and the drain ended (counted as TIMEOUT failures). */
  undrained: number;
}

export type FromTraffic =
  { type: 'ready' } | { type: 'started'; t0EpochMs: number } | { type: 'done'; record: TrafficRecord } | { type: 'error'; message: string };

/**
 * A failed op's kind: errorKind's (CLUSTERDOWN, MOVED, TIMEOUT, CONNECTION...), except that ioredis's
 * "Too many Cluster redirections. Last error: <e>" (its redirection budget spent) is named after <e>, with
 * MOVED/ASK as MOVED_STORM/ASK_STORM.
 */
export function trafficErrorKind(err: unknown): string {
  const m = /^Too many Cluster redirections\. Last error: (?:\w*Error: )?(.*)$/s.exec(errorMessage(err));
  if (!m) return errorKind(err);
  const last = errorKind(new Error(m[1] ?? ''));
  return last === 'MOVED' || last === 'ASK' ? `${last}_STORM` : last;
}

/** Keys for each master's slot ranges, `perShard` per shard, spread over the ranges (known shard per key). */
export function keysForShards(
  prefix: string,
  masters: ReadonlyArray<{ name: string; slots: ReadonlyArray<readonly [number, number]> }>,
  perShard: number,
): TrafficShard[] {
  return masters.map((m) => {
    const slots = m.slots.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));
    if (slots.length === 0) throw new Error(`master ${m.name} owns no slots`);
    const keys = Array.from({ length: perShard }, (_, i) => {
      const slot = slots[Math.floor((i * slots.length) / perShard)] ?? slots[0] ?? 0;
      return `${prefix}{${tagForSlot(slot)}}:${i}`;
    });
    return { name: m.name, keys };
  });
}

/** The client-visible window of one shard. */
export interface ShardWindow {
  /** From the first failed or stalled op's intended start to the end of the first good op after the last bad one; 0 without bad ops. */
  windowMs: number;
  /** ms since t0. */
  firstBadMs: number | null;
  /** ms since t0: when the first good op after the last bad one completed. */
  recoveredAtMs: number | null;
  /** False when no good op followed the last bad one: the window is open (measured to the end of the traffic). */
  recovered: boolean;
  badOps: number;
  /** Ops that succeeded but took longer than stallMs. */
  stalledOps: number;
}

/**
 * The window from one shard's ops (in launch order). An op is bad when it failed or took more than `stallMs`
 * from its intended start; the window runs from the first bad op's intended start to the completion of the
 * first good op launched after the last bad op (one span covering every bad op: a flapping shard is not
 * reported as its shortest episode). `endMs`: when the traffic stopped (the end of an open window).
 */
export function shardWindow(ops: Pick<ShardOps, 'startMs' | 'latencyMs'>, stallMs: number, endMs: number): ShardWindow {
  let firstBad = -1;
  let lastBad = -1;
  let badOps = 0;
  let stalledOps = 0;
  const n = Math.min(ops.startMs.length, ops.latencyMs.length);
  for (let i = 0; i < n; i++) {
    const lat = ops.latencyMs[i] ?? -1;
    const bad = lat < 0 || lat > stallMs;
    if (!bad) continue;
    if (lat >= 0) stalledOps++;
    badOps++;
    if (firstBad < 0) firstBad = i;
    lastBad = i;
  }
  if (firstBad < 0) return { windowMs: 0, firstBadMs: null, recoveredAtMs: null, recovered: true, badOps: 0, stalledOps: 0 };
  const firstBadMs = ops.startMs[firstBad] ?? 0;
  for (let i = lastBad + 1; i < n; i++) {
    const lat = ops.latencyMs[i] ?? -1;
    if (lat >= 0 && lat <= stallMs) {
      const recoveredAtMs = (ops.startMs[i] ?? 0) + lat;
      return { windowMs: recoveredAtMs - firstBadMs, firstBadMs, recoveredAtMs, recovered: true, badOps, stalledOps };
    }
  }
  return { windowMs: Math.max(0, endMs - firstBadMs), firstBadMs, recoveredAtMs: null, recovered: false, badOps, stalledOps };
}

/** Failed ops by kind. */
export function errorsByKind(ops: Pick<ShardOps, 'failures'>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of ops.failures) out[f.kind] = (out[f.kind] ?? 0) + 1;
  return out;
}

/** Latency (µs histogram) of the successful ops whose intended start is in [fromMs, toMs). */
export function latencyBetween(ops: Pick<ShardOps, 'startMs' | 'latencyMs'>, fromMs: number, toMs: number): Histogram {
  const h = latencyHistogram();
  ops.startMs.forEach((s, i) => {
    const lat = ops.latencyMs[i] ?? -1;
    if (lat >= 0 && s >= fromMs && s < toMs) h.recordValue(Math.max(1, Math.round(lat * 1000)));
  });
  return h;
}

/** One shard's result: its window, errors, and latency over the whole run and during the event. */
export interface ShardTraffic extends ShardWindow {
  name: string;
  ops: number;
  failed: number;
  errors: Record<string, number>;
  /** The first error message of each kind. */
  error_samples: Record<string, string>;
  latency: LatencySummary;
  /** Successful ops launched between the fault and the end of the last window (every shard's), µs. */
  latencyDuringEvent: LatencySummary;
}

export function summarizeTraffic(rec: TrafficRecord, stallMs: number, event: { fromMs: number; toMs: number }): ShardTraffic[] {
  return rec.shards.map((s) => ({
    name: s.name,
    ops: s.startMs.length,
    failed: s.failures.length,
    errors: errorsByKind(s),
    error_samples: s.samples,
    ...shardWindow(s, stallMs, rec.elapsedMs),
    latency: summarize(latencyBetween(s, 0, Number.POSITIVE_INFINITY)),
    latencyDuringEvent: summarize(latencyBetween(s, event.fromMs, event.toMs)),
  }));
}

/** The traffic's worker thread, driven from the starting thread: start() → begin() → (fault) → stop(). */
export class FaultTraffic {
  private constructor(private readonly channel: ThreadChannel<FromTraffic, ToTraffic>) {}

  /** Start the thread; it connects its cluster client and is ready when this resolves. */
  static async start(init: TrafficInit): Promise<FaultTraffic> {
    return new FaultTraffic(await ThreadChannel.open<FromTraffic, ToTraffic>('fault-traffic-thread', init, 'the traffic thread'));
  }

  /** Start the clock; resolves with t0 (epoch ms) once the first op is due. */
  async begin(): Promise<number> {
    const started = this.channel.next('started', 10_000);
    this.channel.post({ type: 'start' });
    return (await started).t0EpochMs;
  }

  /** Stop sending, wait for the ops in flight (each bounded by its timeout), and return every op's record. */
  async stop(timeoutMs = 30_000): Promise<TrafficRecord> {
    const done = this.channel.next('done', timeoutMs);
    this.channel.post({ type: 'stop' });
    return (await done).record;
  }

  /** End the thread (idempotent; also after an error). */
  async close(): Promise<void> {
    await this.channel.terminate();
  }
}
