import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertDockerEngine,
  discoverNodes,
  downCompose,
  downComposeSync,
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
import { downContainers, downContainersSync, upContainers } from './cluster/containers-backend.js';
import { perfSettings } from './bench/settings.js';
import { compareDocuments, MIN_SECONDS, type ComparedDocument } from './compare/index.js';
import { comparisonVerdict } from './compare/disturbed.js';
import { thresholdsFromSpec } from './compare/thresholds.js';
import { describeError, EXIT, HarnessError } from './errors.js';
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
import type { ComparisonResult, ComparisonThresholds } from './report/comparison-schema.js';
import { baselineSeriesOf } from './report/comparison-html.js';
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
  /** `compose` (a rendered compose file) or `containers` (testcontainers) instead of local processes: need a Docker engine. */
  backend?: GateBackend;
  reportsDir?: string;
  keepRunDir?: boolean;
  /** Run only these GATE_SUITES (the others are reported as skipped); default: all. */
  suites?: readonly string[];
  /** `--baseline`: a run (read and checked before anything starts) the perf benches are compared with. */
  baseline?: ComparedDocument;
  log: (line: string) => void;
}

export type GateBackend = 'local' | 'compose' | 'containers';

/** A container cluster of this run: taken down by the teardown, or synchronously on 'exit' if that did not finish. */
interface OwnedContainers {
  what: string;
  down: () => Promise<void>;
  downSync: () => void;
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
  comparison?: ComparisonResult;
}

/** up → provision → suites → result document → HTML/JSON/JUnit → down. Teardown runs on success, failure and signals. */
export async function runGate(opts: GateOptions): Promise<GateOutcome> {
  const t0 = Date.now();
  const runId = `${new Date(t0).toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  const reportsRoot = opts.reportsDir ?? join(PROJECT_ROOT, 'reports');
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
  let containers: OwnedContainers | undefined;
  let containersRemoved = false;
  const cleanups: Array<() => Promise<void>> = [];

  const teardown = async () => {
    stopSuites();
    for (const c of cleanups.splice(0).reverse()) await c().catch((err: unknown) => rec.errors.push(`cleanup: ${describeError(err)}`));
    if (containers && !containersRemoved) {
      containersRemoved = true;
      const td = Date.now();
      opts.log(`removing ${containers.what}`);
      await containers.down().catch((err: unknown) => rec.errors.push(`cleanup: ${describeError(err)}`));
      rec.timings.down = Date.now() - td;
    }
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
    // Also after a graceful removal: a container a start still in flight created since then goes too.
    containers?.downSync();
  };

  await withCleanupOnSignal(
    { run: teardown, emergency },
    async () => {
      try {
        const spec = loadSpec(opts.specPath);
        rec.specName = spec.name;
        const target =
          rec.target ??
          (opts.backend === 'compose' || opts.backend === 'containers'
            ? await startContainers(opts.backend, spec, opts, rec, (owned) => {
                containers = owned;
              })
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
        if (opts.baseline)
          rec.comparison = compareWithBaseline(opts.baseline, rec, spec, join(reportsRoot, runId, 'result.json'), runId, t0);
      } catch (err) {
        if (!(err instanceof HarnessError)) opts.log(describeError(err));
        rec.errors.push(describeError(err));
      } finally {
        await teardown();
      }
    },
    opts.log,
  );

  const doc = resultDocument(rec, opts, t0, runId);
  return { doc, paths: writeReports(doc, reportsRoot) };
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

async function startContainers(
  backend: 'compose' | 'containers',
  spec: Spec,
  opts: GateOptions,
  rec: RunRecord,
  own: (owned: OwnedContainers) => void,
): Promise<Target> {
  await assertDockerEngine(`--backend ${backend}`); // fails in about a second when no engine answers
  const password = resolvePassword();
  const tu = Date.now();
  const up = { portBase: opts.portBase, password, log: opts.log };
  const target =
    backend === 'compose'
      ? await upCompose(spec, {
          ...up,
          onStarting: (c) => own({ what: `compose project ${c.project}`, down: () => downCompose(c), downSync: () => downComposeSync(c) }),
        })
      : await upContainers(spec, {
          ...up,
          onStarting: (c) =>
            own({
              what: `containers ${[...c.names.values()].join(', ')}`,
              down: () => downContainers(c),
              downSync: () => downContainersSync(c),
            }),
        });
  rec.timings.up = Date.now() - tu;
  return target;
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
  if (!target.runDir) cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
  writeCredentialsFile(file, report.created);
  // A cluster the harness started is removed whole; someone else's keeps only what it had.
  if (target.backend === 'external') {
    cleanups.push(async () => {
      await withAdminSession(target, async (s) => {
        for (const t of report.created) await removeTenant(s, t.tenant);
      });
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

/**
 * `--baseline` needs the perf suite (its benches are what is compared), benches of at least MIN_SECONDS and a
 * baseline holding benches: all checked before a cluster starts, so a wrong file costs no run.
 */
export function assertGateBaseline(baseline: ComparedDocument, spec: Spec, suites?: readonly string[]): void {
  if (baseline.benches.length === 0)
    throw new HarnessError(
      `--baseline ${baseline.path} holds no bench: nothing to compare the gate's perf benches with`,
      'pass the result.json of an earlier gate run that ran the perf suite (or a `bench --json` file of the same benches)',
    );
  if (suites && !suites.includes('perf'))
    throw new HarnessError(
      `--baseline compares the perf suite's benches, but --suites ${suites.join(',')} does not run it`,
      'add perf to --suites',
    );
  // Benches shorter than the per-second tests need: every latency row would be "not tested", a gate that cannot fail.
  const seconds = perfSettings(spec).durationSeconds;
  if (seconds < MIN_SECONDS)
    throw new HarnessError(
      `--baseline: the spec's perf.durationSeconds is ${seconds}, but the comparison tests per-second samples and needs at least ${MIN_SECONDS} seconds a bench`,
      `set perf.durationSeconds: ${MIN_SECONDS} (or more) in the spec, for this run and the baseline's`,
    );
}

