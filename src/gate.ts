import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertDockerEngine,
  discoverNodes,
  downCompose,
  hostPort,
  killLocalClusterSync,
  upCompose,
  stopLocalCluster,
  TARGET_ENV,
  targetFromLocal,
  upLocalCluster,
  withCleanupOnSignal,
  type Target,
} from './cluster/index.js';
import { resolvePassword } from './cluster/password.js';
import { describeError, HarnessError } from './errors.js';
import { harnessVersion, PROJECT_ROOT } from './paths.js';
import { loadPopulation, provisionMany, removeTenant, withAdminSession, writeCredentialsFile } from './provision/index.js';
import {
  benchResultSchema,
  RESULT_SCHEMA_VERSION,
  verdictOf,
  writeReports,
  type BenchResult,
  type ReportPaths,
  type ResultDocument,
  type SuiteResult,
} from './report/index.js';
import { skippedSuite } from './report/result.js';
import { runSuitesIsolated, stopSuites } from './runner/run-suites-isolated.js';
import { loadSpec, type Spec } from './spec/index.js';
import { GATE_SUITES } from './gate-suites.js';

export { GATE_SUITES };

/** The gate's tenant population: provisioned before the suites, so they see real tenants. */
export const GATE_TENANTS = join(PROJECT_ROOT, 'fixtures', 'tenants.yaml');
/** Where suites find the gate tenants' credentials (a 0600 JSON file). */
export const TENANTS_ENV = 'CACHE_HARNESS_TENANTS';

export interface GateOptions {
  specPath: string;
  portBase: number;
  /** An external cluster instead of the embedded local one. */
  target?: Target;
  /** `compose`: docker-compose.cluster.yml instead of local processes (needs a Docker engine). */
  backend?: 'local' | 'compose';
  reportsDir?: string;
  keepRunDir?: boolean;
  /** Run only these GATE_SUITES (the others are reported as skipped); default: all. */
  suites?: readonly string[];
  log: (line: string) => void;
}

export interface GateOutcome {
  doc: ResultDocument;
  paths: ReportPaths;
}

/** Everything a run learns, turned into the result document at the end. */
interface RunRecord {
  timings: Record<string, number>;
  errors: string[];
  suites: SuiteResult[];
  specName: string;
  redisVersion?: string;
  nodes: ResultDocument['target']['nodes'];
  target?: Target;
  benches?: BenchResult[];
}

/** up → provision → suites → result document → HTML/JSON/JUnit → down. Teardown runs on success, failure and signals. */
export async function runGate(opts: GateOptions): Promise<GateOutcome> {
  const t0 = Date.now();
  const rec: RunRecord = {
    timings: {},
    errors: [],
    suites: [],
    specName: '(unreadable)',
    nodes: [],
    ...(opts.target ? { target: opts.target } : {}),
  };
  // Set once `up` starts spawning, so a signal during start-up still stops the nodes already running.
  let localRunDir: string | undefined;
  const cleanups: Array<() => Promise<void>> = [];

  const teardown = async () => {
    stopSuites();
    for (const c of cleanups.splice(0).reverse()) await c().catch((err: unknown) => rec.errors.push(`cleanup: ${describeError(err)}`));
    if (!localRunDir) return;
    const runDir = localRunDir;
    localRunDir = undefined;
    const td = Date.now();
    opts.log(`stopping the local cluster (${runDir})`);
    await stopLocalCluster(runDir, { keepRunDir: opts.keepRunDir ?? false });
    rec.timings.down = Date.now() - td;
  };
  const emergency = () => {
    if (localRunDir) killLocalClusterSync(localRunDir);
  };

  await withCleanupOnSignal(
    { run: teardown, emergency },
    async () => {
      try {
        const spec = loadSpec(opts.specPath);
        rec.specName = spec.name;
        const target =
          rec.target ??
          (opts.backend === 'compose'
            ? await startCompose(spec, opts, cleanups)
            : await startLocal(spec, opts, rec, (dir) => {
                localRunDir = dir;
              }));
        rec.target = target;
        const live = await discoverNodes(target);
        rec.nodes = live.map((n) => ({
          ...(target.nodeNames?.[String(n.port)] ? { name: target.nodeNames[String(n.port)] } : {}),
          address: hostPort(n),
          role: n.role,
        }));
        // Planned before provisioning: nothing is written to a target no suite will check.
        const plan = planSuites(target.destructive, opts.suites);
        for (const [name, reason] of plan.skipped) opts.log(`suite ${name} skipped: ${reason}`);
        if (plan.run.length === 0)
          throw new HarnessError(
            'no suite to run: every selected suite is skipped',
            'select a suite that can run on this target (see --suites, --allow-destructive)',
          );
        const tenantsFile = await provisionGateTenants(spec, target, opts, rec, cleanups);
        opts.log(`running suites: ${plan.run.join(', ')}`);
        const ts = Date.now();
        const ran = await runSuitesIsolated({
          suites: plan.run,
          env: { [TARGET_ENV]: JSON.stringify(target), CACHE_HARNESS_SPEC: opts.specPath, [TENANTS_ENV]: tenantsFile },
          log: opts.log,
        });
        // Every gate suite appears in the report, in gate order: a suite not run shows as skipped with its reason.
        rec.suites = GATE_SUITES.flatMap(({ name }) => {
          const reason = plan.skipped.get(name);
          if (reason !== undefined) return [skippedSuite(name, reason)];
          return [
            ran.find((r) => r.name === name) ?? {
              name,
              status: 'failed',
              duration_ms: 0,
              checks: [],
              errors: ['the suite runner returned no result for this suite'],
            },
          ];
        });
        rec.timings.suites = Date.now() - ts;
        rec.benches = liftBenches(rec.suites);
      } catch (err) {
        if (!(err instanceof HarnessError)) opts.log(describeError(err));
        rec.errors.push(describeError(err));
      } finally {
        await teardown();
      }
    },
    opts.log,
  );

  const doc = resultDocument(rec, opts, t0);
  return { doc, paths: writeReports(doc, opts.reportsDir ?? join(PROJECT_ROOT, 'reports')) };
}

