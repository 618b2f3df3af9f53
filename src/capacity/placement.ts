import type { Redis } from 'ioredis';
import { ownerIndex, NO_OWNER } from '../cluster/slot-ranges.js';
import { scanKeys } from '../cluster/scan.js';
import type { Workload } from '../bench/workload.js';
import type { TenantInput } from '../provision/input.js';
import { SLOT_COUNT, type Spec } from '../spec/index.js';
import { parseModule, parseTenantId, placeTenantModule, QUOTA_KEY_SUFFIX, TENANT_KEY_ROOT, type ModuleName } from '../tenancy/index.js';
import type { Placement } from './schema.js';

/** Default fill level of a tenant-module (share of its plan's maxKeys), as the memory measurement uses. */
export const DEFAULT_FILL = 0.5;

/** One tenant-module of a population and how much of the whole it weighs. */
export interface TenantModuleLoad {
  tenant: string;
  plan: string;
  module: ModuleName;
  /** Keys at the fill level: the plan's maxKeys × fill. */
  keys: number;
  /** Relative op rate: the plan's activity × the module's weight among the plan's modules (the bench's op table draws so). */
  ops_weight: number;
  /** Share of this tenant-module that lands on each master (1 on one master, except with placement `none`). */
  shards: ReadonlyMap<string, number>;
}

/** Share of each master's slots (placement `none` spreads a tenant-module's keys by plain CRC16 over every slot). */
function slotShares(spec: Spec): Map<string, number> {
  const counts = new Map<string, number>(spec.topology.masters.map((m) => [m.name, 0]));
  for (const m of spec.topology.masters) for (const [a, b] of m.slots) counts.set(m.name, (counts.get(m.name) ?? 0) + b - a + 1);
  return new Map([...counts].map(([name, n]) => [name, n / SLOT_COUNT]));
}

/** Every tenant-module of the population with its keys, op weight and the master(s) its keys land on (the spec's slot ranges). */
export function tenantModuleLoads(
  spec: Spec,
  population: readonly TenantInput[],
  workload: Workload,
  fill = DEFAULT_FILL,
): TenantModuleLoad[] {
  const masters = spec.topology.masters;
  const owner = ownerIndex(masters.map((m) => ({ role: 'master' as const, slots: m.slots })));
  const spread = slotShares(spec);
  return population.flatMap((t) => {
    const plan = spec.plans[t.plan];
    if (!plan) throw new Error(`plan ${t.plan} is not in the spec`);
    const tenant = parseTenantId(t.id);
    const modules = plan.modules.map((m) => parseModule(spec, m));
    const activity = workload.tenants.activity[t.plan] ?? 1;
    const weightSum = modules.reduce((a, m) => a + (workload.modules[m]?.weight ?? 1), 0);
    return modules.map((module) => {
      const p = placeTenantModule(spec, tenant, module);
      let shards: ReadonlyMap<string, number> = spread;
      if (p.slot !== null) {
        const i = owner[p.slot] ?? NO_OWNER;
        const name = masters[i]?.name;
        if (i === NO_OWNER || !name) throw new Error(`slot ${p.slot} has no master in the spec`);
        shards = new Map([[name, 1]]);
      }
      const w = workload.modules[module]?.weight ?? 1;
      return {
        tenant: t.id,
        plan: t.plan,
        module,
        keys: plan.maxKeys * fill,
        ops_weight: weightSum > 0 ? (activity * w) / weightSum : 0,
        shards,
      };
    });
  });
}

/** Add `value(load)` of every tenant-module to the master(s) it lands on: per master totals, in the spec's order. */
export function perShard(spec: Spec, loads: readonly TenantModuleLoad[], value: (l: TenantModuleLoad) => number): Map<string, number> {
  const out = new Map<string, number>(spec.topology.masters.map((m) => [m.name, 0]));
  for (const l of loads) {
    const v = value(l);
    for (const [name, share] of l.shards) out.set(name, (out.get(name) ?? 0) + v * share);
  }
  return out;
}

const shareOf = (v: number, total: number): number => (total > 0 ? v / total : 0);

/**
 * Placement skew (issue 13 part 3): the share of the population's keys (maxKeys × fill per tenant-module) and ops
 * (the workload's plan activity and module weights) that land on each master, from the spec alone.
 * Channels do not move keys (a tenant-module's slot does not depend on the channel), so they do not enter here.
 */
export function computePlacement(spec: Spec, population: readonly TenantInput[], workload: Workload, fill = DEFAULT_FILL): Placement {
  const loads = tenantModuleLoads(spec, population, workload, fill);
  const keys = perShard(spec, loads, (l) => l.keys);
  const ops = perShard(spec, loads, (l) => l.ops_weight);
  const keyTotal = [...keys.values()].reduce((a, b) => a + b, 0);
  const opsTotal = [...ops.values()].reduce((a, b) => a + b, 0);
  return {
    strategy: spec.placement.strategy,
    shards: spec.topology.masters.map((m) => ({
      name: m.name,
      key_share: shareOf(keys.get(m.name) ?? 0, keyTotal),
      ops_share: shareOf(ops.get(m.name) ?? 0, opsTotal),
      live_key_share: null,
      modules: [...new Set(loads.filter((l) => l.shards.has(m.name)).map((l) => l.module))].sort(),
    })),
  };
}

/** The placement with each master's live key share beside the computed one (counts per master name; null when none was counted). */
export function withLiveKeyShare(placement: Placement, liveCounts: Readonly<Record<string, number>>): Placement {
  const total = Object.values(liveCounts).reduce((a, b) => a + b, 0);
  return {
    ...placement,
    shards: placement.shards.map((s) => ({
      ...s,
      live_key_share: total > 0 && Object.hasOwn(liveCounts, s.name) ? (liveCounts[s.name] ?? 0) / total : null,
    })),
  };
}

/**
 * Tenant data keys per master, by SCAN on each master (bounded by `deadline`): keys under `match` (default every
 * tenant's, `cliente:*`), quota zsets (`…:__quota`) left out, as the computed shares count data keys only.
 */
export async function countLiveTenantKeys(
  masters: ReadonlyArray<{ name: string; client: Redis }>,
  opts: { match?: string; deadline?: number } = {},
): Promise<Record<string, number>> {
  const match = opts.match ?? `${TENANT_KEY_ROOT}:*`;
  const deadline = opts.deadline ?? Date.now() + 60_000;
  const out: Record<string, number> = {};
  for (const m of masters) {
    let n = 0;
    for await (const batch of scanKeys(m.client, { match, deadline })) n += batch.filter((k) => !k.endsWith(`:${QUOTA_KEY_SUFFIX}`)).length;
    out[m.name] = n;
  }
  return out;
}
