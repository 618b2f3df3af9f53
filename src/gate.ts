import { join } from 'node:path';
import { discoverNodes, killLocalClusterSync, stopLocalCluster, TARGET_ENV, targetFromLocal, upLocalCluster, withCleanupOnSignal, type Target } from './cluster/index.js';
import { describeError, HarnessError } from './errors.js';
import { harnessVersion, PROJECT_ROOT } from './paths.js';
import { RESULT_SCHEMA_VERSION, verdictOf, writeReports, type ReportPaths, type ResultDocument, type SuiteResult } from './report/index.js';
import { runSuitesIsolated, stopSuites } from './runner/run-suites-isolated.js';
import { loadSpec } from './spec/index.js';

/** Suites in gate order. `destructive` ones change the cluster and run only on a cluster the harness owns (or with --allow-destructive). */
export const GATE_SUITES: ReadonlyArray<{ name: string; destructive: boolean }> = [
  { name: 'config', destructive: false },
  // sharding and ttl write (and delete) their own uniquely named keys only
  { name: 'sharding', destructive: false },
  { name: 'ttl', destructive: false },
];

export interface GateOptions {
  specPath: string;
  portBase: number;
  /** An external cluster instead of the embedded local one. */
  target?: Target;
  reportsDir?: string;
  keepRunDir?: boolean;
  log: (line: string) => void;
}

export interface GateOutcome {
  doc: ResultDocument;
  paths: ReportPaths;
}

/** up → suites → result document → HTML/JSON/JUnit → down. Teardown runs on success, failure and signals. */
export async function runGate(opts: GateOptions): Promise<GateOutcome> {
  const t0 = Date.now();
  const startedAt = new Date(t0).toISOString();
  const runId = `${startedAt.replace(/[:.]/g, '-')}-${process.pid}`;
  const timings: Record<string, number> = {};
  const errors: string[] = [];
  let suites: SuiteResult[] = [];
  // Set before `up` starts, so a signal during start-up still stops the nodes already spawned.
  let localRunDir: string | undefined;
  let target = opts.target;
  let specName = '(unreadable)';
  let redisVersion: string | undefined;
  let nodes: ResultDocument['target']['nodes'] = [];

  const teardown = async () => {
    stopSuites();
    if (!localRunDir) return;
    const runDir = localRunDir;
    localRunDir = undefined;
    const td = Date.now();
    opts.log(`stopping the local cluster (${runDir})`);
    await stopLocalCluster(runDir, { keepRunDir: opts.keepRunDir ?? false });
    timings.down = Date.now() - td;
  };

  const emergency = () => {
    if (localRunDir) killLocalClusterSync(localRunDir);
  };
  await withCleanupOnSignal({ run: teardown, emergency }, async () => {
    try {
      const spec = loadSpec(opts.specPath);
      specName = spec.name;
      if (!target) {
        const tu = Date.now();
        const local = await upLocalCluster(spec, {
          portBase: opts.portBase, specPath: opts.specPath, log: opts.log,
          onSpawning: (dir) => { localRunDir = dir; },
        });
        timings.up = Date.now() - tu;
        redisVersion = local.state.redisVersion;
        target = targetFromLocal(local);
      }
      const live = await discoverNodes(target);
      nodes = live.map((n) => ({ ...(target?.nodeNames?.[String(n.port)] ? { name: target.nodeNames[String(n.port)] } : {}), address: `${n.host}:${n.port}`, role: n.role }));
      const chosen = GATE_SUITES.filter((s) => !s.destructive || target?.destructive);
      for (const s of GATE_SUITES.filter((x) => !chosen.includes(x))) opts.log(`suite ${s.name} skipped: it changes the cluster; pass --allow-destructive to run it on an external target`);
      opts.log(`running suites: ${chosen.map((s) => s.name).join(', ')}`);
      const ts = Date.now();
      suites = await runSuitesIsolated({
        suites: chosen.map((s) => s.name),
        env: { [TARGET_ENV]: JSON.stringify(target), CACHE_HARNESS_SPEC: opts.specPath },
        log: opts.log,
      });
      timings.suites = Date.now() - ts;
    } catch (err) {
      if (!(err instanceof HarnessError)) opts.log(describeError(err));
      errors.push(describeError(err));
    } finally {
      await teardown();
    }
  }, opts.log);

  const finishedAt = Date.now();
  const doc: ResultDocument = {
    schema: 'cache-harness.result',
    schema_version: RESULT_SCHEMA_VERSION,
    run_id: runId,
    harness_version: harnessVersion(),
    started_at: startedAt,
    finished_at: new Date(finishedAt).toISOString(),
    duration_ms: finishedAt - t0,
    ...verdictOf(suites, errors),
    spec: { name: specName, path: opts.specPath },
    target: { backend: target?.backend ?? 'local', ...(redisVersion ? { redis_version: redisVersion } : {}), nodes },
    timings_ms: timings,
    suites,
    errors,
  };
  const paths = writeReports(doc, opts.reportsDir ?? join(PROJECT_ROOT, 'reports'));
  return { doc, paths };
}
