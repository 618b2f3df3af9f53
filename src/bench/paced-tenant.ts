import { decodeHistogram, type Histogram } from './histograms.js';
import type { FromPacedTenant, PacedTenantInit, ToPacedTenant } from './paced-tenant-thread.js';
import { ThreadChannel } from './thread-channel.js';

// The starting thread's side of src/bench/paced-tenant-thread.ts: one tenant's paced open-loop workload in a worker
// thread of its own (its own TenantCache), driven one window at a time. Used by suites/blast-radius (the quiet
// tenant) and the rolling restart (src/faults/rolling-run.ts, one tenant per master).

/** One window's figures, histograms decoded. */
export interface PacedWindow {
  ops: number;
  errors: number;
  errorMessages: string[];
  latency: Histogram;
  /** How late the pacer launched ops (its own lateness in its own thread, µs). */
  sendLag: Histogram;
  elapsedMs: number;
}

export type PacedOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A paced tenant's workload thread: one window at a time. */
export class PacedTenantThread {
  private constructor(private readonly channel: ThreadChannel<FromPacedTenant, ToPacedTenant>) {}

  /** Start the thread; it opens its own TenantCache (credentials in workerData only) and is ready when this resolves. */
  static async start(init: PacedTenantInit, label: string): Promise<PacedTenantThread> {
    return new PacedTenantThread(
      await ThreadChannel.open<FromPacedTenant, ToPacedTenant>('paced-tenant-thread', init, `${label}'s thread`),
    );
  }

  /**
   * Run the workload (in its thread) for at least `minMs` and until `during` settles (capped at `maxMs`), then wait
   * (bounded) for the ops in flight. `during` starts once the thread's clock has. Returns the window's figures and
   * what `during` returned (or threw).
   */
  async window<T>(minMs: number, maxMs: number, during: () => Promise<T>): Promise<{ window: PacedWindow; outcome: PacedOutcome<T> }> {
    const started = this.channel.next('started', 10_000);
    // The window's end, its ops in flight (at most 5 s) and a margin.
    const done = this.channel.next('done', maxMs + 15_000);
    done.catch(() => undefined); // awaited below, unless `started` fails first
    this.channel.post({ type: 'window', minMs, maxMs });
    await started;
    const work = during().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    void work.then(() => this.channel.post({ type: 'settled' }));
    const report = await done
      .catch(async (err: unknown) => {
        await work; // `during` must not run on into the next window
        throw err;
      })
      .then((m) => m.report);
    const outcome = await work;
    const { latency, sendLag, ...counts } = report;
    return { window: { ...counts, latency: decodeHistogram(latency), sendLag: decodeHistogram(sendLag) }, outcome };
  }

  /** Close its TenantCache, then end the thread (terminated if it does not end within 5 s). */
  async close(): Promise<void> {
    if (this.channel.exited) return;
    const closed = this.channel.next('closed', 5000);
    this.channel.post({ type: 'close' });
    try {
      await closed;
    } finally {
      await this.channel.terminate();
    }
  }
}
