import { Worker } from 'node:worker_threads';
import { closeNode, type Target } from '../cluster/index.js';
import { errorMessage, HarnessError } from '../errors.js';
import type { BenchResult } from '../report/index.js';
import type { Spec } from '../spec/index.js';
import { openAdminCluster, prefillKeys, unlinkKeys } from './admin.js';
import { aggregate } from './aggregate.js';
import { fineTimerSlack } from './clock.js';
import type { DriverName } from './drivers/index.js';
import { generatorFigures } from './generator-figures.js';
import { prepareLoad, type LoadConfig } from './load.js';
import { sampleMachine, type MachineSample } from './machine-load.js';
import { allKeys, buildOpTable, readKeys, type OpTable } from './op-table.js';
import { DEFAULT_PACING, type PacingOptions } from './pacer.js';
import { assessQuality, type DisturbanceThresholds } from './quality.js';
import type { EncodedRun } from './recorder.js';
import { prefillThroughResp } from './prefill.js';
import { perfSettings } from './settings.js';
import { settlePersistence } from './settle.js';
import { openTargetNodes, sampleTargetActivity, type NodeActivity, type TargetNodes } from './target-activity.js';
import { provisionBenchTenants, type ProvisionedBenchTenants } from './tenants.js';
import { threadEntry } from './thread-entry.js';
import { readTopology, type BenchTopology } from './topology.js';
import { prefillValue } from './values.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker.js';
import type { Workload } from './workload.js';
import { workloadFields } from './workload-fields.js';

export interface BenchOptions {
  spec: Spec;
  target: Target;
  workload: Workload;
  /** Label in reports; default "<profile> <mode>-loop". */
  name?: string;
  mode: 'open' | 'closed';
  /** Open loop: total arrival rate, ops/s, spread over workers. */
  rate: number;
  /** Closed loop: total ops in flight, spread over workers. */
  inflight: number;
  /** Connections per master per worker. */
  connections: number;
  workers: number;
  driver: DriverName;
  durationMs: number;
  warmupMs: number;
  /** Total bound on ops, warm-up included. */
  maxOps: number;
  drainTimeoutMs?: number;
  tableSize?: number;
  /** Most ops in flight per connection (default 4096); due ops beyond it wait and are counted as deferred. */
  maxInFlightPerConn?: number;
  /** Open loop through the resp driver's sender thread: how it waits for each op's time. */
  pacing?: PacingOptions;
  /** Override the workload's prefill / cleanup. */
  prefill?: boolean;
  cleanup?: boolean;
  /** Let the target's persistence settle before measuring (default true). */
  settle?: boolean;
  /** Use these op tables (one per worker) instead of sampling the workload: the like-for-like comparisons. */
  tables?: OpTable[];
  /** Reuse a topology already read. */
  topology?: BenchTopology;
  /** Stop sending (single worker): the run drains, cleans up and returns what it measured. */
  signal?: AbortSignal;
  /** Override the spec's disturbance thresholds (e.g. a sweep's own writes make the target fork: load, not disturbance). */
  disturbance?: Partial<DisturbanceThresholds>;
  log?: (line: string) => void;
}

const DEFAULT_TABLE = 65536;
export const DEFAULT_MAX_INFLIGHT_PER_CONN = 4096;

/** The op bound of an open-loop run: its schedule (warm-up included) and 5 % more, so a run never outgrows its plan. */
export function openLoopMaxOps(rate: number, durationMs: number, warmupMs: number): number {
  return Math.ceil(((rate * (durationMs + warmupMs)) / 1000) * 1.05) + 10;
}

