import { HarnessError } from '../errors.js';
import type { Workload } from '../bench/workload.js';
import type { TenantInput } from '../provision/input.js';
import type { Spec } from '../spec/index.js';
import type { TenantModuleLoad } from './placement.js';
import type { CapacityMemory, Placement, Projection, Sweep } from './schema.js';

/** Op rate of a tenant of activity 1 (ops/s) when the caller gives none: a modelling choice, not a measurement. */
export const DEFAULT_OPS_PER_TENANT_S = 1;

/** One module's whole load over the population: what the target's bin packing places. */
export interface ModuleLoad {
  module: string;
  memory_bytes: number;
  ops_per_s: number;
}

export interface ProjectionInput {
  spec: Spec;
  population: readonly TenantInput[];
  /** Bytes the population's data takes on each master (the memory projection's answer for this population). */
  shardMemory: ReadonlyArray<{ name: string; memory_bytes: number }>;
  /** Each master's used_memory before any tenant (fixed overhead; default 0): added to the data, not scaled. */
  baselineBytes?: Readonly<Record<string, number>>;
  placement: Placement;
  /** The population's total op rate (ops/s): `populationOpsPerS`. */
  opsPerS: number;
  /** The whole cluster's sweep (its knee bounds the total) and one sweep per master (scope = the master's name). */
  clusterSweep: Sweep | null;
  shardSweeps: readonly Sweep[];
  /** Each master's maxmemory in bytes (the spec's, or CONFIG GET on the target). */
  maxmemory: Readonly<Record<string, number>>;
  /** Each module's load over the population, for the target's module → master map. */
  modules: readonly ModuleLoad[];
  /** Bytes every tenant costs on every master whatever its modules (the measurement's `bytes_per_tenant_each_master`). */
  eachMasterBytes?: number;
  targetTenants?: number | null;
  /** Lines the caller adds (the op-rate model, the fill level, ...). */
  assumptions?: readonly string[];
}

/** The population's total op rate: each tenant-module's op weight × the rate of an activity-1 tenant. */
export function populationOpsPerS(loads: readonly TenantModuleLoad[], opsPerTenantS = DEFAULT_OPS_PER_TENANT_S): number {
  return loads.reduce((a, l) => a + l.ops_weight, 0) * opsPerTenantS;
}

/** Each module's memory (bytes per tenant-module of its plan at the measured fill) and op rate over the population. */
export function moduleLoads(
  loads: readonly TenantModuleLoad[],
  memory: CapacityMemory,
  opsPerTenantS = DEFAULT_OPS_PER_TENANT_S,
): ModuleLoad[] {
  const out = new Map<string, ModuleLoad>();
  for (const l of loads) {
    const bytes = memory.bytes_per_tenant_module[l.plan]?.[l.module];
    if (bytes === undefined) throw new Error(`no measured bytes for a ${l.plan} tenant's ${l.module}`);
    const m = out.get(l.module) ?? { module: l.module, memory_bytes: 0, ops_per_s: 0 };
    m.memory_bytes += bytes;
    m.ops_per_s += l.ops_weight * opsPerTenantS;
    out.set(l.module, m);
  }
  return [...out.values()];
}

