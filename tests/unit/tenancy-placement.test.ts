import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSpec, SLOT_COUNT } from '../../src/spec/index.js';
import { parseModule, parseTenantId, placeTenantModule, shardSlots, slotOf, slotSpread, tagForSlot } from '../../src/tenancy/index.js';

const spec = loadSpec();
const modules = Object.keys(spec.modules);
const tenantIds = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);

describe('placement', () => {
  it("module-shard: the slot is always one of the module's shard, and the tag hashes to it", () => {
    const shardOf = new Map(spec.topology.masters.map((m) => [m.name, new Set(shardSlots(spec, m.name))]));
    fc.assert(
      fc.property(tenantIds, fc.constantFrom(...modules), (t, m) => {
        const p = placeTenantModule(spec, parseTenantId(t), parseModule(spec, m), 'module-shard');
        expect(p.slot).not.toBeNull();
        expect(shardOf.get(spec.modules[m]?.shard ?? '')?.has(p.slot ?? -1)).toBe(true);
        expect(slotOf(`{${p.tag}}`)).toBe(p.slot);
        expect(placeTenantModule(spec, parseTenantId(t), parseModule(spec, m), 'module-shard')).toEqual(p); // stable
      }),
      { numRuns: 1000 },
    );
  });

  it("module-shard: 3000 tenants x 8 modules spread uniformly over each shard's slots", () => {
    const byShard = new Map<string, number[]>();
    for (let t = 0; t < 3000; t++) {
      for (const m of modules) {
        const shard = spec.modules[m]?.shard ?? '';
        const slot = placeTenantModule(spec, parseTenantId(`tenant-${t}`), parseModule(spec, m), 'module-shard').slot ?? -1;
        const list = byShard.get(shard) ?? [];
        list.push(slot);
        byShard.set(shard, list);
      }
    }
    for (const [shard, slots] of byShard) {
      const s = slotSpread(slots, shardSlots(spec, shard));
      // Uniform random placement gives chi²/dof ≈ 1 and about n(1-(1-1/n)^k) distinct slots. Per-slot max/mean
      // is a Poisson tail at ~1-2 keys per slot (measured 4.6-6.4), so it only gets a loose bound.
      expect(s.chiSquarePerDof, shard).toBeGreaterThan(0.85);
      expect(s.chiSquarePerDof, shard).toBeLessThan(1.15);
      expect(Math.abs(s.distinctSlots - s.expectedDistinct) / s.expectedDistinct, shard).toBeLessThan(0.03);
      expect(s.bucketSkew, shard).toBeLessThan(1.5);
      expect(s.skew, shard).toBeLessThan(10);
    }
  }, 60_000); // placeTenantModule rebuilds the shard's slot list per call (~0.7 ms): 24k calls

  it("tenant-slot: all of a tenant's modules share the slot of {tenant}", () => {
    fc.assert(
      fc.property(tenantIds, (t) => {
        const ps = modules.map((m) => placeTenantModule(spec, parseTenantId(t), parseModule(spec, m), 'tenant-slot'));
        for (const p of ps) expect(p).toEqual({ strategy: 'tenant-slot', tag: t, slot: slotOf(`{${t}}`) });
      }),
    );
  });

  it('none: no tag and no slot promise', () => {
    expect(placeTenantModule(spec, parseTenantId('acme'), parseModule(spec, 'crm'), 'none')).toEqual({
      strategy: 'none',
      tag: null,
      slot: null,
    });
  });
});

describe('tagForSlot', () => {
  it('covers all 16384 slots with short base-36 tags that hash back to their slot', () => {
    const seen = new Set<string>();
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const tag = tagForSlot(slot);
      expect(tag).toMatch(/^[0-9a-z]{1,4}$/);
      expect(slotOf(`{${tag}}`)).toBe(slot);
      expect(slotOf(`prefix:{${tag}}:any{thing}`)).toBe(slot);
      seen.add(tag);
    }
    expect(seen.size).toBe(SLOT_COUNT);
    expect(() => tagForSlot(SLOT_COUNT)).toThrow(RangeError);
    expect(() => tagForSlot(-1)).toThrow(RangeError);
  });
});

describe('slotSpread', () => {
  it('measures a known distribution', () => {
    const s = slotSpread([0, 0, 1, 3], [0, 1, 2, 3], 2);
    expect(s).toMatchObject({
      keys: 4,
      slotsAvailable: 4,
      distinctSlots: 3,
      maxPerSlot: 2,
      meanPerSlot: 1,
      skew: 2,
      bucketSkew: 1.5,
      usedSkew: 1.5,
    });
    expect(s.chiSquarePerDof).toBeCloseTo(2 / 3);
    expect(() => slotSpread([9], [0, 1])).toThrow(RangeError);
  });
});
