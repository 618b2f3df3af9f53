import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/spec/index.js';
import {
  bindSpecMasters,
  buildKey,
  checkModulePlacement,
  parseModule,
  parseTenantId,
  placeTenantModule,
  shardMatchRate,
  slotOf,
  type LiveNode,
  type PlacementStrategy,
  type ProbedKey,
} from '../../src/tenancy/index.js';

const spec = loadSpec();
const node = (id: string, port: number, slots: Array<[number, number]>, masterId: string | null = null): LiveNode => ({
  id,
  host: '127.0.0.1',
  port,
  role: masterId ? 'replica' : 'master',
  masterId,
  slots,
});
/** The spec's layout as a live cluster: masters m1-m3 on 7001-7003, replicas r1-r3 on 7004-7006. */
const live: LiveNode[] = [
  node('m1', 7001, [[0, 5460]]),
  node('m2', 7002, [[5461, 10922]]),
  node('m3', 7003, [[10923, 16383]]),
  node('r1', 7004, [], 'm1'),
  node('r2', 7005, [], 'm2'),
  node('r3', 7006, [], 'm3'),
];
const names = { 7001: 'redis-1', 7002: 'redis-2', 7003: 'redis-3', 7004: 'redis-4', 7005: 'redis-5', 7006: 'redis-6' };

/** One probe per (tenant, module), slot as CRC16 gives it (what CLUSTER KEYSLOT answers). */
function probes(strategy: PlacementStrategy, tenants = 200): ProbedKey[] {
  const out: ProbedKey[] = [];
  for (let t = 0; t < tenants; t++) {
    for (const m of Object.keys(spec.modules)) {
      const tenant = parseTenantId(`t${t}`);
      const mod = parseModule(spec, m);
      const p = placeTenantModule(spec, tenant, mod, strategy);
      for (const dt of Object.keys(spec.modules[m]?.dataTypes ?? {})) {
        const key = buildKey(spec, tenant, mod, p, dt, 'probe');
        out.push({ tenant, module: m, key, serverSlot: slotOf(key), expectedSlot: p.slot });
      }
    }
  }
  return out;
}

describe('bindSpecMasters', () => {
  it('binds by node name, by first slot, and follows a failover to the replica that took over', () => {
    expect([...bindSpecMasters(spec, live, names).bound].map(([k, v]) => [k, v.id])).toEqual([
      ['redis-1', 'm1'],
      ['redis-2', 'm2'],
      ['redis-3', 'm3'],
    ]);
    expect([...bindSpecMasters(spec, live).bound].map(([k, v]) => [k, v.id])).toEqual([
      ['redis-1', 'm1'],
      ['redis-2', 'm2'],
      ['redis-3', 'm3'],
    ]);
    const failedOver = [node('m1', 7001, [], 'r1'), node('r1', 7004, [[0, 5460]]), ...live.filter((n) => !['m1', 'r1'].includes(n.id))];
    expect(bindSpecMasters(spec, failedOver, names).bound.get('redis-1')?.id).toBe('r1');
    expect(bindSpecMasters(spec, failedOver).bound.get('redis-1')?.id).toBe('r1');
    expect(
      bindSpecMasters(
        spec,
        live.filter((n) => n.id !== 'm3'),
        names,
      ).unbound,
    ).toEqual(['redis-3']);
  });
});

describe('checkModulePlacement', () => {
  const { bound } = bindSpecMasters(spec, live, names);

  it("module-shard: every key on its module's shard", () => {
    const r = checkModulePlacement(spec, probes('module-shard'), live, bound);
    expect(r.problems).toEqual([]);
    expect(r.onShard).toBe(r.total);
  });

  it("names the slot when a tenant-module's slot moved to another master", () => {
    const keys = probes('module-shard', 20);
    const moved = keys.find((k) => k.module === 'crm')?.serverSlot ?? -1;
    const m1 = live.find((n) => n.id === 'm1');
    const m2 = live.find((n) => n.id === 'm2');
    const after = live
      .map((n) =>
        n === m1
          ? {
              ...n,
              slots: [
                [0, moved - 1],
                [moved + 1, 5460],
              ] as Array<[number, number]>,
            }
          : n === m2
            ? { ...n, slots: [...n.slots, [moved, moved] as [number, number]] }
            : n,
      )
      .map((n) => ({ ...n, slots: n.slots.filter(([a, b]) => a <= b) }));
    const r = checkModulePlacement(spec, keys, after, bindSpecMasters(spec, after, names).bound);
    expect(r.problems.length).toBeGreaterThan(0);
    expect(new Set(r.problems.map((p) => p.slot))).toEqual(new Set([moved]));
    expect(r.problems[0]?.message).toContain(`slot ${moved} is served by 127.0.0.1:7002, but module crm's shard redis-1 is 127.0.0.1:7001`);
  });

  it("flags a key whose server slot differs from the placement's promise, and an unserved slot", () => {
    const [k] = probes('module-shard', 1);
    if (!k) throw new Error('no probe');
    expect(checkModulePlacement(spec, [{ ...k, serverSlot: (k.serverSlot + 1) % 16384 }], live, bound).problems[0]?.message).toMatch(
      /promises slot/,
    );
    const holes = live.map((n) => ({ ...n, slots: [] }));
    expect(checkModulePlacement(spec, [k], holes, bound).problems[0]?.message).toMatch(/served by no master/);
  });

  it("the seed's layout (none) lands on its module's shard only by chance (~1/3); tenant-slot likewise", () => {
    const none = shardMatchRate(spec, probes('none'), live, bound);
    const tenantSlot = shardMatchRate(spec, probes('tenant-slot'), live, bound);
    expect(none).toBeGreaterThan(0.28);
    expect(none).toBeLessThan(0.39);
    expect(tenantSlot).toBeGreaterThan(0.25);
    expect(tenantSlot).toBeLessThan(0.42);
  });
});
