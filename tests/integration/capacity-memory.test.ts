import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillTenantModules, keysAtFill, measureMemory, memoryByMaster, provisionMeasured } from '../../src/capacity/memory.js';
import { projectMemory } from '../../src/capacity/memory-projection.js';
import { memorySchema } from '../../src/capacity/schema.js';
import { generatePopulation, listTenants, openAdminSession, type AdminSession } from '../../src/provision/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// The check: memory measured on a few tenants per plan, projected onto a generated population (the
// default 60/30/10 mix), against the used_memory growth that population really causes. Small fill so that a
// few hundred tenants fill in seconds: 0.1% of maxKeys is 10 keys per basic tenant-module, 100 per enterprise one.
const FILL = 0.001;
const TENANTS = 200;
const MAX_ERROR = 0.15;

let tc: TestCluster;
let admin: AdminSession;

beforeAll(async () => {
  tc = await startTestCluster(70);
  admin = await openAdminSession(tc.target);
});
afterAll(async () => {
  await admin?.close();
  await tc?.stop();
});

describe('memory projection against a measured population', () => {
  it(`projectMemory for ${TENANTS} tenants at ${FILL * 100}% fill is within ${MAX_ERROR * 100}% of the measured growth per master`, async () => {
    const lines: string[] = [];
    const memory = memorySchema.parse(
      await measureMemory({ spec: tc.spec, target: tc.target, fill: FILL, tenantsPerPlan: 10, full: false, log: (l) => lines.push(l) }),
    );
    console.log(lines.map((l) => `[capacity-memory] ${l}`).join('\n'));
    // Bytes per tenant rise with the plan; measureMemory left no tenant behind.
    expect(memory.bytes_per_tenant.basic).toBeGreaterThan(0);
    expect(memory.bytes_per_tenant.pro).toBeGreaterThan(memory.bytes_per_tenant.basic ?? 0);
    expect(memory.bytes_per_tenant.enterprise).toBeGreaterThan(memory.bytes_per_tenant.pro ?? 0);
    expect((await listTenants(admin)).tenants).toEqual([]);

    const population = generatePopulation({ count: TENANTS, prefix: 'pop' });
    const before = await memoryByMaster(admin, tc.spec);
    const t0 = performance.now();
    const tenants = await provisionMeasured(admin, tc.spec, population);
    const provisioned = await memoryByMaster(admin, tc.spec);
    const items = tenants.flatMap((t) =>
      t.meta.modules.map((module) => ({ tenant: t, module, from: 0, to: keysAtFill(t.meta.maxKeys, FILL) })),
    );
    const tally = await fillTenantModules(tc.spec, tc.target, items, { parallel: 8, inFlight: 8 });
    const fillSeconds = (performance.now() - t0) / 1000;
    const after = await memoryByMaster(admin, tc.spec);

    const projected = projectMemory(tc.spec, memory, population);
    const total = { measured: 0, projected: 0 };
    const rows = projected.map((p) => {
      const measured = (after[p.name] ?? 0) - (before[p.name] ?? 0);
      total.measured += measured;
      total.projected += p.memory_bytes;
      return { name: p.name, measured, projected: p.memory_bytes, error: (p.memory_bytes - measured) / measured };
    });
    const totalError = (total.projected - total.measured) / total.measured;
    console.log(
      [
        `[capacity-memory] bytes_per_key ${JSON.stringify(roundAll(memory.bytes_per_key))}`,
        `[capacity-memory] memory_usage_sample ${JSON.stringify(roundAll(memory.memory_usage_sample))}`,
        `[capacity-memory] bytes_per_tenant ${JSON.stringify(roundAll(memory.bytes_per_tenant))}, each master ${Math.round(memory.bytes_per_tenant_each_master)}`,
        `[capacity-memory] population provisioning (ACL users, metas, limits): ${JSON.stringify(Object.fromEntries(Object.entries(provisioned).map(([k, v]) => [k, v - (before[k] ?? 0)])))}`,
        `[capacity-memory] population: ${TENANTS} tenants, ${tally.keys} keys, provisioned and filled in ${fillSeconds.toFixed(1)} s`,
        ...rows.map(
          (r) =>
            `[capacity-memory] ${r.name}: measured ${r.measured} B, projected ${Math.round(r.projected)} B, error ${(r.error * 100).toFixed(1)}%`,
        ),
        `[capacity-memory] total: measured ${total.measured} B, projected ${Math.round(total.projected)} B, error ${(totalError * 100).toFixed(1)}%`,
      ].join('\n'),
    );
    expect(tally.keys).toBe(items.reduce((a, i) => a + i.to - i.from, 0));
    for (const r of rows.filter((x) => x.measured >= 0.05 * total.measured))
      expect(Math.abs(r.error), r.name).toBeLessThanOrEqual(MAX_ERROR);
    expect(Math.abs(totalError)).toBeLessThanOrEqual(MAX_ERROR);
  }, 90_000);
});

function roundAll(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v)]));
}
