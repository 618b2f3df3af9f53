import { describe, expect, it } from 'vitest';
import { buildWorkload } from '../../src/bench/workload.js';
import { memoryToBytes } from '../../src/checks/normalize.js';
import { projectMemory } from '../../src/capacity/memory-projection.js';
import { computePlacement, tenantModuleLoads } from '../../src/capacity/placement.js';
import { moduleLoads, populationOpsPerS, project, type ProjectionInput } from '../../src/capacity/projection.js';
import { projectionSchema, type CapacityMemory, type Sweep } from '../../src/capacity/schema.js';
import { generatePopulation } from '../../src/provision/population.js';
import { loadSpec } from '../../src/spec/index.js';

const MiB = 1024 * 1024;
/** What every tenant costs on every master (ACL user, meta key): 1000 tenants → 4000 KiB each master. */
const EACH = 4096;
const spec = loadSpec();
const workload = buildWorkload(spec, 'mobile');
/** 600 basic, 300 pro, 100 enterprise. */
const population = generatePopulation({ count: 1000 });
const maxmemory = memoryToBytes(String(spec.redis.maxmemory));
const masters = spec.topology.masters.map((m) => m.name);

/** Hand-built measurement: a basic tenant-module 0.25 MiB, pro 1 MiB, enterprise 2 MiB (any module). */
const perModule = (bytes: number, plan: string) => Object.fromEntries((spec.plans[plan]?.modules ?? []).map((m) => [m, bytes]));
const memory: CapacityMemory = {
  fill: 0.5,
  bytes_per_key: { contacts: 180 },
  memory_usage_sample: { contacts: 170 },
  bytes_per_tenant: { basic: 0.5 * MiB, pro: 5 * MiB, enterprise: 16 * MiB },
  bytes_per_tenant_full: { basic: MiB, pro: 10 * MiB, enterprise: 32 * MiB },
  bytes_per_tenant_each_master: EACH,
  bytes_per_tenant_module: {
    basic: perModule(0.25 * MiB, 'basic'),
    pro: perModule(MiB, 'pro'),
    enterprise: perModule(2 * MiB, 'enterprise'),
  },
  per_master: [],
  tenants_per_plan: { basic: 3, pro: 3, enterprise: 3 },
};

const sweep = (scope: string, knee: number | null): Sweep => ({
  scope,
  steps: [],
  knee: knee === null ? null : { ops_per_s: knee, p99_us: 900, p99_9_us: 2000 },
  stopped: 'hand-built',
});

const loads = tenantModuleLoads(spec, population, workload, 0.5);
const placement = computePlacement(spec, population, workload, 0.5);
const shardMemory = projectMemory(spec, memory, population);
const BASE = 2 * MiB;
const FIXED = 1000 * EACH;

function input(over: Partial<ProjectionInput> = {}): ProjectionInput {
  return {
    spec,
    population,
    shardMemory,
    baselineBytes: Object.fromEntries(masters.map((m) => [m, BASE])),
    placement,
    opsPerS: populationOpsPerS(loads, 1),
    clusterSweep: sweep('cluster', 40_000),
    shardSweeps: masters.map((m) => sweep(m, 15_000)),
    maxmemory: Object.fromEntries(masters.map((m) => [m, maxmemory])),
    modules: moduleLoads(loads, memory, 1),
    eachMasterBytes: EACH,
    ...over,
  };
}
const row = (p: ReturnType<typeof project>, name: string) => p.shards.find((s) => s.name === name);

