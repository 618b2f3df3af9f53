import type { Channel } from '../tenancy/index.js';
import { encodeHistogram, latencyHistogram, seriesHistogram, type Histogram } from './histograms.js';
import { CHANNELS, type Dim, type OpTable } from './op-table.js';
import { REPLY_ERROR, REPLY_NIL } from './resp.js';

/** What one worker hands back: plain data with encoded histograms, merged by aggregate(). */
export interface EncodedRun {
  worker: number;
  dims: Dim[];
  /** Encoded histogram per dim ('' when empty), µs from each op's start (intended start in open loop). */
  dimHists: string[];
  perSecond: Array<{ channel: Channel; second: number; hist: string }>;
  /** Open loop only: actual send − intended send, µs. */
  sendLag: string;
  /** Open loop only: time between consecutive actual sends, µs. */
  sendGap: string;
  /** Most ops sent in one scheduler tick. */
  maxBurst: number;
  /** Every op sent, warm-up included. */
  issued: number;
  /** Ops whose start lies in the measured window. */
  measuredIssued: number;
  /** Measured ops answered (successes, misses and error replies). */
  completed: number;
  errors: number;
  /** Measured ops still unanswered at the drain deadline (recorded with their waiting time so far). */
  timeouts: number;
  misses: number;
  errorsByMessage: Record<string, number>;
  measureStartEpochMs: number;
  measureEndEpochMs: number;
  /** Epoch ms of the last measured completion. */
  lastCompletionEpochMs: number;
}

const MAX_ERROR_KINDS = 50;

/** Per-worker recording: one histogram per dim, a per-second series per channel, counters. Hot path: complete(). */
export class Recorder {
  readonly dimHists: Histogram[];
  private readonly perSecond: Histogram[][] = [[], []];
  readonly sendLag = latencyHistogram();
  readonly sendGap = latencyHistogram();
  maxBurst = 0;
  issued = 0;
  measuredIssued = 0;
  completed = 0;
  errors = 0;
  timeouts = 0;
  misses = 0;
  private lastCompletion = 0;
  private readonly errorsByMessage = new Map<string, number>();

  /** `measureStart`/`measureEnd` are in this thread's performance.now() timebase. */
  constructor(private readonly table: OpTable, readonly measureStart: number, readonly measureEnd: number, private readonly worker = 0) {
    this.dimHists = table.dims.map(() => latencyHistogram());
  }

  /** One op answered. `start` is the op's (intended) start, `now` when its reply was read; ms. */
  complete(op: number, start: number, now: number, status: number, error?: string): void {
    if (start < this.measureStart) return;
    this.completed++;
    if (status === REPLY_ERROR) {
      this.errors++;
      this.countError(error ?? 'error');
      return;
    }
    if (status === REPLY_NIL) this.misses++;
    this.record(op, start, now);
  }

  /** An op never answered by the drain deadline: counted as a timeout and recorded with the time it has waited. */
  timeout(op: number, start: number, now: number): void {
    if (start < this.measureStart) return;
    this.timeouts++;
    this.record(op, start, now);
  }

  /** An op that could not be sent (connection gone): an error, not a latency. */
  failed(start: number, message: string): void {
    if (start < this.measureStart) return;
    this.completed++;
    this.errors++;
    this.countError(message);
  }

  private record(op: number, start: number, now: number): void {
    const us = Math.max(1, Math.round((now - start) * 1000));
    const dim = this.table.dim[op] ?? 0;
    this.dimHists[dim]?.recordValue(us);
    const ch = this.table.channel[op] ?? 0;
    const sec = Math.floor((start - this.measureStart) / 1000);
    const series = this.perSecond[ch];
    if (series) (series[sec] ??= seriesHistogram()).recordValue(us);
    if (now > this.lastCompletion) this.lastCompletion = now;
  }

  private countError(message: string): void {
    const key = this.errorsByMessage.has(message) || this.errorsByMessage.size < MAX_ERROR_KINDS ? message : '(other errors)';
    this.errorsByMessage.set(key, (this.errorsByMessage.get(key) ?? 0) + 1);
  }

  /** Scheduler bookkeeping for the open loop. */
  sent(intended: number, now: number, prevSend: number): void {
    if (intended < this.measureStart) return;
    this.sendLag.recordValue(Math.max(1, Math.round((now - intended) * 1000)));
    if (prevSend > 0) this.sendGap.recordValue(Math.max(1, Math.round((now - prevSend) * 1000)));
  }

  encode(timeOrigin: number): EncodedRun {
    return {
      worker: this.worker,
      dims: this.table.dims,
      dimHists: this.dimHists.map(encodeHistogram),
      perSecond: this.perSecond.flatMap((series, ch) => series.flatMap((h, second) => (h && h.totalCount > 0 ? [{ channel: CHANNELS[ch] ?? 'mobile', second, hist: encodeHistogram(h) }] : []))),
      sendLag: encodeHistogram(this.sendLag),
      sendGap: encodeHistogram(this.sendGap),
      maxBurst: this.maxBurst,
      issued: this.issued,
      measuredIssued: this.measuredIssued,
      completed: this.completed,
      errors: this.errors,
      timeouts: this.timeouts,
      misses: this.misses,
      errorsByMessage: Object.fromEntries(this.errorsByMessage),
      measureStartEpochMs: timeOrigin + this.measureStart,
      measureEndEpochMs: timeOrigin + this.measureEnd,
      lastCompletionEpochMs: this.lastCompletion > 0 ? timeOrigin + this.lastCompletion : timeOrigin + this.measureStart,
    };
  }
}
