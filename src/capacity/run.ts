import type { BenchTopology } from '../bench/topology.js';
import { readTopology } from '../bench/topology.js';
import type { Workload } from '../bench/workload.js';
import { hostPort, type Target } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import { withAdminSession, type TenantInput } from '../provision/index.js';
import type { Spec } from '../spec/index.js';
import { takeLiveSample, type LiveSample } from './live-sample.js';
import { mastersBySpec, measureMemory, memoryByMaster } from './memory.js';
import { projectMemory } from './memory-projection.js';
import { computePlacement, tenantModuleLoads, withLiveKeyShare } from './placement.js';
import { moduleLoads, opsAssumption, populationOpsPerS, project } from './projection.js';
import { CAPACITY_SCHEMA_VERSION, capacityDocumentSchema, type CapacityDocument, type Placement, type Sweep } from './schema.js';
import { runSweep } from './sweep.js';

export interface SweepSettings {
  stepSeconds: number;
  startRate?: number;
  maxRate?: number;
  maxSteps?: number;
  bisections?: number;
  workers?: number;
  /** Tests only (see SweepOptions.allowShortSteps). */
  allowShortSteps?: boolean;
  /** Op table entries (tests pass fewer). */
  tableSize?: number;
  /** Tests: warm-up seconds per step, and no waiting for persistence to settle (see SweepOptions). */
  warmupSeconds?: number;
  settle?: boolean;
  /** Which sweeps: the whole cluster and/or masters by index (default: the cluster, then every master). */
  scopes?: ReadonlyArray<'cluster' | number>;
}

export interface CapacityOptions {
  spec: Spec;
  target: Target;
  /** The traffic the sweeps offer and the projection's op mix (the mobile profile by default, as the command uses). */
  workload: Workload;
  population: readonly TenantInput[];
  /** How the population was made, for the report's assumptions (a file, or generated with a mix). */
  populationSource: string;
  /** Masters needed for this many tenants (null: not asked). */
  targetTenants: number | null;
  fill: number;
  tenantsPerPlan: number;
  /** Also fill the first tenant of each plan to 100% of its quota (default true; see measureMemory). */
  full?: boolean;
  opsPerTenantS: number;
  /** null: no sweep (ops are then no limit in the projection, and the report says so). */
  sweep: SweepSettings | null;
  /** Tenants in the live placement sample (0: none). */
  liveSampleSize: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** Stop between phases when interrupted: what each phase wrote is already removed by then. */
function checkInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new HarnessError('interrupted: every tenant and key this run wrote was removed; nothing was written', 'run it again');
}

/**
 * `cache-harness capacity` (issue 13): memory per key and tenant measured through TenantCache, placement skew
 * from the spec checked on the servers with a live sample, throughput knees by open-loop sweeps (the whole
 * cluster, then each master alone), and the per-shard projection for the population. Every phase removes what it
 * wrote (tenants, keys) before the next starts, also on failure and Ctrl-C (`signal`: stops after the step in flight).
 */
