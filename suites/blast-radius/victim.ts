import { Worker } from 'node:worker_threads';
import { decodeHistogram, type Histogram } from '../../src/bench/histograms.js';
import type { FromPacedTenant, PacedTenantInit, ToPacedTenant } from '../../src/bench/paced-tenant-thread.js';
import { threadEntry } from '../../src/bench/thread-entry.js';
import { TenantCache, type TenantCacheOptions } from '../../src/tenancy/index.js';

// The quiet tenant: a paced open-loop workload through its own TenantCache (its own ACL user), 80% GET and
// 20% overwriting SET of its own keys. Each op's latency counts from its intended start, so a stall of the
// node (or of the workload's thread) shows in full instead of only delaying the next op (no coordinated
// omission). The workload runs in its own worker thread (src/bench/paced-tenant-thread.ts, its own connection), so the
// aggressor's JavaScript in the suite's thread cannot delay it; seeding and reading back stay here.

export const VICTIM_DATA_TYPE = 'users';

export interface VictimWindow {
  ops: number;
  errors: number;
  errorMessages: string[];
  latency: Histogram;
  /** How late the pacer launched ops (its own lateness in its own thread, µs). */
  sendLag: Histogram;
  elapsedMs: number;
}

/** What both connections of the quiet tenant open with (data only: the thread gets a structured clone). */
export type VictimCacheOptions = Pick<
  TenantCacheOptions,
  'spec' | 'seeds' | 'tenant' | 'module' | 'channel' | 'aclUser' | 'password' | 'meta'
>;

export interface VictimOptions {
  /** This thread's connection as the quiet tenant: seeding and reading its keys back, between windows. */
  cache: TenantCache;
  keys: number;
  ratePerSec: number;
  /** The paced workload's thread, with its own TenantCache. */
  thread: VictimThread;
}

/** The quiet tenant's workload thread: one window at a time. */
export class VictimThread {
  private exit: Error | null = null;

  private constructor(private readonly worker: Worker) {
    // Always listened to: an 'error' event without a listener would throw in this thread.
    worker.on('error', (err) => {
      this.exit ??= err;
    });
    worker.once('exit', (code) => {
      this.exit ??= new Error(`the quiet tenant's thread exited (code ${code})`);
    });
  }

  /** Start the thread; it opens its own TenantCache (credentials in workerData only) and is ready when this resolves. */
  static async start(cache: VictimCacheOptions, keys: readonly string[], ratePerSec: number): Promise<VictimThread> {
    const init: PacedTenantInit = { cache, keys, dataType: VICTIM_DATA_TYPE, ratePerSec };
    const worker = new Worker(threadEntry('paced-tenant-thread'), { workerData: init, execArgv: [] });
    const t = new VictimThread(worker);
    try {
      await t.next('ready', 30_000);
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return t;
  }

  /** The next message of `type` (an error message, the thread's exit or the timeout reject). */
  private next<K extends FromPacedTenant['type']>(type: K, timeoutMs: number): Promise<Extract<FromPacedTenant, { type: K }>> {
    return new Promise((resolve, reject) => {
      if (this.exit) return reject(this.exit);
      const off = () => {
        clearTimeout(timer);
        this.worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      const fail = (err: Error) => {
        off();
        reject(err);
      };
      const onMessage = (m: FromPacedTenant) => {
        if (m.type === 'error') fail(new Error(`the quiet tenant's thread: ${m.message}`));
        else if (m.type === type) {
          off();
          resolve(m as Extract<FromPacedTenant, { type: K }>);
        }
      };
      const onError = (err: Error) => fail(err);
      const onExit = (code: number) => fail(new Error(`the quiet tenant's thread exited (code ${code}) before '${type}'`));
      const timer = setTimeout(() => fail(new Error(`no '${type}' from the quiet tenant's thread within ${timeoutMs} ms`)), timeoutMs);
      this.worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  }

  private post(m: ToPacedTenant): void {
    this.worker.postMessage(m);
  }

  /** See victimWindow. The abuse starts once the thread's clock has. */
  async window<T>(
    minMs: number,
    maxMs: number,
    during: () => Promise<T>,
  ): Promise<{ window: VictimWindow; outcome: { ok: true; value: T } | { ok: false; error: unknown } }> {
    const started = this.next('started', 10_000);
    // The window's end, its ops in flight (at most 5 s) and a margin.
    const done = this.next('done', maxMs + 15_000);
    done.catch(() => undefined); // awaited below, unless `started` fails first
    this.post({ type: 'window', minMs, maxMs });
    await started;
    const abuse = during().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    void abuse.then(() => this.post({ type: 'settled' }));
    const report = await done
      .catch(async (err: unknown) => {
        await abuse; // the abuse must not run on into the next window
        throw err;
      })
      .then((m) => m.report);
    const outcome = await abuse;
    const { latency, sendLag, ...counts } = report;
    return { window: { ...counts, latency: decodeHistogram(latency), sendLag: decodeHistogram(sendLag) }, outcome };
  }

  /** Close its TenantCache, then end the thread (terminated if it does not end within 5 s). */
  async close(): Promise<void> {
    if (this.exit) return;
    const closed = this.next('closed', 5000);
    this.post({ type: 'close' });
    try {
      await closed;
    } finally {
      await this.worker.terminate();
    }
  }
}

export function victimKey(i: number): string {
  return `v${i}`;
}

/** Both connections of the quiet tenant: this thread's TenantCache and the workload thread (closed again if it cannot start). */
export async function openVictim(cacheOptions: VictimCacheOptions, keys: number, ratePerSec: number): Promise<VictimOptions> {
  const cache = await TenantCache.open(cacheOptions);
  try {
    const names = Array.from({ length: keys }, (_, i) => victimKey(i));
    return { cache, keys, ratePerSec, thread: await VictimThread.start(cacheOptions, names, ratePerSec) };
  } catch (err) {
    await cache.close();
    throw err;
  }
}

/** Ends the workload thread and closes this thread's connection (both, even if one fails). */
export async function closeVictim(o: VictimOptions): Promise<void> {
  const results = await Promise.allSettled([o.thread.close(), o.cache.close()]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
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
 * Run the workload (in its thread) for at least `minMs` and until `during` settles (capped at `maxMs`), then wait
 * (bounded) for the ops in flight. Returns the window's figures and what `during` returned (or threw).
 */
export function victimWindow<T>(
  o: VictimOptions,
  minMs: number,
  maxMs: number,
  during: () => Promise<T>,
): Promise<{ window: VictimWindow; outcome: { ok: true; value: T } | { ok: false; error: unknown } }> {
  return o.thread.window(minMs, maxMs, during);
}
