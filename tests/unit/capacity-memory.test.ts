import { describe, expect, it } from 'vitest';
import { measureMemory } from '../../src/capacity/memory.js';
import { projectMemory } from '../../src/capacity/memory-projection.js';
import { HarnessError } from '../../src/errors.js';
import type { CapacityMemory } from '../../src/capacity/schema.js';
import { modelValue, valueSizeAt, valueSizeModel } from '../../src/capacity/value-model.js';
import { generatePopulation } from '../../src/provision/index.js';
import { loadSpec, type Spec } from '../../src/spec/index.js';
import { parseTenantId, placeTenantModule, parseModule } from '../../src/tenancy/index.js';

const spec = loadSpec();

/** Per module a distinct power of ten, so every sum below says which modules it counted. */
const MODULE_BYTES: Record<string, number> = {
  crm: 1,
  whatsapp: 10,
  analytics: 100,
  marketing: 1_000,
  agendamento: 10_000,
  financeiro: 100_000,
  portal: 1_000_000,
  whitelabel: 10_000_000,
};
const EACH = 0.5;

function memory(s: Spec = spec): CapacityMemory {
  const perModule = (plan: string, k: number) =>
    Object.fromEntries((s.plans[plan]?.modules ?? []).map((m) => [m, (MODULE_BYTES[m] ?? 0) * k]));
  return {
    fill: 0.5,
    bytes_per_key: {},
    memory_usage_sample: {},
    bytes_per_tenant: {},
    bytes_per_tenant_full: {},
    bytes_per_tenant_each_master: EACH,
    // The same module costs more in a bigger plan (more keys at the same fill): 1x, 2x, 3x.
    bytes_per_tenant_module: { basic: perModule('basic', 1), pro: perModule('pro', 2), enterprise: perModule('enterprise', 3) },
    per_master: [],
    tenants_per_plan: {},
  };
}

describe('projectMemory', () => {
  it('module-shard: each tenant-module on its module’s shard, each tenant’s fixed cost on every master', () => {
    // 10 tenants: 6 basic (crm, whatsapp), 3 pro (+ agendamento, marketing, analytics), 1 enterprise (all 8).
    const pop = generatePopulation({ count: 10 });
    expect(pop.filter((t) => t.plan === 'basic')).toHaveLength(6);
    const got = projectMemory(spec, memory(), pop);
    const fixed = 10 * EACH;
    expect(got).toEqual([
      { name: 'redis-1', memory_bytes: fixed + 6 * 11 + 3 * 2 * 11 + 3 * 11 },
      { name: 'redis-2', memory_bytes: fixed + 3 * 2 * 1_100 + 3 * 1_100 },
      { name: 'redis-3', memory_bytes: fixed + 3 * 2 * 10_000 + 3 * 11_110_000 },
    ]);
  });

  it('tenant-slot: all of a tenant’s modules on the master of its slot', () => {
    const s: Spec = { ...spec, placement: { ...spec.placement, strategy: 'tenant-slot' } };
    const pop = generatePopulation({ count: 20 });
    const want = new Map(spec.topology.masters.map((m) => [m.name, 20 * EACH]));
    for (const t of pop) {
      const { slot } = placeTenantModule(s, parseTenantId(t.id), parseModule(s, 'crm'));
      const m = spec.topology.masters.find((x) => x.slots.some(([a, b]) => (slot ?? -1) >= a && (slot ?? -1) <= b));
      const k = { basic: 1, pro: 2, enterprise: 3 }[t.plan] ?? 0;
      const mods = s.plans[t.plan]?.modules ?? [];
      want.set(m?.name ?? '', (want.get(m?.name ?? '') ?? 0) + k * mods.reduce((a, x) => a + (MODULE_BYTES[x] ?? 0), 0));
    }
    expect(projectMemory(s, memory(s), pop)).toEqual(spec.topology.masters.map((m) => ({ name: m.name, memory_bytes: want.get(m.name) })));
  });

  it('none: a tenant-module’s bytes split over the masters by their slot counts', () => {
    const s: Spec = { ...spec, placement: { ...spec.placement, strategy: 'none' } };
    const got = projectMemory(s, memory(s), [{ id: 'a', plan: 'basic' }]);
    const shares = [5461 / 16384, 5462 / 16384, 5461 / 16384];
    got.forEach((g, i) => expect(g.memory_bytes).toBeCloseTo(EACH + 11 * (shares[i] ?? 0), 9));
    expect(got.reduce((a, g) => a + g.memory_bytes, 0)).toBeCloseTo(3 * EACH + 11, 9);
  });

  it('an empty population adds nothing; an unknown plan or an unmeasured module throws', () => {
    expect(projectMemory(spec, memory(), []).map((g) => g.memory_bytes)).toEqual([0, 0, 0]);
    expect(() => projectMemory(spec, memory(), [{ id: 'a', plan: 'gold' }])).toThrow(/plan gold/);
    const m = memory();
    delete m.bytes_per_tenant_module.pro?.analytics;
    expect(() => projectMemory(spec, m, [{ id: 'a', plan: 'pro' }])).toThrow(/pro\/analytics/);
  });
});

describe('value model', () => {
  it('is the mobile profile’s sizes weighted by channel share: 256 B 40%, 1 KiB 42%, 4 KiB 18%', () => {
    const model = valueSizeModel();
    expect(model.map((s) => s.bytes)).toEqual([256, 1024, 4096]);
    model.forEach((s, i) => expect(s.share).toBeCloseTo([0.4, 0.42, 0.18][i] ?? 0, 9));
  });

  it('any run of 200 keys holds the mix within 2 points; values are JSON of about the size', () => {
    const model = valueSizeModel();
    for (const start of [0, 17, 5_000]) {
      const sizes = Array.from({ length: 200 }, (_, i) => valueSizeAt(model, start + i));
      for (const s of model) expect(Math.abs(sizes.filter((x) => x === s.bytes).length / 200 - s.share)).toBeLessThan(0.02);
    }
    for (let i = 0; i < 40; i++) {
      const bytes = valueSizeAt(model, i);
      const text = JSON.stringify(modelValue(model, i));
      expect(text.length).toBeLessThanOrEqual(bytes);
      expect(text.length).toBeGreaterThan(bytes * 0.8);
    }
    // Two keys of the same size get different documents (no run of identical values for the codec).
    const j = Array.from({ length: 100 }, (_, k) => k + 1).find((k) => k % 16 !== 0 && valueSizeAt(model, k) === valueSizeAt(model, 0));
    expect(JSON.stringify(modelValue(model, j ?? 0))).not.toBe(JSON.stringify(modelValue(model, 0)));
  });
});

describe('measureMemory', () => {
  it('refuses a target it may not change before connecting, and bad options', async () => {
    // Port 1: nothing listens there; the refusal must come before any connection attempt.
    const target = { backend: 'external' as const, seeds: [{ host: '127.0.0.1', port: 1 }], destructive: false };
    await expect(measureMemory({ spec, target })).rejects.toThrow(HarnessError);
    await expect(measureMemory({ spec, target })).rejects.toThrow(/not the harness’s to change/);
    await expect(measureMemory({ spec, target: { ...target, destructive: true }, fill: 0 })).rejects.toThrow(/fill must be/);
    await expect(measureMemory({ spec, target: { ...target, destructive: true }, tenantsPerPlan: 0 })).rejects.toThrow(/tenantsPerPlan/);
  });
});
