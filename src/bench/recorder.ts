import { CHANNELS } from '../tenancy/index.js';
import type { Channel } from '../tenancy/index.js';
import { encodeHistogram, latencyHistogram, seriesHistogram, type Histogram } from './histograms.js';
import { type Dim, type OpName, type OpTable } from './op-table.js';
import { REPLY_ERROR, REPLY_NIL } from './resp.js';

/** What one worker hands back: plain data with encoded histograms, merged by aggregate(). */
export interface EncodedRun {
  worker: number;
  dims: Dim[];
  /** Encoded histogram per dim ('' when empty), µs from each op's intended start (open loop) or send (closed). */
  dimHists: string[];
  /** Per channel (CHANNELS order): µs from the op's actual send to its reply — the target's share of the latency. */
  serviceHists: string[];
  /** Per measured second (by intended start), channel and op: `compare` tests each second as one sample. */
  perSecond: Array<{ channel: Channel; op: OpName; second: number; hist: string }>;
  /** Actual send − intended send, µs: the generator's share of the latency (0 in a closed loop). */
  sendLag: string;
  /** Every op issued, warm-up included. */
  issued: number;
  /** Ops whose start lies in the measured window. */
  measuredIssued: number;
  /** Measured ops answered (successes, misses and error replies). */
  completed: number;
  errors: number;
  /** Measured ops unanswered at the drain deadline (recorded with their waiting time so far). */
  timeouts: number;
  /** Of those, ops that were never even sent (they waited for room under the in-flight bound). */
  unsent: number;
  /** Measured ops that had to wait for room under the in-flight bound before being sent. */
  deferred: number;
  misses: number;
  errorsByMessage: Record<string, number>;
  /** Per measured second, the most ops outstanding at once (in flight + waiting for room). */
  outstandingPerSecond: number[];
  /** Where the generator's CPU went (ms, NaN where unknown): the receiving thread, the sender thread, its spinning. */
  cpu: { receiverMs: number; senderMs: number; senderSpinMs: number; senderWrites: number; senderSleeps: number };
  measureStartEpochMs: number;
  measureEndEpochMs: number;
  /** Epoch ms of the last measured completion. */
  lastCompletionEpochMs: number;
}

const MAX_ERROR_KINDS = 50;

/** Per-worker recording: one histogram per dim, service time per channel, a per-second series, counters. Hot path: complete(). */
export class Recorder {
  readonly dimHists: Histogram[];
  readonly serviceHists: Histogram[] = CHANNELS.map(() => latencyHistogram());
  /** Per-second series, one per (channel, op) the table holds; `seriesOf[dim]` picks a dim's. */
  private readonly series: Array<{ channel: Channel; op: OpName; seconds: Histogram[] }> = [];
  private readonly seriesOf: Uint16Array;
  readonly sendLag = latencyHistogram();
  issued = 0;
  measuredIssued = 0;
  completed = 0;
  errors = 0;
  timeouts = 0;
  unsent = 0;
  deferred = 0;
  misses = 0;
  outstandingPerSecond: number[] = [];
  cpu = { receiverMs: Number.NaN, senderMs: 0, senderSpinMs: 0, senderWrites: 0, senderSleeps: 0 };
  private lastCompletion = 0;
  private readonly errorsByMessage = new Map<string, number>();

  /**
   * `measureStart`/`measureEnd` are in this thread's performance.now() timebase. In a closed loop every op
   * is sent when it is due, so its latency is its service time and its send lag 0: `splitTimes` false
   * records only the latency (half the histogram work per op at 100k+ ops/s); aggregate() reads the
   * service time from the latency then.
   */
  constructor(
    private readonly table: OpTable,
    readonly measureStart: number,
    readonly measureEnd: number,
    private readonly worker = 0,
    private readonly splitTimes = true,
  ) {
    this.dimHists = table.dims.map(() => latencyHistogram());
    this.seriesOf = Uint16Array.from(table.dims, (d) => {
      const i = this.series.findIndex((x) => x.channel === d.channel && x.op === d.op);
      return i >= 0 ? i : this.series.push({ channel: d.channel, op: d.op, seconds: [] }) - 1;
    });
  }

