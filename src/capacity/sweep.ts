import { openAdminCluster, unlinkKeys } from '../bench/admin.js';
import { allKeys, buildOpTable, type OpTable } from '../bench/op-table.js';
import { opTableForMaster } from '../bench/op-table-filter.js';
import { sloBreaches } from '../bench/perf-verdict.js';
import { openLoopMaxOps, runBench } from '../bench/runner.js';
import { perfSettings } from '../bench/settings.js';
import { readTopology, type BenchTopology } from '../bench/topology.js';
import type { Workload } from '../bench/workload.js';
import { closeNode, hostPort, type Target } from '../cluster/index.js';
import { errorMessage, HarnessError } from '../errors.js';
import { formatUs } from '../format/duration.js';
import type { BenchResult } from '../report/index.js';
import type { Spec } from '../spec/index.js';
import type { Sweep, SweepStep } from './schema.js';
import { planSteps, stepPolicyProblems, type PlannedStep } from './step-policy.js';

/** The issue's floor for a stable p99: a step measures at least this long after its warm-up. */
export const MIN_STEP_SECONDS = 10;
/** ok needs achieved ≥ this share of the offered rate. */
export const ACHIEVED_SHARE = 0.99;

export const SWEEP_DEFAULTS = { startRate: 1000, maxRate: 256_000, maxSteps: 14, stepSeconds: MIN_STEP_SECONDS, bisections: 3 } as const;

export interface SweepOptions {
  spec: Spec;
  target: Target;
  workload: Workload;
  /** The whole cluster, or one master alone (an index into the topology's masters): only the ops of its slots. */
  scope: 'cluster' | { master: number };
  startRate?: number;
  maxRate?: number;
  /** Most measurements in all, confirmations and re-measurements included. */
  maxSteps?: number;
  /** Measured seconds per step (default and floor 10: the issue's floor for a stable p99). */
  stepSeconds?: number;
  /** Warm-up before each step's window (default the spec's perf.warmupSeconds). */
  warmupSeconds?: number;
  bisections?: number;
  topology?: BenchTopology;
  log?: (line: string) => void;
  /** Stops the sweep after the step in flight; the keys are removed either way. */
  signal?: AbortSignal;
  /**
   * Tests only: allow steps shorter than MIN_STEP_SECONDS. A short step's p99 is not stable, so runSweep refuses
   * one unless this is set; the capacity command never sets it.
   */
  allowShortSteps?: boolean;
  /** Op table entries (default 65536; a test passes fewer to prefill fast). */
  tableSize?: number;
  /** Let persistence settle before each step (default true; see runBench). */
  settle?: boolean;
  /** Run on a target the harness does not own (default: `target.destructive`, i.e. --allow-destructive). */
  allowDestructive?: boolean;
  /** Generator worker threads (default 1): more when one thread cannot issue the rate (a step then says so). */
  workers?: number;
}

/**
 * Issue 13 part 1: the throughput knee by a real sweep. Each step is one open-loop run of the product's own
 * generator (runBench: latency from each op's intended start, the spec's SLO per channel, the measurement's
 * quality) at the rate the step policy (step-policy.ts) asks for; the knee is the highest ok step. Bounded: at
 * most `maxSteps` steps, each bounded in time and ops. The keys are written once (re-written when the sweep has
 * run for half the shortest TTL) and removed at the end, on error and on abort.
 */