/** `--suites` names only gate suites (checked before anything starts: a typo must not silently run less). */
export function assertGateSuites(names: readonly string[]): void {
  const unknown = names.filter((n) => !GATE_SUITES.some((s) => s.name === n));
  if (unknown.length > 0)
    throw new HarnessError(`unknown suite(s): ${unknown.join(', ')}`, `choose from ${GATE_SUITES.map((s) => s.name).join(', ')}`);
  if (names.length === 0) throw new HarnessError('--suites names no suite', `choose from ${GATE_SUITES.map((s) => s.name).join(', ')}`);
}

/** Which gate suites run, and why each other one does not (the reason goes into the report). */
export function planSuites(destructiveTarget: boolean, selected?: readonly string[]): { run: string[]; skipped: Map<string, string> } {
  if (selected) assertGateSuites(selected);
  const skipped = new Map<string, string>();
  for (const s of GATE_SUITES) {
    if (selected && !selected.includes(s.name)) skipped.set(s.name, `not selected (--suites ${selected.join(',')})`);
    else if (s.destructive && !destructiveTarget)
      skipped.set(s.name, 'it changes the cluster; pass --allow-destructive to run it on an external target');
  }
  return { run: GATE_SUITES.map((s) => s.name).filter((n) => !skipped.has(n)), skipped };
}

async function startLocal(spec: Spec, opts: GateOptions, rec: RunRecord, onSpawning: (dir: string) => void): Promise<Target> {
  const tu = Date.now();
  const local = await upLocalCluster(spec, { portBase: opts.portBase, specPath: opts.specPath, log: opts.log, onSpawning });
  rec.timings.up = Date.now() - tu;
  rec.redisVersion = local.state.redisVersion;
  return targetFromLocal(local);
}

async function startCompose(spec: Spec, opts: GateOptions, cleanups: Array<() => Promise<void>>): Promise<Target> {
  await assertDockerEngine(); // fails in about a second when no engine answers
  cleanups.push(downCompose);
  return upCompose(spec, resolvePassword(), opts.log);
}

/**
 * Provision fixtures/tenants.yaml and hand the suites the credentials file. On an external
 * target the tenants are removed again at the end; a local cluster is torn down anyway.
 */
async function provisionGateTenants(
  spec: Spec,
  target: Target,
  opts: GateOptions,
  rec: RunRecord,
  cleanups: Array<() => Promise<void>>,
): Promise<string> {
  const tp = Date.now();
  const population = loadPopulation(GATE_TENANTS, spec);
  const report = await withAdminSession(target, (s) => provisionMany(s, spec, population, { log: opts.log }));
  rec.timings.provision = Date.now() - tp;
  opts.log(`provisioned ${report.created.length} tenants (${report.existing.length} already there) in ${rec.timings.provision} ms`);
  if (report.conflicts.length > 0) {
    throw new HarnessError(
      `gate tenants already exist with another plan: ${report.conflicts.map((c) => `${c.tenant} (${c.stored}, wanted ${c.wanted})`).join(', ')}`,
      'remove them (`cache-harness tenant remove <id>`) or use a fresh cluster',
    );
  }
  const dir = target.runDir ?? mkdtempSync(join(tmpdir(), 'cache-harness-tenants-'));
  const file = join(dir, 'gate-tenants.json');
  writeCredentialsFile(file, report.created);
  if (target.backend !== 'local') {
    cleanups.push(async () => {
      await withAdminSession(target, async (s) => {
        for (const t of report.created) await removeTenant(s, t.tenant);
      });
      rmSync(dir, { recursive: true, force: true });
    });
  }
  return file;
}

/**
 * The perf suite hands each bench result over as a finding `{ data: { bench } }` (all a vitest worker can
 * send); move them into the document's `benches`, leaving a one-line finding behind.
 */
function liftBenches(suites: SuiteResult[]): BenchResult[] {
  const out: BenchResult[] = [];
  for (const s of suites) {
    for (const c of s.checks) {
      c.findings = c.findings.map((f) => {
        const raw = (f.data as { bench?: unknown } | undefined)?.bench;
        const parsed = raw === undefined ? undefined : benchResultSchema.safeParse(raw);
        if (!parsed?.success) return f;
        out.push(parsed.data);
        const { data: _moved, ...rest } = f;
        return { ...rest, detail: 'histograms, series and charts: see the benchmarks section' };
      });
    }
  }
  return out;
}

function resultDocument(rec: RunRecord, opts: GateOptions, t0: number): ResultDocument {
  const finishedAt = Date.now();
  return {
    schema: 'cache-harness.result',
    schema_version: RESULT_SCHEMA_VERSION,
    run_id: `${new Date(t0).toISOString().replace(/[:.]/g, '-')}-${process.pid}`,
    harness_version: harnessVersion(),
    started_at: new Date(t0).toISOString(),
    finished_at: new Date(finishedAt).toISOString(),
    duration_ms: finishedAt - t0,
    ...verdictOf(rec.suites, rec.errors),
    spec: { name: rec.specName, path: opts.specPath },
    target: { backend: rec.target?.backend ?? 'local', ...(rec.redisVersion ? { redis_version: rec.redisVersion } : {}), nodes: rec.nodes },
    timings_ms: rec.timings,
    suites: rec.suites,
    ...(rec.benches?.length ? { benches: rec.benches } : {}),
    errors: rec.errors,
  };
}