/** The modelling assumptions every projection makes, in one line each (the caller adds the op-rate and fill lines). */
export function opsAssumption(workload: Workload, opsPerTenantS: number): string {
  const activity = Object.entries(workload.tenants.activity)
    .map(([p, a]) => `${p} ${a}`)
    .join(', ');
  return `ops: a tenant sends ${opsPerTenantS} op/s × its plan's activity (workload ${workload.name}: ${activity || 'all 1'}), split over its plan's modules by module weight; a model, not measured traffic`;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const pct = (used: number, cap: number): number => round1(100 * (1 - used / cap));

interface Limit {
  shard: string;
  resource: 'memory' | 'ops';
  tenants: number;
}

/**
 * Tenants (same mix) a capacity holds when each tenant costs `perTenant` of it; Infinity when it costs nothing.
 * The tolerance keeps a float sum (op weights such as 2/5) from losing a whole tenant at an exact fit.
 */
const fits = (capacity: number, perTenant: number): number =>
  perTenant > 0 ? Math.max(0, Math.floor(capacity / perTenant + 1e-9)) : Infinity;

/**
 * Issue 13 part 4, pure: per master memory against maxmemory and ops/s against that master's own knee, headroom,
 * the first limit the population's growth reaches, the largest tenant count (same mix) that fits, and for a target
 * count the masters needed with a module → master map (greedy packing of whole modules).
 */
export function project(input: ProjectionInput): Projection {
  const { spec, population, placement } = input;
  const tenants = population.length;
  if (tenants === 0)
    throw new HarnessError('the population is empty: nothing to project', 'pass --tenants N or a population file with tenants');
  const baseline = (name: string): number => input.baselineBytes?.[name] ?? 0;
  const kneeOf = (name: string): number | null => input.shardSweeps.find((s) => s.scope === name)?.knee?.ops_per_s ?? null;
  const limits: Limit[] = [];
  const notes: string[] = [];
  const shards = spec.topology.masters.map(({ name }) => {
    const maxmemory = input.maxmemory[name];
    if (maxmemory === undefined || maxmemory <= 0)
      throw new HarnessError(
        `master ${name} has no maxmemory (unlimited): memory cannot be projected against it`,
        'set maxmemory in the spec',
      );
    const data = input.shardMemory.find((s) => s.name === name)?.memory_bytes ?? 0;
    const memory = baseline(name) + data;
    const ops = input.opsPerS * (placement.shards.find((s) => s.name === name)?.ops_share ?? 0);
    const knee = kneeOf(name);
    limits.push({ shard: name, resource: 'memory', tenants: fits(maxmemory - baseline(name), data / tenants) });
    if (knee !== null) limits.push({ shard: name, resource: 'ops', tenants: fits(knee, ops / tenants) });
    else notes.push(`${name}: no knee of its own was measured, so ops/s is not a limit there`);
    return {
      name,
      memory_bytes: Math.round(memory),
      maxmemory_bytes: maxmemory,
      ops_per_s: round1(ops),
      knee_ops_per_s: knee,
      memory_headroom_pct: pct(memory, maxmemory),
      ops_headroom_pct: knee !== null && knee > 0 ? pct(ops, knee) : null,
    };
  });
  const clusterKnee = input.clusterSweep?.knee?.ops_per_s ?? null;
  if (clusterKnee !== null) limits.push({ shard: 'cluster', resource: 'ops', tenants: fits(clusterKnee, input.opsPerS / tenants) });
  // The lowest count wins; on a tie, memory before ops and the spec's master order (stable sort).
  const first = [...limits].sort((a, b) => a.tenants - b.tenants)[0];
  if (!first || !Number.isFinite(first.tenants))
    throw new HarnessError(
      'the population puts no memory and no ops on any master: nothing to project',
      'check the population and the workload',
    );

  const target = input.targetTenants ?? null;
  const packed = target === null ? null : packModules(input, target / tenants, notes);
  return {
    tenants,
    plan_mix: planMix(population),
    shards,
    max_tenants: first.tenants,
    first_limit: { shard: first.shard, resource: first.resource },
    target_tenants: target,
    masters_needed: packed?.masters ?? null,
    module_map: packed?.map ?? null,
    assumptions: [
      ...(input.assumptions ?? []),
      'memory grows linearly with tenants of the same plan mix (bytes per tenant-module as measured), on top of each master’s baseline used_memory',
      'a master fits while its used_memory stays at or below maxmemory (no safety margin: eviction starts there) and its op rate at or below its own knee; the cluster’s knee bounds the total',
      'knees were measured with this machine’s generator on loopback (2 shared cores): another client host or a network hop moves them',
      'replicas are not counted: each holds its master’s memory and takes no reads here',
      ...(target === null
        ? []
        : [
            `masters for ${target} tenants: greedy packing of whole modules (module-shard keeps a module on one master), largest first onto the least loaded master, each master with today’s smallest maxmemory and knee, less what every tenant costs on every master; not optimal. module_map numbers the masters 1..n`,
          ]),
      ...notes,
    ],
  };
}

/** Share of tenants per plan, in percent (one decimal). */
function planMix(population: readonly TenantInput[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const t of population) counts[t.plan] = (counts[t.plan] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).map(([p, n]) => [p, round1((100 * n) / population.length)]));
}

/**
 * Masters needed for the modules scaled by `scale`, each master as large as today's smallest (maxmemory less its
 * baseline; knee), modules placed whole: largest dominant share first, onto the master it leaves least loaded.
 * Null (with a note) when one module alone does not fit a master: module-shard cannot hold it.
 */
function packModules(input: ProjectionInput, scale: number, notes: string[]): { masters: number; map: Record<string, number> } | null {
  const names = input.spec.topology.masters.map((m) => m.name);
  const tenants = input.population.length * scale;
  const perMaster = (input.eachMasterBytes ?? 0) * tenants;
  const memCap = Math.min(...names.map((n) => (input.maxmemory[n] ?? 0) - (input.baselineBytes?.[n] ?? 0))) - perMaster;
  if (memCap <= 0) {
    notes.push(`at the target, the per-tenant cost on every master (ACL user, meta key) alone fills a master's maxmemory`);
    return null;
  }
  const knees = names.map((n) => input.shardSweeps.find((s) => s.scope === n)?.knee?.ops_per_s).filter((k) => k !== undefined);
  const opsCap = knees.length ? Math.min(...knees) : null;
  const items = input.modules.map((m) => {
    const mem = (m.memory_bytes * scale) / memCap;
    const ops = opsCap ? (m.ops_per_s * scale) / opsCap : 0;
    return { module: m.module, mem, ops, size: Math.max(mem, ops) };
  });
  const tooBig = items.filter((i) => i.size > 1);
  if (tooBig.length) {
    notes.push(
      `at the target, ${tooBig.map((i) => `${i.module} alone needs ${i.size.toFixed(1)} masters`).join(', ')}: whole-module placement cannot hold it (split the module, or place by tenant-slot)`,
    );
    return null;
  }
  items.sort((a, b) => b.size - a.size || a.module.localeCompare(b.module));
  const total = items.reduce((a, i) => ({ mem: a.mem + i.mem, ops: a.ops + i.ops }), { mem: 0, ops: 0 });
  for (let n = Math.max(1, Math.ceil(total.mem), Math.ceil(total.ops)); n <= Math.max(1, items.length); n++) {
    const bins = Array.from({ length: n }, () => ({ mem: 0, ops: 0 }));
    const map: Record<string, number> = {};
    const ok = items.every((i) => {
      let best = -1;
      let bestLoad = Infinity;
      bins.forEach((b, k) => {
        const load = Math.max(b.mem + i.mem, b.ops + i.ops);
        if (load <= 1 + 1e-9 && load < bestLoad) [best, bestLoad] = [k, load];
      });
      const bin = bins[best];
      if (!bin) return false;
      bin.mem += i.mem;
      bin.ops += i.ops;
      map[i.module] = best + 1;
      return true;
    });
    if (ok) return { masters: n, map };
  }
  return null; // unreachable: with one master per module every module fits (none is larger than a master)
}