/** Split n into k near-equal integer parts. */
export function split(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

/**
 * One benchmark run: prefill, let persistence settle, run (in this thread or in workers), aggregate, judge
 * the SLOs and the measurement's quality (what else loaded the machine meanwhile), clean up.
 */
export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const log = o.log ?? (() => undefined);
  const bound = o.maxInFlightPerConn ?? DEFAULT_MAX_INFLIGHT_PER_CONN;
  validate(o, bound);
  const topology = o.topology ?? (await readTopology(o.target));
  const tableSize = o.tableSize ?? DEFAULT_TABLE;
  const seeds = Array.from({ length: o.workers }, (_, w) => o.workload.seed + w * 7919);
  const inflight = split(o.inflight, o.workers);
  const maxOps = split(o.maxOps, o.workers);
  const pacing = o.pacing ?? DEFAULT_PACING;
  // Before any thread starts: threads inherit the lowered timer slack.
  const fineSlack = fineTimerSlack();
  const configs: LoadConfig[] = seeds.map((seed, w) => ({
    worker: w,
    workload: o.workload,
    target: o.target,
    topology,
    driver: o.driver,
    connections: o.connections,
    maxInFlightPerConn: bound,
    mode: o.mode,
    rate: o.rate / o.workers,
    inflight: inflight[w] ?? 1,
    warmupMs: o.warmupMs,
    durationMs: o.durationMs,
    maxOps: maxOps[w] ?? 0,
    drainTimeoutMs: o.drainTimeoutMs ?? 5000,
    tableSize,
    seed,
    phaseMs: o.mode === 'open' ? (w * 1000) / o.rate : 0,
    pacing,
    ...(o.tables?.[w] ? { table: o.tables[w] } : {}),
  }));

  const tables = o.tables ?? (o.workers === 1 ? [] : seeds.map((seed) => buildOpTable(o.spec, o.workload, { size: tableSize, seed })));
  let provisioned: ProvisionedBenchTenants | undefined;
  if (o.driver === 'tenant-cache') {
    provisioned = await provisionBenchTenants(o.spec, o.target, o.workload, log);
    for (const c of configs) c.tenants = provisioned.tenants;
  }
  const admin = await openAdminCluster(o.target).catch(async (err: unknown) => {
    await provisioned?.close();
    throw err;
  });
  let nodes: TargetNodes | undefined;
  const startedAt = new Date().toISOString();
  let measured: Measured;
  try {
    nodes = await openTargetNodes(o.target);
    const before = async () => {
      if (o.settle ?? true)
        await settlePersistence(nodes as TargetNodes, { timeoutMs: 30_000, quietMs: 1000, snapshot: o.target.destructive, log });
      return sample(nodes as TargetNodes);
    };
    if (o.workers === 1) {
      const load = await prepareLoad(o.spec, configs[0] as LoadConfig);
      try {
        if (!o.tables) tables.push(load.table);
        if (o.prefill ?? o.workload.prefill) await prefill(o, topology, admin, tables, log);
        const s0 = await before();
        log(`${o.mode}-loop run: ${describe(o, bound)}`);
        const runs = [await load.run(Date.now() + 20, o.signal)];
        measured = { runs, s0, s1: await sample(nodes) };
      } finally {
        await load.close();
      }
    } else {
      if (o.prefill ?? o.workload.prefill) await prefill(o, topology, admin, tables, log);
      log(`${o.mode}-loop run on ${o.workers} worker threads: ${describe(o, bound)}`);
      measured = await runWorkers(o.spec, configs, o.warmupMs + o.durationMs + 2 * (o.drainTimeoutMs ?? 5000) + 30_000, before, () =>
        sample(nodes as TargetNodes),
      );
    }
  } finally {
    await cleanup(o, admin, tables, provisioned, log);
    await nodes?.close();
    await provisioned?.close();
    await closeNode(admin);
  }
  const { runs, s0, s1 } = measured;
  const result = aggregate(runs, {
    name: o.name ?? `${o.workload.name} ${o.mode}-loop`,
    profile: o.workload.name,
    mode: o.mode,
    driver: o.driver,
    startedAt,
    warmupMs: o.warmupMs,
    durationMs: o.durationMs,
    config: {
      ...(o.mode === 'open' ? { target_rate: o.rate } : { inflight: o.inflight }),
      connections_per_node: o.connections,
      workers: o.workers,
      max_ops: o.maxOps,
      op_table_size: tables[0]?.size ?? tableSize,
      seed: o.workload.seed,
      masters: topology.masters.length,
    },
    workload: workloadFields(o.workload),
    generator: {
      ...generatorFigures(
        s0.cpu,
        s1.cpu,
        s1.at - s0.at,
        runs.reduce((a, r) => a + r.issued, 0),
      ),
      threads: threadSplit(runs),
      ...(o.mode === 'open'
        ? {
            pacing: {
              sender_thread: o.driver === 'resp',
              spin_us: pacing.spinUs,
              spin_budget: pacing.spinBudget,
              batch_us: pacing.batchUs,
              fine_timer_slack: fineSlack,
            },
          }
        : {}),
    },
    slo: o.spec.slo,
    maxInFlightPerConn: bound,
  });
  const d = perfSettings(o.spec).disturbance;
  const thresholds: DisturbanceThresholds = {
    otherCpuPercent: d.otherCpuPercent,
    stealPercent: d.stealPercent,
    forks: d.forks,
    sendLagP99Us: d.sendLagP99Ms * 1000,
    ...o.disturbance,
  };
  result.quality = assessQuality({
    machine: s0.machine && s1.machine ? [s0.machine, s1.machine] : null,
    target: [s0.target, s1.target],
    targetLocal: s1.targetLocal,
    // A closed loop sends at once on each reply: it has no schedule to be late for.
    sendLagP99Us: result.schedule?.send_lag.p99_us ?? 0,
    thresholds,
  });
  return result;
}

