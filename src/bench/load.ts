import type { Target } from '../cluster/index.js';
import type { Spec } from '../spec/index.js';
import { createDriver, type Driver, type DriverName, type TenantCredentials } from './drivers/index.js';
import { buildOpTable, type OpTable } from './op-table.js';
import { Recorder, type EncodedRun } from './recorder.js';
import { closedLoop, openLoop, type ClosedLoop } from './scheduler.js';
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
  spinMs?: number;
  napUs?: number;
  /** tenant-cache driver: the provisioned tenants. */
  tenants?: TenantCredentials[];
}

export interface PreparedLoad {
  table: OpTable;
  /** Run with the first op due at `startEpochMs` (Date.now() timebase, shared by all workers). */
  run(startEpochMs: number): Promise<EncodedRun>;
  close(): Promise<void>;
}

/** Build the op table and connect the driver; the run starts when `run` is called. */
export async function prepareLoad(spec: Spec, cfg: LoadConfig): Promise<PreparedLoad> {
  const table = buildOpTable(spec, cfg.workload, { size: cfg.tableSize, seed: cfg.seed });
  let rec: Recorder | undefined;
  let closed: ClosedLoop | undefined;
  const driver: Driver = await createDriver(cfg.driver, {
    spec, table, ...(cfg.tenants ? { tenants: cfg.tenants } : {}), target: cfg.target, topology: cfg.topology, connections: cfg.connections,
    onComplete: (op, start, now, status, error) => {
      rec?.complete(op, start, now, status, error);
      closed?.next(now);
    },
    onFailed: (start, message) => rec?.failed(start, message),
  });
  return {
    table,
    async run(startEpochMs) {
      const start = startEpochMs - performance.timeOrigin + cfg.phaseMs;
      const measureStart = start + cfg.warmupMs;
      const end = measureStart + cfg.durationMs;
      const r = new Recorder(table, measureStart, end, cfg.worker);
      rec = r;
      const bounds = { start, end, maxOps: cfg.maxOps, mask: table.size - 1 };
      if (cfg.mode === 'open') {
        await openLoop({ ...bounds, rate: cfg.rate, inFlight: () => driver.inFlight(), ...(cfg.spinMs !== undefined ? { spinMs: cfg.spinMs } : {}), ...(cfg.napUs !== undefined ? { napUs: cfg.napUs } : {}) }, driver, r).done;
      } else {
        closed = closedLoop({ ...bounds, inflight: cfg.inflight }, driver, r);
        await closed.done;
      }
      await drain(driver, cfg.drainTimeoutMs);
      const now = performance.now();
      driver.forEachPending((op, s) => r.timeout(op, s, now));
      // Replies that straggle in after the deadline were already counted as timeouts.
      rec = undefined;
      closed = undefined;
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
