import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Target } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import { PROJECT_ROOT } from '../paths.js';
import type { BenchResult } from '../report/index.js';
import type { Spec } from '../spec/index.js';
import { closeAdmin, openAdmin, prefillKeys, unlinkKeys } from './admin.js';
import { aggregate } from './aggregate.js';
import type { DriverName } from './drivers/index.js';
import { prepareLoad, type LoadConfig } from './load.js';
import { allKeys, buildOpTable, readKeys } from './op-table.js';
import { provisionBenchTenants, type ProvisionedBenchTenants } from './tenants.js';
import type { EncodedRun } from './recorder.js';
import { readTopology, type BenchTopology } from './topology.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker.js';
import { prefillValue } from './values.js';
import type { Workload } from './workload.js';

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
  spinMs?: number;
  /** Open loop: µs to sleep between polls (see OpenLoopOptions.napUs). */
  napUs?: number;
  /** Override the workload's prefill / cleanup. */
  prefill?: boolean;
  cleanup?: boolean;
  /** Reuse a topology already read. */
  topology?: BenchTopology;
  log?: (line: string) => void;
}

const DEFAULT_TABLE = 65536;

/** Split n into k near-equal integer parts. */
export function split(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

/** One benchmark run: prefill, workers (or in-process), aggregate, SLOs, cleanup. */
export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const log = o.log ?? (() => undefined);
  if (o.workers < 1 || !Number.isInteger(o.workers)) throw new HarnessError(`--workers must be a positive integer, got ${o.workers}`);
  if (o.mode === 'open' && !(o.rate > 0)) throw new HarnessError(`--rate must be > 0 for an open-loop run, got ${o.rate}`);
  if (o.mode === 'closed' && o.inflight < o.workers) throw new HarnessError(`--inflight (${o.inflight}) must be at least --workers (${o.workers})`);
  const topology = o.topology ?? await readTopology(o.target);
  const tableSize = o.tableSize ?? DEFAULT_TABLE;
  const seeds = Array.from({ length: o.workers }, (_, w) => o.workload.seed + w * 7919);
  const inflight = split(o.inflight, o.workers);
  const maxOps = split(o.maxOps, o.workers);
  const configs: LoadConfig[] = seeds.map((seed, w) => ({
    worker: w, workload: o.workload, target: o.target, topology, driver: o.driver, connections: o.connections, mode: o.mode,
    rate: o.rate / o.workers, inflight: inflight[w] ?? 1, warmupMs: o.warmupMs, durationMs: o.durationMs, maxOps: maxOps[w] ?? 0,
    drainTimeoutMs: o.drainTimeoutMs ?? 5000, tableSize, seed, phaseMs: o.mode === 'open' ? (w * 1000) / o.rate : 0,
    ...(o.spinMs !== undefined ? { spinMs: o.spinMs } : {}),
    ...(o.napUs !== undefined ? { napUs: o.napUs } : {}),
  }));

  const tables = o.workers === 1 ? [] : seeds.map((seed) => buildOpTable(o.spec, o.workload, { size: tableSize, seed }));
  let provisioned: ProvisionedBenchTenants | undefined;
  if (o.driver === 'tenant-cache') {
    provisioned = await provisionBenchTenants(o.spec, o.target, o.workload, log);
    for (const c of configs) c.tenants = provisioned.tenants;
  }
  const admin = await openAdmin(o.target).catch(async (err: unknown) => {
    await provisioned?.close();
    throw err;
  });
  const startedAt = new Date().toISOString();
  let runs: EncodedRun[];
  let cpu: NodeJS.CpuUsage;
  let wall: number;
  try {
    if (o.workers === 1) {
      const cfg = configs[0] as LoadConfig;
      const load = await prepareLoad(o.spec, cfg);
      try {
        tables.push(load.table);
        if (o.prefill ?? o.workload.prefill) await prefill(admin, tables, o.driver, log);
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        log(`${o.mode}-loop run: ${describe(o)}`);
        runs = [await load.run(Date.now() + 20)];
        wall = performance.now() - t0;
        cpu = process.cpuUsage(cpu0);
      } finally {
        await load.close();
      }
    } else {
      if (o.prefill ?? o.workload.prefill) await prefill(admin, tables, o.driver, log);
      log(`${o.mode}-loop run on ${o.workers} worker threads: ${describe(o)}`);
      ({ runs, cpu, wall } = await runWorkers(o.spec, configs, o.warmupMs + o.durationMs + (o.drainTimeoutMs ?? 5000) + 30_000));
    }
  } finally {
    if (o.cleanup ?? o.workload.cleanup) {
      if (provisioned) {
        const n = await provisioned.remove().catch(() => -1);
        log(n >= 0 ? `cleanup: removed the bench tenants and their ${n} key(s)` : 'cleanup failed: remove the bench-* tenants with `cache-harness tenant remove`');
      } else {
        const keys = [...new Set(tables.flatMap(allKeys))];
        const n = await unlinkKeys(admin, keys).catch(() => -1);
        log(n >= 0 ? `cleanup: removed ${n} bench key(s)` : 'cleanup failed (keys expire with their TTLs)');
      }
    }
    await provisioned?.close();
    await closeAdmin(admin);
  }
  const issuedAll = runs.reduce((a, r) => a + r.issued, 0);
  const cpuUs = cpu.user + cpu.system;
  return aggregate(runs, {
    name: o.name ?? `${o.workload.name} ${o.mode}-loop`,
    profile: o.workload.name, mode: o.mode, driver: o.driver, startedAt, warmupMs: o.warmupMs, durationMs: o.durationMs,
    config: {
      ...(o.mode === 'open' ? { target_rate: o.rate } : { inflight: o.inflight }),
      connections_per_node: o.connections, workers: o.workers, max_ops: o.maxOps, op_table_size: tables[0]?.size ?? tableSize,
      seed: o.workload.seed, masters: topology.masters.length,
    },
    generator: {
      cpu_user_ms: Math.round(cpu.user / 1000), cpu_system_ms: Math.round(cpu.system / 1000),
      cpu_percent: Math.round((cpuUs / 1000 / wall) * 1000) / 10,
      cpu_us_per_op: issuedAll > 0 ? Math.round((cpuUs / issuedAll) * 100) / 100 : 0,
      wall_ms: Math.round(wall),
    },
    slo: o.spec.slo,
  });
}