function threadSplit(runs: readonly EncodedRun[]): NonNullable<BenchResult['generator']['threads']> {
  const sum = (f: (r: EncodedRun) => number) => {
    const x = runs.reduce((a, r) => a + f(r), 0);
    return Number.isFinite(x) ? Math.round(x) : null;
  };
  return {
    receiver_ms: sum((r) => r.cpu.receiverMs),
    sender_ms: sum((r) => r.cpu.senderMs),
    sender_spin_ms: sum((r) => r.cpu.senderSpinMs),
    sender_writes: sum((r) => r.cpu.senderWrites) ?? 0,
    sender_sleeps: sum((r) => r.cpu.senderSleeps) ?? 0,
  };
}

/** What is sampled around the run: the machine, the target's nodes, this process's CPU. */
interface Sample {
  machine: MachineSample | null;
  target: NodeActivity[];
  targetLocal: boolean;
  cpu: NodeJS.CpuUsage;
  at: number;
}
interface Measured {
  runs: EncodedRun[];
  s0: Sample;
  s1: Sample;
}

async function sample(nodes: TargetNodes): Promise<Sample> {
  const target = await sampleTargetActivity(nodes);
  return { machine: sampleMachine(), target, targetLocal: nodes.local, cpu: process.cpuUsage(), at: performance.now() };
}

function validate(o: BenchOptions, bound: number): void {
  if (o.workers < 1 || !Number.isInteger(o.workers)) throw new HarnessError(`--workers must be a positive integer, got ${o.workers}`);
  if (o.mode === 'open' && !(o.rate > 0)) throw new HarnessError(`--rate must be > 0 for an open-loop run, got ${o.rate}`);
  if (o.mode === 'closed' && o.inflight < o.workers)
    throw new HarnessError(`--inflight (${o.inflight}) must be at least --workers (${o.workers})`);
  if (!(Number.isInteger(bound) && bound >= 1)) throw new HarnessError(`--max-inflight-per-conn must be a positive integer, got ${bound}`);
  if (o.tables && o.tables.length !== o.workers) throw new HarnessError(`${o.tables.length} op table(s) given for ${o.workers} worker(s)`);
}

function describe(o: BenchOptions, bound: number): string {
  const load = o.mode === 'open' ? `${o.rate} ops/s` : `${o.inflight} in flight`;
  return `${load}, ${o.warmupMs / 1000} s warm-up + ${o.durationMs / 1000} s, at most ${o.maxOps} ops, driver ${o.driver}, ${o.connections} connection(s) per master, at most ${bound} in flight per connection`;
}