/**
 * The gate's perf benches against the baseline's (same names), with the spec's `regression:` thresholds. The
 * gate has no --force: benches that differ in configuration (known only once they ran) are compared anyway and
 * listed as caveats, and the run is a harness error (exit 2, as `compare` exits) — figures from different
 * configurations must neither pass nor fail a gate. Anything else that prevents the comparison is a harness error too.
 */
function compareWithBaseline(
  baseline: ComparedDocument,
  rec: RunRecord,
  spec: Spec,
  path: string,
  runId: string,
  t0: number,
): ComparisonResult | undefined {
  try {
    const current: ComparedDocument = {
      path,
      kind: 'result',
      run_id: runId,
      started_at: new Date(t0).toISOString(),
      benches: rec.benches ?? [],
    };
    const { comparison, notComparable } = gateComparison(baseline, current, thresholdsFromSpec(spec.regression));
    if (notComparable) rec.errors.push(describeError(notComparable));
    return comparison;
  } catch (err) {
    rec.errors.push(describeError(err));
    return undefined;
  }
}

/**
 * What `gate --baseline` writes into `comparison`: every shared bench compared (differences in configuration as
 * caveats, and `notComparable` to report), regressions in disturbed measurements marked, and the baseline's
 * series for the HTML charts. Throws a HarnessError when no bench is shared.
 */
export function gateComparison(
  baseline: ComparedDocument,
  current: ComparedDocument,
  thresholds: ComparisonThresholds,
  replicates?: number,
): { comparison: ComparisonResult; notComparable?: HarnessError } {
  const c = compareDocuments(baseline, current, { thresholds, force: true, ...(replicates !== undefined ? { replicates } : {}) });
  const comparison = {
    ...c,
    baseline_series: baselineSeriesOf(baseline.benches, c.benches),
  };
  if (c.caveats.length === 0) return { comparison };
  const notComparable = new HarnessError(
    `--baseline ${baseline.path} ran another configuration, its figures are not comparable: ${c.caveats.map((d) => `${d.bench} ${d.field} ${d.baseline} (baseline) vs ${d.current}`).join('; ')}`,
    'pass a baseline from a gate run of the same spec (same rates, profiles and topology)',
  );
  return { comparison, notComparable };
}

/**
 * The suites' verdict, with the baseline comparison's: a regression fails a run that nothing else failed or
 * errored; a comparison on a disturbed measurement (src/compare/disturbed.ts) makes a passing run inconclusive.
 */
export function gateVerdict(
  suites: SuiteResult[],
  errors: string[],
  comparison?: Pick<ComparisonResult, 'rows'>,
): Pick<ResultDocument, 'verdict' | 'exit_code'> {
  const v = verdictOf(suites, errors);
  const c = comparison ? comparisonVerdict(comparison.rows) : 'none';
  if (c === 'none' || v.verdict === 'error' || v.verdict === 'fail') return v;
  if (c === 'regression') return { verdict: 'fail', exit_code: EXIT.fail };
  return v.verdict === 'pass' ? { verdict: 'inconclusive', exit_code: EXIT.inconclusive } : v;
}

function resultDocument(rec: RunRecord, opts: GateOptions, t0: number, runId: string): ResultDocument {
  const finishedAt = Date.now();
  return {
    schema: 'cache-harness.result',
    schema_version: RESULT_SCHEMA_VERSION,
    run_id: runId,
    harness_version: harnessVersion(),
    started_at: new Date(t0).toISOString(),
    finished_at: new Date(finishedAt).toISOString(),
    duration_ms: finishedAt - t0,
    ...gateVerdict(rec.suites, rec.errors, rec.comparison),
    spec: { name: rec.specName, path: opts.specPath },
    target: { backend: rec.target?.backend ?? 'local', ...(rec.redisVersion ? { redis_version: rec.redisVersion } : {}), nodes: rec.nodes },
    timings_ms: rec.timings,
    suites: rec.suites,
    ...(rec.benches?.length ? { benches: rec.benches } : {}),
    ...(rec.comparison ? { comparison: rec.comparison } : {}),
    errors: rec.errors,
  };
}