export async function runSweep(o: SweepOptions): Promise<Sweep> {
  const log = o.log ?? (() => undefined);
  const policy = {
    startRate: o.startRate ?? SWEEP_DEFAULTS.startRate,
    maxRate: o.maxRate ?? SWEEP_DEFAULTS.maxRate,
    maxSteps: o.maxSteps ?? SWEEP_DEFAULTS.maxSteps,
    bisections: o.bisections ?? SWEEP_DEFAULTS.bisections,
  };
  const stepSeconds = o.stepSeconds ?? SWEEP_DEFAULTS.stepSeconds;
  const warmupSeconds = o.warmupSeconds ?? perfSettings(o.spec).warmupSeconds;
  const problems = stepPolicyProblems(policy);
  if (!(stepSeconds > 0)) problems.push(`stepSeconds must be > 0, got ${stepSeconds}`);
  if (!(warmupSeconds >= 0)) problems.push(`warmupSeconds must be ≥ 0, got ${warmupSeconds}`);
  if (problems.length) throw new HarnessError(`sweep: ${problems.join('; ')}`);
  if (stepSeconds < MIN_STEP_SECONDS && !o.allowShortSteps)
    throw new HarnessError(
      `sweep: steps of ${stepSeconds} s are too short for a stable p99`,
      `use at least ${MIN_STEP_SECONDS} s per step (the issue's floor)`,
    );
  if (!(o.allowDestructive ?? o.target.destructive))
    throw new HarnessError(
      'the sweep writes and removes bench keys: this target is not the harness’s to change',
      'pass --allow-destructive if it may be changed (every key the sweep writes is removed afterwards)',
    );

  const topology = o.topology ?? (await readTopology(o.target));
  const { name: scope, table } = scopeTable(o, topology);
  const durationMs = Math.round(stepSeconds * 1000);
  const warmupMs = Math.round(warmupSeconds * 1000);
  // Reads miss once a key's TTL runs out: write the keys again when the sweep has run for half the shortest TTL.
  const refreshMs = (minTtl(table) * 1000) / 2;
  let prefilledAt: number | null = null;
  const steps: SweepStep[] = [];
  log(
    `${scope}: sweep from ${policy.startRate} ops/s (at most ${policy.maxRate}), ${stepSeconds} s steps after ${warmupSeconds} s warm-up`,
  );

  let result: Awaited<ReturnType<typeof planSteps>>;
  try {
    result = await planSteps(policy, async (planned) => {
      if (o.signal?.aborted) return null;
      const prefill = prefilledAt === null || performance.now() - prefilledAt > refreshMs;
      if (prefill) prefilledAt = performance.now();
      const r = await runBench({
        spec: o.spec,
        target: o.target,
        topology,
        workload: o.workload,
        name: `${scope} sweep, ${planned.rate} ops/s (${planned.kind})`,
        mode: 'open',
        rate: planned.rate,
        inflight: 1,
        connections: 1,
        workers: o.workers ?? 1,
        driver: 'resp',
        durationMs,
        warmupMs,
        maxOps: openLoopMaxOps(planned.rate, durationMs, warmupMs),
        drainTimeoutMs: 5000,
        // Every worker draws from the one table (its keys are written once and removed at the end).
        tables: Array.from({ length: o.workers ?? 1 }, () => table),
        prefill,
        cleanup: false,
        settle: o.settle ?? true,
        // Persistence is settled before each step, so a fork inside it comes from the step's own writes (save
        // rules): production forks so under that load too. It counts in the step's latency, not as disturbance.
        disturbance: { forks: Number.MAX_SAFE_INTEGER },
        log: (l) => log(`${scope}: ${l}`),
      });
      const step = sweepStep(planned.rate, r);
      steps.push(step);
      log(`${scope}: ${describeStep(planned, step)}`);
      if (step.disturbed) log(`${scope}:   disturbed: ${r.quality?.reasons.join('; ') ?? 'quality unknown'}`);
      return { ok: step.ok, disturbed: step.disturbed };
    });
  } finally {
    await removeKeys(o.target, table, log, scope);
  }
  const stopped =
    o.signal?.aborted && result.stopped.startsWith('interrupted') ? 'interrupted: stopped after the step in flight' : result.stopped;
  const knee = kneeOf(steps);
  log(`${scope}: ${stopped}; knee ${knee ? `${knee.ops_per_s} ops/s, p99 ${formatUs(knee.p99_us)}` : 'none'}`);
  return { scope, steps, knee, stopped };
}