  /** One op answered: `intended` is when it was due, `sentAt` when it was written, `now` when its reply was read; ms. */
  complete(op: number, intended: number, sentAt: number, now: number, status: number, error?: string): void {
    if (intended < this.measureStart) return;
    this.completed++;
    if (status === REPLY_ERROR) {
      this.errors++;
      this.countError(error ?? 'error');
      return;
    }
    if (status === REPLY_NIL) this.misses++;
    this.record(op, intended, sentAt, now);
  }

  /** An op unanswered at the drain deadline: a timeout, recorded with the time it has waited (sentAt NaN: never sent). */
  timeout(op: number, intended: number, sentAt: number, now: number): void {
    if (intended < this.measureStart) return;
    this.timeouts++;
    if (Number.isNaN(sentAt)) {
      this.unsent++;
      this.recordLatency(op, intended, now);
      return;
    }
    this.record(op, intended, sentAt, now);
  }

  /** `n` measured ops that could not be sent (connection gone): errors, not latencies. */
  failed(n: number, message: string): void {
    if (n <= 0) return;
    this.completed += n;
    this.errors += n;
    this.countError(message, n);
  }

  private record(op: number, intended: number, sentAt: number, now: number): void {
    this.recordLatency(op, intended, now);
    if (!this.splitTimes) return;
    this.serviceHists[this.table.channel[op] ?? 0]?.recordValue(Math.max(1, Math.round((now - sentAt) * 1000)));
    this.sendLag.recordValue(Math.max(1, Math.round((sentAt - intended) * 1000)));
  }

  private recordLatency(op: number, intended: number, now: number): void {
    const us = Math.max(1, Math.round((now - intended) * 1000));
    this.dimHists[this.table.dim[op] ?? 0]?.recordValue(us);
    const sec = Math.floor((intended - this.measureStart) / 1000);
    const seconds = this.series[this.seriesOf[this.table.dim[op] ?? 0] ?? 0]?.seconds;
    if (seconds) (seconds[sec] ??= seriesHistogram()).recordValue(us);
    if (now > this.lastCompletion) this.lastCompletion = now;
  }

  private countError(message: string, n = 1): void {
    const key = this.errorsByMessage.has(message) || this.errorsByMessage.size < MAX_ERROR_KINDS ? message : '(other errors)';
    this.errorsByMessage.set(key, (this.errorsByMessage.get(key) ?? 0) + n);
  }

  /** Track the most ops outstanding in each measured second (in-thread schedulers call this as they send). */
  outstanding(now: number, n: number): void {
    if (now < this.measureStart || now >= this.measureEnd) return;
    const sec = Math.floor((now - this.measureStart) / 1000);
    if (n > (this.outstandingPerSecond[sec] ?? 0)) this.outstandingPerSecond[sec] = n;
  }

  encode(timeOrigin: number): EncodedRun {
    return {
      worker: this.worker,
      dims: this.table.dims,
      dimHists: this.dimHists.map(encodeHistogram),
      serviceHists: this.serviceHists.map(encodeHistogram),
      perSecond: this.series.flatMap(({ channel, op, seconds }) =>
        seconds.flatMap((h, second) => (h && h.totalCount > 0 ? [{ channel, op, second, hist: encodeHistogram(h) }] : [])),
      ),
      sendLag: encodeHistogram(this.sendLag),
      issued: this.issued,
      measuredIssued: this.measuredIssued,
      completed: this.completed,
      errors: this.errors,
      timeouts: this.timeouts,
      unsent: this.unsent,
      deferred: this.deferred,
      misses: this.misses,
      errorsByMessage: Object.fromEntries(this.errorsByMessage),
      outstandingPerSecond: Array.from(this.outstandingPerSecond, (x) => x ?? 0),
      cpu: this.cpu,
      measureStartEpochMs: timeOrigin + this.measureStart,
      measureEndEpochMs: timeOrigin + this.measureEnd,
      lastCompletionEpochMs: this.lastCompletion > 0 ? timeOrigin + this.lastCompletion : timeOrigin + this.measureStart,
    };
  }
}
