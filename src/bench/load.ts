import type { Target } from '../cluster/index.js';
import type { Spec } from '../spec/index.js';
import { createDriver, type Driver, type DriverName, type TenantCredentials } from './drivers/index.js';
import { buildOpTable, type OpTable } from './op-table.js';
import type { PacingOptions } from './pacer.js';
import { Recorder, type EncodedRun } from './recorder.js';
import { closedLoop, lanesOf, openLoop, type ClosedLoop, type OpenLoop } from './scheduler.js';
import { threadCpuMs } from './thread-cpu.js';
import type { BenchTopology } from './topology.js';
import type { Workload } from './workload.js';

/** One worker's share of a run; plain data, so it crosses into a worker thread as is. */
export interface LoadConfig {
  worker: number;
  workload: Workload;
  target: Target;
  topology: BenchTopology;
  driver: DriverName;
  /** Connections per master, for this worker. */
  connections: number;
  /** Most ops in flight per connection; more wait (open loop) — the bound that keeps a saturated run honest. */
  maxInFlightPerConn: number;
  mode: 'open' | 'closed';
  /** Open loop: this worker's arrival rate, ops/s. */
  rate: number;
  /** Closed loop: this worker's ops in flight. */
  inflight: number;
  warmupMs: number;
  durationMs: number;
  /** This worker's bound on ops (warm-up included). */
  maxOps: number;
  /** After the last send, wait this long for replies; what is left counts as timeouts. */
  drainTimeoutMs: number;
  tableSize: number;
  /** Seed of this worker's op table. */
  seed: number;
  /** Open loop: delay of this worker's first op, so workers' arrivals interleave. */
  phaseMs: number;
  pacing: PacingOptions;
  /** tenant-cache driver: the provisioned tenants. */
  tenants?: TenantCredentials[];
  /** Use this op table instead of one sampled from the workload (the like-for-like comparisons, the prefill). */
  table?: OpTable;
  /** Closed loop: send the table's entries in order (each once when maxOps = its length) instead of refilling per master. */
  inOrder?: boolean;
}

export interface PreparedLoad {
  table: OpTable;
  /** Run with the first op due at `startEpochMs` (Date.now() timebase, shared by all workers); `signal` stops sending early. */
  run(startEpochMs: number, signal?: AbortSignal): Promise<EncodedRun>;
  close(): Promise<void>;
}

/** Build the op table and connect the driver; the run starts when `run` is called. */
export async function prepareLoad(spec: Spec, cfg: LoadConfig): Promise<PreparedLoad> {
  const table = cfg.table ?? buildOpTable(spec, cfg.workload, { size: cfg.tableSize, seed: cfg.seed });
  let rec: Recorder | undefined;
  let closed: ClosedLoop | undefined;
  let open: OpenLoop | undefined;
  const driver: Driver = await createDriver(cfg.driver, {
    spec,
    table,
    ...(cfg.tenants ? { tenants: cfg.tenants } : {}),
    target: cfg.target,
    topology: cfg.topology,
    connections: cfg.connections,
    maxInFlightPerConn: cfg.maxInFlightPerConn,
    onComplete: (op, intended, sentAt, now, status, error) => {
      rec?.complete(op, intended, sentAt, now, status, error);
      closed?.next(now, op);
      open?.pump();
    },
  });
  return {
    table,
    async run(startEpochMs, signal) {
      const start = startEpochMs - performance.timeOrigin + cfg.phaseMs;
      const measureStart = start + cfg.warmupMs;
      const end = measureStart + cfg.durationMs;
      const drainUntil = end + cfg.drainTimeoutMs;
      const r = new Recorder(table, measureStart, end, cfg.worker, cfg.mode === 'open');
      rec = r;
      const bounds = { start, end, maxOps: cfg.maxOps, mask: table.size - 1 };
      const unsent: Array<[number, number]> = [];
      const cpu0 = threadCpuMs();
      const stop = () => {
        closed?.stop();
        open?.stop();
      };
      signal?.addEventListener('abort', stop, { once: true });
      if (signal?.aborted) stop();
      if (cfg.mode === 'open' && driver.runOpenLoop) {
        const s = await driver.runOpenLoop({ ...bounds, interval: 1000 / cfg.rate, measureStart, drainUntil }, cfg.pacing, signal);
        r.issued += s.issued;
        r.measuredIssued += s.measuredIssued;
        r.deferred += s.deferred;
        r.failed(s.failed, 'not sent: the connection was gone');
        r.outstandingPerSecond = s.outstandingPerSecond;
        r.cpu.senderMs = s.cpuMs;
        r.cpu.senderSpinMs = s.spinMs;
        r.cpu.senderWrites = s.writes;
        r.cpu.senderSleeps = s.sleeps;
        s.unsentOps.forEach((op, k) => unsent.push([op, s.unsentIntended[k] ?? 0]));
      } else if (cfg.mode === 'open') {
        const maxInFlight = cfg.maxInFlightPerConn * cfg.connections * cfg.topology.masters.length;
        open = openLoop({ ...bounds, rate: cfg.rate, inFlight: () => driver.inFlight(), maxInFlight, drainUntil }, driver, r);
        await open.done;
        open.takeWaiting((op, intended) => unsent.push([op, intended]));
      } else {
        const owner = Uint8Array.from(table.slot, (slot) => cfg.topology.slotOwner[slot] ?? 0);
        closed = closedLoop({ ...bounds, inflight: cfg.inflight, ...(cfg.inOrder ? {} : { lanes: lanesOf(owner) }) }, driver, r);
        await closed.done;
      }
      signal?.removeEventListener('abort', stop);
      await drain(driver, cfg.drainTimeoutMs);
      r.cpu.receiverMs = threadCpuMs() - cpu0;
      const now = performance.now();
      driver.forEachPending((op, intended, sentAt) => r.timeout(op, intended, sentAt, now));
      for (const [op, intended] of unsent) r.timeout(op, intended, Number.NaN, now);
      // Replies that straggle in after the deadline were already counted as timeouts.
      rec = undefined;
      closed = undefined;
      open = undefined;
      return r.encode(performance.timeOrigin);
    },
    close: () => driver.close(),
  };
}

function drain(driver: Driver, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve) => {
    const check = () => {
      if (driver.inFlight() === 0 || performance.now() >= deadline) resolve();
      else setTimeout(check, 2);
    };
    check();
  });
}