/** One bench run as a sweep step: offered (the schedule's rate) vs achieved, latency, errors, the SLO, ok and why not. */
export function sweepStep(offered: number, r: BenchResult): SweepStep {
  const achieved = r.totals.completed_rate;
  const errors = r.totals.errors + r.totals.timeouts;
  const breaches = sloBreaches(r);
  const slo_met = breaches.length === 0 && r.slo.some((s) => s.status === 'pass');
  const reasons: string[] = [];
  if (achieved < ACHIEVED_SHARE * offered) {
    const issued = r.totals.issued_rate < ACHIEVED_SHARE * offered ? `; the generator issued ${r.totals.issued_rate} ops/s` : '';
    reasons.push(`achieved ${achieved} ops/s, below ${ACHIEVED_SHARE * 100}% of the offered ${offered} ops/s${issued}`);
  }
  if (errors > 0) {
    const top = Object.entries(r.errors_by_message)
      .slice(0, 3)
      .map(([m, n]) => `${n}× ${m}`)
      .join('; ');
    reasons.push(`${r.totals.errors} error(s), ${r.totals.timeouts} timeout(s)${top ? `: ${top}` : ''}`);
  }
  if (breaches.length) reasons.push(...breaches);
  else if (!slo_met) reasons.push('no channel had ops to judge the SLO on');
  return {
    offered_ops_per_s: offered,
    achieved_ops_per_s: achieved,
    p50_us: r.overall.p50_us,
    p99_us: r.overall.p99_us,
    p99_9_us: r.overall.p99_9_us,
    channels: r.channels.filter((c) => c.count > 0).map((c) => ({ channel: c.channel, p99_us: c.p99_us, p99_9_us: c.p99_9_us })),
    errors,
    slo_met,
    ok: reasons.length === 0,
    reasons,
    disturbed: r.quality?.disturbed ?? false,
  };
}

/** The highest offered rate whose last measurement was ok (a rate measured twice counts by its second measurement). */
export function kneeOf(steps: readonly SweepStep[]): Sweep['knee'] {
  const last = new Map<number, SweepStep>();
  for (const s of steps) last.set(s.offered_ops_per_s, s);
  let best: SweepStep | null = null;
  for (const s of last.values()) if (s.ok && (best === null || s.offered_ops_per_s > best.offered_ops_per_s)) best = s;
  return best && { ops_per_s: best.offered_ops_per_s, p99_us: best.p99_us, p99_9_us: best.p99_9_us };
}

function describeStep(p: PlannedStep, s: SweepStep): string {
  return [
    `${p.kind} ${s.offered_ops_per_s} ops/s → achieved ${s.achieved_ops_per_s},`,
    `p50 ${formatUs(s.p50_us)} p99 ${formatUs(s.p99_us)} p99.9 ${formatUs(s.p99_9_us)}, ${s.errors} error(s),`,
    `SLO ${s.slo_met ? 'met' : 'missed'}: ${s.ok ? 'ok' : `NOT ok (${s.reasons.join('; ')})`}${s.disturbed ? ' [disturbed]' : ''}`,
  ].join(' ');
}

/** The sweep's op table: the workload's (as runBench's single worker samples it), or only one master's slots. */
function scopeTable(o: SweepOptions, topology: BenchTopology): { name: string; table: OpTable } {
  const full = buildOpTable(o.spec, o.workload, { size: o.tableSize ?? 65536, seed: o.workload.seed });
  if (o.scope === 'cluster') return { name: 'cluster', table: full };
  const i = o.scope.master;
  const m = topology.masters[i];
  if (!m) throw new HarnessError(`sweep: no master ${i} (the target has ${topology.masters.length})`);
  const name = m.name ?? hostPort(m);
  const table = opTableForMaster(full, topology.slotOwner, i);
  if (!table)
    throw new HarnessError(
      `sweep: the workload sends nothing to ${name}`,
      'its modules are placed on other masters; sweep the masters that serve the workload',
    );
  return { name, table };
}

function minTtl(t: OpTable): number {
  let min = Infinity;
  for (let i = 0; i < t.size; i++) min = Math.min(min, t.ttl[i] ?? Infinity);
  return Number.isFinite(min) && min > 0 ? min : 60;
}

async function removeKeys(target: Target, table: OpTable, log: (l: string) => void, scope: string): Promise<void> {
  try {
    const admin = await openAdminCluster(target);
    try {
      const n = await unlinkKeys(admin, allKeys(table));
      log(`${scope}: cleanup: removed ${n} bench key(s)`);
    } finally {
      await closeNode(admin);
    }
  } catch (err) {
    log(`${scope}: cleanup failed (${errorMessage(err)}); the bench keys expire with their TTLs`);
  }
}