export async function runCapacity(o: CapacityOptions): Promise<CapacityDocument> {
  const log = o.log ?? (() => undefined);
  const started = new Date();
  const t0 = performance.now();
  if (!o.target.destructive)
    throw new HarnessError(
      'capacity writes tenants and keys (all removed afterwards) and loads the cluster to its knee: this target is not the harness’s to change',
      'pass --allow-destructive if that is acceptable on this cluster',
    );
  if (o.population.length === 0) throw new HarnessError('the population is empty', 'pass --tenants N or a population file with tenants');

  // The baseline (used_memory before any tenant of ours) and each master's maxmemory, as the servers say. Each phase
  // opens its own connections: one held through a long fill may be closed by the server's idle `timeout`.
  const { baseline, maxmemory } = await withAdminSession(o.target, async (session) => ({
    baseline: await memoryByMaster(session, o.spec),
    maxmemory: Object.fromEntries(
      await Promise.all(
        mastersBySpec(session, o.spec).map(async (m) => {
          const r = (await m.node.client.call('CONFIG', 'GET', 'maxmemory')) as string[];
          return [m.name, Number(r[1] ?? 0)] as const;
        }),
      ),
    ),
  }));
  log(`phase 1/3: memory per key and per tenant (fill ${(o.fill * 100).toFixed(1)}% of maxKeys, ${o.tenantsPerPlan} tenant(s) per plan)`);
  const memory = await measureMemory({
    spec: o.spec,
    target: o.target,
    fill: o.fill,
    tenantsPerPlan: o.tenantsPerPlan,
    full: o.full ?? true,
    log,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  checkInterrupted(o.signal);
  let sample: LiveSample | null = null;
  if (o.liveSampleSize > 0) {
    log(`phase 2/3: placement, checked with a live sample of ${Math.min(o.liveSampleSize, o.population.length)} tenant(s)`);
    sample = await takeLiveSample({
      spec: o.spec,
      target: o.target,
      population: o.population,
      workload: o.workload,
      size: o.liveSampleSize,
      log,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    checkInterrupted(o.signal);
  }

  const sweeps: Sweep[] = [];
  if (o.sweep) {
    const topology = await readTopology(o.target);
    const scopes = o.sweep.scopes ?? ['cluster', ...topology.masters.map((_, i) => i)];
    for (const [k, scope] of scopes.entries()) {
      log(
        `phase 3/3: throughput sweep ${k + 1} of ${scopes.length}: ${scope === 'cluster' ? 'the whole cluster' : `master ${scope} alone`}`,
      );
      const s = await runSweep({
        spec: o.spec,
        target: o.target,
        workload: o.workload,
        topology,
        scope: scope === 'cluster' ? 'cluster' : { master: scope },
        stepSeconds: o.sweep.stepSeconds,
        log,
        ...optional({
          startRate: o.sweep.startRate,
          maxRate: o.sweep.maxRate,
          maxSteps: o.sweep.maxSteps,
          bisections: o.sweep.bisections,
          workers: o.sweep.workers,
          allowShortSteps: o.sweep.allowShortSteps,
          tableSize: o.sweep.tableSize,
          warmupSeconds: o.sweep.warmupSeconds,
          settle: o.sweep.settle,
          signal: o.signal,
        }),
      });
      sweeps.push(scope === 'cluster' ? s : { ...s, scope: specMasterName(o.spec, topology, scope) });
      checkInterrupted(o.signal);
    }
  }

  // The report lists the masters' sweeps in the spec's order (they ran in the live topology's).
  const order = (scope: string) => {
    const i = o.spec.topology.masters.findIndex((m) => m.name === scope);
    return scope === 'cluster' ? -1 : i < 0 ? Infinity : i;
  };
  sweeps.sort((a, b) => order(a.scope) - order(b.scope));

  const placement = livePlacement(computePlacement(o.spec, o.population, o.workload, o.fill), sample);
  const loads = tenantModuleLoads(o.spec, o.population, o.workload, o.fill);
  const projection = project({
    spec: o.spec,
    population: o.population,
    shardMemory: projectMemory(o.spec, memory, o.population),
    baselineBytes: baseline,
    placement,
    opsPerS: populationOpsPerS(loads, o.opsPerTenantS),
    clusterSweep: sweeps.find((s) => s.scope === 'cluster') ?? null,
    shardSweeps: sweeps.filter((s) => s.scope !== 'cluster'),
    maxmemory,
    modules: moduleLoads(loads, memory, o.opsPerTenantS),
    eachMasterBytes: memory.bytes_per_tenant_each_master,
    targetTenants: o.targetTenants,
    assumptions: [
      `population: ${o.populationSource}`,
      opsAssumption(o.workload, o.opsPerTenantS),
      `memory: every tenant-module at ${(o.fill * 100).toFixed(1)}% of its plan's maxKeys, values by the ${o.workload.name} profile's size model, measured with ${o.tenantsPerPlan} tenant(s) per plan; baseline = each master's used_memory before the run (whatever the cluster held then)`,
      ...(o.sweep ? [] : ['no throughput sweep was run (--no-sweep): ops/s are not a limit in this projection']),
      ...sampleLines(sample),
    ],
  });
  const cluster = sweeps.find((s) => s.scope === 'cluster');
  return capacityDocumentSchema.parse({
    schema: 'cache-harness.capacity',
    schema_version: CAPACITY_SCHEMA_VERSION,
    started_at: started.toISOString(),
    duration_ms: Math.round(performance.now() - t0),
    target: { backend: o.target.backend, masters: o.spec.topology.masters.map((m) => m.name) },
    knee: cluster?.knee ?? null,
    steps: cluster?.steps ?? [],
    sweeps,
    memory,
    placement,
    projection,
  });
}

/** The spec master a live master serves (by its first slot), else its address: sweeps are named as the projection names shards. */
function specMasterName(spec: Spec, topology: BenchTopology, i: number): string {
  const m = spec.topology.masters.find((x) => topology.slotOwner[x.slots[0]?.[0] ?? 0] === i);
  const live = topology.masters[i];
  return m?.name ?? live?.name ?? (live ? hostPort(live) : `master ${i}`);
}

function livePlacement(placement: Placement, sample: LiveSample | null): Placement {
  return sample ? withLiveKeyShare(placement, sample.counts) : placement;
}

/** The live sample against its own computed shares: the placement model is checked, not assumed. */
function sampleLines(sample: LiveSample | null): string[] {
  if (!sample) return ['placement: computed from the spec only (no live sample was taken)'];
  const total = Object.values(sample.counts).reduce((a, b) => a + b, 0);
  const worst = sample.computed.shards.reduce((w, s) => {
    const live = total > 0 ? (sample.counts[s.name] ?? 0) / total : 0;
    return Math.max(w, Math.abs(live - s.key_share));
  }, 0);
  return [
    `placement: live_key_share counted on the servers (SCAN per master) for a sample of ${sample.tenants} tenant(s) of the population (${sample.keys} keys at 0.1% fill); it differs from the spec's computed share for that sample by at most ${(100 * worst).toFixed(1)} points`,
  ];
}

/** Only the settings that are set (exactOptionalPropertyTypes: an absent option is not `undefined`). */
function optional<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