describe('capacity projection', () => {
  it('default mix: redis-1 (crm + whatsapp) is the hottest shard and its memory runs out first', () => {
    const p = projectionSchema.parse(project(input()));
    // redis-1 holds 600·2·0.25 + 300·2·1 + 100·2·2 = 1300 MiB of data; redis-2 300·2 + 100·2·2 = 1000; redis-3 300 + 800 = 1100.
    expect(row(p, 'redis-1')?.memory_bytes).toBe(1300 * MiB + FIXED + BASE);
    expect(row(p, 'redis-2')?.memory_bytes).toBe(1000 * MiB + FIXED + BASE);
    expect(row(p, 'redis-3')?.memory_bytes).toBe(1100 * MiB + FIXED + BASE);
    // 1600 ops/s in all (activity 1/2/4 at 1 op/s), 940 of them on redis-1.
    expect(row(p, 'redis-1')?.ops_per_s).toBe(940);
    expect(row(p, 'redis-1')?.ops_headroom_pct).toBe(93.7);
    expect(row(p, 'redis-1')?.memory_headroom_pct).toBe(Math.round(1000 * (1 - (1302 * MiB + FIXED) / maxmemory)) / 10);
    const hottest = [...p.shards].sort((a, b) => b.memory_bytes - a.memory_bytes)[0];
    expect(hottest?.name).toBe('redis-1');
    expect(p.first_limit).toEqual({ shard: 'redis-1', resource: 'memory' });
    // 1.3 MiB + 4 KiB per tenant on redis-1 into 2046 MiB of room.
    expect(p.max_tenants).toBe(Math.floor((maxmemory - BASE) / ((1300 * MiB + FIXED) / 1000)));
    expect(p.tenants).toBe(1000);
    expect(p.plan_mix).toEqual({ basic: 60, pro: 30, enterprise: 10 });
    expect(p.assumptions.some((a) => a.includes('linearly'))).toBe(true);
    expect(p.target_tenants).toBeNull();
    expect(p.masters_needed).toBeNull();
  });

  it('a low knee on redis-1 makes ops the first limit there, and the headroom goes negative past it', () => {
    const p = project(input({ shardSweeps: [sweep('redis-1', 800), sweep('redis-2', 15_000), sweep('redis-3', 15_000)] }));
    expect(p.first_limit).toEqual({ shard: 'redis-1', resource: 'ops' });
    expect(p.max_tenants).toBe(Math.floor(800 / 0.94));
    expect(row(p, 'redis-1')?.ops_headroom_pct).toBe(-17.5);
  });

  it("the cluster's knee bounds the total; a master with no knee of its own is no ops limit, and the assumptions say so", () => {
    const p = project(input({ clusterSweep: sweep('cluster', 1000), shardSweeps: [] }));
    expect(p.first_limit).toEqual({ shard: 'cluster', resource: 'ops' });
    expect(p.max_tenants).toBe(625);
    expect(row(p, 'redis-2')?.knee_ops_per_s).toBeNull();
    expect(row(p, 'redis-2')?.ops_headroom_pct).toBeNull();
    expect(p.assumptions.filter((a) => a.includes('no knee of its own'))).toHaveLength(3);
  });

  it('scaling the population to 3000 tenants (same mix) triples every shard and overflows redis-1', () => {
    const big = generatePopulation({ count: 3000 });
    const bigLoads = tenantModuleLoads(spec, big, workload, 0.5);
    const p = project(
      input({
        population: big,
        shardMemory: projectMemory(spec, memory, big),
        opsPerS: populationOpsPerS(bigLoads, 1),
      }),
    );
    expect(row(p, 'redis-1')?.memory_bytes).toBe(3900 * MiB + 3 * FIXED + BASE);
    expect(row(p, 'redis-1')?.memory_headroom_pct).toBeLessThan(0);
    expect(p.max_tenants).toBe(project(input()).max_tenants);
  });

  it('for 3000 tenants: 6 masters by greedy whole-module packing, crm and whatsapp apart', () => {
    const p = project(input({ targetTenants: 3000 }));
    // ×3: crm and whatsapp 1950 MiB each (of 2046 less 3000 × 4 KiB ≈ 2034), analytics/marketing/agendamento 1500, the other three 600:
    // five masters hold the five large modules and none has room for a 600 MiB module; the sixth takes all three.
    expect(p.masters_needed).toBe(6);
    const map = p.module_map ?? {};
    expect(Object.keys(map).sort()).toEqual(Object.keys(spec.modules).sort());
    expect(map.crm).not.toBe(map.whatsapp);
    expect(new Set([map.financeiro, map.portal, map.whitelabel]).size).toBe(1);
    expect(Math.max(...Object.values(map))).toBe(6);
    expect(p.assumptions.some((a) => a.includes('greedy'))).toBe(true);
  });

  it('for 10000 tenants crm alone outgrows a master: no whole-module map, and the assumptions say which module', () => {
    const p = project(input({ targetTenants: 10_000 }));
    expect(p.masters_needed).toBeNull();
    expect(p.module_map).toBeNull();
    expect(p.assumptions.some((a) => a.includes('crm alone needs'))).toBe(true);
  });

  it('refuses an empty population and a master without maxmemory', () => {
    expect(() => project(input({ population: [] }))).toThrow(/empty/);
    expect(() => project(input({ maxmemory: { 'redis-1': 0, 'redis-2': maxmemory, 'redis-3': maxmemory } }))).toThrow(
      /redis-1 has no maxmemory/,
    );
  });
});