async function prefill(
  o: BenchOptions,
  topology: BenchTopology,
  admin: Awaited<ReturnType<typeof openAdminCluster>>,
  tables: OpTable[],
  log: (l: string) => void,
): Promise<void> {
  const seen = new Set<string>();
  const keys = tables.flatMap(readKeys).filter((k) => (seen.has(k.key) ? false : (seen.add(k.key), true)));
  const t0 = performance.now();
  // TenantCache reads decode what they read: its keys get codec-encoded documents, through the admin client.
  if (o.driver === 'tenant-cache') await prefillKeys(admin, keys, (bytes) => prefillValue(o.driver, bytes));
  else await prefillThroughResp(o.spec, o.target, topology, o.workload, keys);
  log(`prefill: ${keys.length} key(s) written in ${Math.round(performance.now() - t0)} ms`);
}

async function cleanup(
  o: BenchOptions,
  admin: Awaited<ReturnType<typeof openAdminCluster>>,
  tables: OpTable[],
  provisioned: ProvisionedBenchTenants | undefined,
  log: (l: string) => void,
): Promise<void> {
  if (!(o.cleanup ?? o.workload.cleanup)) return;
  if (provisioned) {
    const n = await provisioned.remove().catch(() => -1);
    log(
      n >= 0
        ? `cleanup: removed the bench tenants and their ${n} key(s)`
        : 'cleanup failed: remove the bench-* tenants with `cache-harness tenant remove`',
    );
    return;
  }
  const keys = [...new Set(tables.flatMap(allKeys))];
  const n = await unlinkKeys(admin, keys).catch(() => -1);
  log(n >= 0 ? `cleanup: removed ${n} bench key(s)` : 'cleanup failed (keys expire with their TTLs)');
}

async function runWorkers(
  spec: Spec,
  configs: LoadConfig[],
  hardTimeoutMs: number,
  before: () => Promise<Sample>,
  after: () => Promise<Sample>,
): Promise<Measured> {
  const entry = threadEntry('worker');
  // Workers inherit the parent's flags, except those that only apply to a string entry (node -e).
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type') && a !== '-e' && a !== '--eval');
  // A small young generation: the hot path allocates little, and each worker's heap adds to the generator's resident memory.
  const workers = configs.map(
    (config) =>
      new Worker(entry, {
        workerData: { specDoc: spec, config } satisfies WorkerInit,
        execArgv,
        resourceLimits: { maxYoungGenerationSizeMb: 4 },
      }),
  );
  const exited = workers.map((w) => new Promise<void>((r) => w.once('exit', () => r())));
  const results: Array<EncodedRun | undefined> = new Array<EncodedRun | undefined>(workers.length);
  try {
    return await new Promise<Measured>((resolve, reject) => {
      let ready = 0;
      let done = 0;
      let s0: Sample | undefined;
      const fail = (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new HarnessError(errorMessage(err)));
      };
      const timer = setTimeout(
        () => fail(new HarnessError(`bench workers did not finish within ${Math.round(hardTimeoutMs / 1000)} s`)),
        hardTimeoutMs,
      );
      workers.forEach((w, i) => {
        w.on('error', fail);
        w.on('exit', (code) => {
          if (results[i] === undefined && code !== 0) fail(new HarnessError(`bench worker ${i} exited with code ${code}`));
        });
        w.on('message', (m: FromWorker) => {
          if (m.type === 'error') fail(new HarnessError(`bench worker ${i}: ${m.message}`));
          else if (m.type === 'ready') {
            if (++ready === workers.length) {
              before().then((s) => {
                s0 = s;
                const start: ToWorker = { type: 'start', startEpochMs: Date.now() + 50 };
                for (const x of workers) x.postMessage(start);
              }, fail);
            }
          } else {
            results[i] = m.run;
            if (++done === workers.length) {
              after().then((s1) => {
                clearTimeout(timer);
                resolve({ runs: results.filter((r): r is EncodedRun => r !== undefined), s0: s0 as Sample, s1 });
              }, fail);
            }
          }
        });
      });
    });
  } finally {
    await Promise.all(
      workers.map(async (w, i) => {
        w.postMessage({ type: 'close' } satisfies ToWorker);
        const t = setTimeout(() => void w.terminate(), 2000);
        await exited[i];
        clearTimeout(t);
      }),
    );
  }
}
