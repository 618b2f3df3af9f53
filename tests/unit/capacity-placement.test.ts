import { describe, expect, it } from 'vitest';
import { buildWorkload } from '../../src/bench/workload.js';
import { computePlacement, perShard, tenantModuleLoads, withLiveKeyShare } from '../../src/capacity/placement.js';
import { placementSchema } from '../../src/capacity/schema.js';
import { generatePopulation } from '../../src/provision/population.js';
import { loadSpec, SLOT_COUNT, type Spec } from '../../src/spec/index.js';

const spec = loadSpec();
const workload = buildWorkload(spec, 'mobile');
/** 600 basic, 300 pro, 100 enterprise: the default mix is exact at multiples of 10. */
const population = generatePopulation({ count: 1000 });
const shard = (p: ReturnType<typeof computePlacement>, name: string) => {
  const s = p.shards.find((x) => x.name === name);
  if (!s) throw new Error(`no shard ${name}`);
  return s;
};
const withStrategy = (strategy: Spec['placement']['strategy']): Spec => ({ ...spec, placement: { ...spec.placement, strategy } });

describe('placement skew', () => {
  it('module-shard, default mix: crm and whatsapp put every basic tenant on redis-1, the hot shard for keys and ops', () => {
    expect(spec.modules.crm?.shard).toBe('redis-1');
    expect(spec.modules.whatsapp?.shard).toBe('redis-1');
    const p = placementSchema.parse(computePlacement(spec, population, workload, 0.5));
    expect(p.strategy).toBe('module-shard');
    // Keys at 50% fill, by hand from the spec: basic 10k maxKeys × 2 modules, pro 50k × 5, enterprise 100k × 8.
    // redis-1 (crm, whatsapp): 600·2·5k + 300·2·25k + 100·2·50k = 31M; redis-2 (analytics, marketing): 15M + 10M = 25M;
    // redis-3 (agendamento, financeiro, portal, whitelabel): 7.5M + 20M = 27.5M.
    expect(shard(p, 'redis-1').key_share).toBeCloseTo(31 / 83.5, 9);
    expect(shard(p, 'redis-2').key_share).toBeCloseTo(25 / 83.5, 9);
    expect(shard(p, 'redis-3').key_share).toBeCloseTo(27.5 / 83.5, 9);
    // Ops: activity basic 1, pro 2, enterprise 4, modules equally weighted within a plan:
    // redis-1 600 + 300·2·2/5 + 100·4·2/8 = 940 of 1600; redis-2 240 + 100 = 340; redis-3 120 + 200 = 320.
    expect(shard(p, 'redis-1').ops_share).toBeCloseTo(940 / 1600, 9);
    expect(shard(p, 'redis-2').ops_share).toBeCloseTo(340 / 1600, 9);
    expect(shard(p, 'redis-3').ops_share).toBeCloseTo(320 / 1600, 9);
    expect(shard(p, 'redis-1').modules).toEqual(['crm', 'whatsapp']);
    expect(shard(p, 'redis-3').modules).toEqual(['agendamento', 'financeiro', 'portal', 'whitelabel']);
    expect(p.shards.every((s) => s.live_key_share === null)).toBe(true);
  });

  it('an all-basic population puts everything on redis-1', () => {
    const basic = generatePopulation({ count: 50, planMix: { basic: 1 } });
    const p = computePlacement(spec, basic, workload);
    expect(shard(p, 'redis-1')).toMatchObject({ key_share: 1, ops_share: 1 });
    expect(shard(p, 'redis-2')).toMatchObject({ key_share: 0, ops_share: 0 });
  });

  it('module weights from the workload move the ops share, not the key share', () => {
    const heavy = buildWorkload(spec, 'mobile', { modules: { crm: { weight: 0 }, whatsapp: { weight: 0 } } });
    const p = computePlacement(spec, generatePopulation({ count: 10, planMix: { pro: 1 } }), heavy);
    expect(shard(p, 'redis-1').ops_share).toBe(0);
    expect(shard(p, 'redis-1').key_share).toBeCloseTo(2 / 5, 9);
  });

  it('none: each tenant-module spreads over every slot, so the shares are the slot shares', () => {
    const p = computePlacement(withStrategy('none'), population, workload);
    expect(shard(p, 'redis-1').key_share).toBeCloseTo(5461 / SLOT_COUNT, 9);
    expect(shard(p, 'redis-3').ops_share).toBeCloseTo(5461 / SLOT_COUNT, 9);
  });

  it('tenant-slot: a tenant lands whole on one master, the shares follow the tenants', () => {
    const s = withStrategy('tenant-slot');
    const loads = tenantModuleLoads(s, population, workload);
    for (const id of ['t000001', 't000002', 't000010']) {
      const masters = new Set(loads.filter((l) => l.tenant === id).flatMap((l) => [...l.shards.keys()]));
      expect(masters.size).toBe(1);
    }
    const keys = perShard(s, loads, (l) => l.keys);
    expect([...keys.values()].reduce((a, b) => a + b, 0)).toBe(83.5e6);
    // 1000 tenants over 3 masters by CRC16: none gets all of them.
    for (const sh of computePlacement(s, population, workload).shards) expect(sh.key_share).toBeLessThan(0.6);
  });

  it('a live count per master becomes live_key_share beside the computed one', () => {
    const p = withLiveKeyShare(computePlacement(spec, population, workload), { 'redis-1': 600, 'redis-2': 250, 'redis-3': 150 });
    expect(p.shards.map((s) => s.live_key_share)).toEqual([0.6, 0.25, 0.15]);
    expect(withLiveKeyShare(p, { 'redis-1': 0, 'redis-2': 0, 'redis-3': 0 }).shards.every((s) => s.live_key_share === null)).toBe(true);
  });

  it('a plan the spec does not know is refused', () => {
    expect(() => computePlacement(spec, [{ id: 'x1', plan: 'platinum' }], workload)).toThrow(/platinum/);
  });
});