function describe(o: BenchOptions): string {
  const load = o.mode === 'open' ? `${o.rate} ops/s` : `${o.inflight} in flight`;
  return `${load}, ${o.warmupMs / 1000} s warm-up + ${o.durationMs / 1000} s, at most ${o.maxOps} ops, driver ${o.driver}, ${o.connections} connection(s) per master`;
}

async function prefill(admin: Awaited<ReturnType<typeof openAdmin>>, tables: ReturnType<typeof buildOpTable>[], driver: DriverName, log: (l: string) => void): Promise<void> {
  const seen = new Set<string>();
  const keys = tables.flatMap(readKeys).filter((k) => (seen.has(k.key) ? false : (seen.add(k.key), true)));
  const t0 = performance.now();
  await prefillKeys(admin, keys, (bytes) => prefillValue(driver, bytes));
  log(`prefill: ${keys.length} key(s) written in ${Math.round(performance.now() - t0)} ms`);
}

/** The compiled worker entry. Worker threads cannot load .ts under plain Node, so sources fall back to dist/. */
export function workerEntry(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = join(PROJECT_ROOT, 'dist', 'bench', 'worker.js');
  if (existsSync(built)) return pathToFileURL(built);
  throw new HarnessError('--workers > 1 needs the compiled worker (dist/bench/worker.js)', 'run `npm run build`, or use --workers 1');
}

async function runWorkers(spec: Spec, configs: LoadConfig[], hardTimeoutMs: number): Promise<{ runs: EncodedRun[]; cpu: NodeJS.CpuUsage; wall: number }> {
  const entry = workerEntry();
  // Workers inherit the parent's flags, except those that only apply to a string entry (node -e).
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type') && a !== '-e' && a !== '--eval');
  const workers = configs.map((config) => new Worker(entry, { workerData: { specDoc: spec, config } satisfies WorkerInit, execArgv }));
  const exited = workers.map((w) => new Promise<void>((r) => w.once('exit', () => r())));
  const results: Array<EncodedRun | undefined> = new Array<EncodedRun | undefined>(workers.length);
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  try {
    return await new Promise((resolve, reject) => {
      let ready = 0;
      let done = 0;
      const timer = setTimeout(() => reject(new HarnessError(`bench workers did not finish within ${Math.round(hardTimeoutMs / 1000)} s`)), hardTimeoutMs);
      workers.forEach((w, i) => {
        w.on('error', (err) => { clearTimeout(timer); reject(err); });
        w.on('exit', (code) => {
          if (results[i] === undefined && code !== 0) { clearTimeout(timer); reject(new HarnessError(`bench worker ${i} exited with code ${code}`)); }
        });
        w.on('message', (m: FromWorker) => {
          if (m.type === 'error') {
            clearTimeout(timer);
            reject(new HarnessError(`bench worker ${i}: ${m.message}`));
          } else if (m.type === 'ready') {
            if (++ready === workers.length) {
              cpu0 = process.cpuUsage();
              t0 = performance.now();
              const start: ToWorker = { type: 'start', startEpochMs: Date.now() + 50 };
              for (const x of workers) x.postMessage(start);
            }
          } else {
            results[i] = m.run;
            if (++done === workers.length) {
              clearTimeout(timer);
              resolve({ runs: results.filter((r): r is EncodedRun => r !== undefined), cpu: process.cpuUsage(cpu0), wall: performance.now() - t0 });
            }
          }
        });
      });
    });
  } finally {
    await Promise.all(workers.map(async (w, i) => {
      w.postMessage({ type: 'close' } satisfies ToWorker);
      const t = setTimeout(() => void w.terminate(), 2000);
      await exited[i];
      clearTimeout(t);
    }));
  }
}
