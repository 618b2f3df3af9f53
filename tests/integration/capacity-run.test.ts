import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopology } from '../../src/bench/topology.js';
import { buildWorkload } from '../../src/bench/workload.js';
import { fillTenantModules, keysAtFill, memoryByMaster, provisionMeasured } from '../../src/capacity/memory.js';
import { projectMemory } from '../../src/capacity/memory-projection.js';
import { runCapacity } from '../../src/capacity/run.js';
import { capacityDocumentSchema, type CapacityDocument } from '../../src/capacity/schema.js';
import { closeNode, connectNode, discoverNodes, targetCredentials } from '../../src/cluster/index.js';
import { generatePopulation, listTenants, openAdminSession, type AdminSession } from '../../src/provision/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// The capacity run end to end on a live cluster (runCapacity, what `cache-harness capacity` calls), made small:
// memory at 0.1% of maxKeys (10 keys per basic tenant-module, 100 per enterprise one) on 10 tenants per plan, a
// live placement sample of 60 tenants, and two sweeps of 1 s steps (a test may go below the command's 10 s floor).
// Then the check of the projection: a 200-tenant population in the default mix, provisioned and filled,
// against projectMemory from the measured figures: error ≤ 15% per master. Never a speed.
const FILL = 0.001;
const TENANTS = 200;
const MAX_ERROR = 0.15;

let tc: TestCluster;
let admin: AdminSession;
const lines: string[] = [];
const log = (l: string) => lines.push(l);

async function keysPerMaster(): Promise<number[]> {
  const masters = (await discoverNodes(tc.target)).filter((n) => n.role === 'master').sort((a, b) => a.port - b.port);
  return Promise.all(
    masters.map(async (m) => {
      const c = await connectNode(m, targetCredentials(tc.target));
      try {
        return await c.dbsize();
      } finally {
        await closeNode(c);
      }
    }),
  );
}

beforeAll(async () => {
  tc = await startTestCluster(70);
  admin = await openAdminSession(tc.target);
});
afterAll(async () => {
  console.log(lines.map((l) => `[capacity-run] ${l}`).join('\n'));
  await admin?.close();
  await tc?.stop();
});

describe('capacity run on a live cluster', () => {
  let doc: CapacityDocument;
  const population = generatePopulation({ count: TENANTS, prefix: 'pop' });

  it('measures memory, checks placement live, sweeps, projects, and leaves nothing behind', async () => {
    const before = await keysPerMaster();
    doc = capacityDocumentSchema.parse(
      await runCapacity({
        spec: tc.spec,
        target: tc.target,
        workload: buildWorkload(tc.spec, 'mobile'),
        population,
        populationSource: `${TENANTS} generated`,
        targetTenants: 10 * TENANTS,
        fill: FILL,
        tenantsPerPlan: 10,
        full: false,
        opsPerTenantS: 1,
        sweep: {
          stepSeconds: 1,
          warmupSeconds: 0.25,
          allowShortSteps: true,
          settle: false,
          tableSize: 4096,
          startRate: 500,
          maxRate: 1000,
          maxSteps: 3,
          bisections: 1,
          scopes: ['cluster', 0],
        },
        liveSampleSize: 60,
        log,
      }),
    );
    // Bytes per tenant rise with the plan.
    const perTenant = doc.memory.bytes_per_tenant;
    expect(perTenant.basic).toBeGreaterThan(0);
    expect(perTenant.pro).toBeGreaterThan(perTenant.basic ?? 0);
    expect(perTenant.enterprise).toBeGreaterThan(perTenant.pro ?? 0);
    // The live sample lands where the spec says (module-shard: a module's keys on one master, whatever the tenant).
    for (const s of doc.placement.shards) {
      expect(s.live_key_share, s.name).not.toBeNull();
      expect(Math.abs((s.live_key_share ?? 0) - s.key_share), s.name).toBeLessThanOrEqual(0.02);
    }
    // crm and whatsapp (in every plan) share a master: it takes the most keys and ops, in the projection too.
    const hot = doc.placement.shards.find((s) => s.modules.includes('crm') && s.modules.includes('whatsapp'));
    expect(hot, JSON.stringify(doc.placement.shards)).toBeDefined();
    const byOps = [...doc.projection.shards].sort((a, b) => b.ops_per_s - a.ops_per_s);
    expect(byOps[0]?.name).toBe(hot?.name);
    expect(Math.max(...doc.placement.shards.map((s) => s.key_share))).toBe(hot?.key_share);
    // Two real sweeps, named as the projection names shards; the cluster's knee is the document's.
    expect(doc.sweeps.map((s) => s.scope)).toEqual(['cluster', (await readTopology(tc.target)).masters[0]?.name]);
    for (const s of doc.sweeps) expect(s.steps.length, s.scope).toBeGreaterThan(0);
    expect(doc.knee).toEqual(doc.sweeps[0]?.knee);
    expect(doc.steps).toEqual(doc.sweeps[0]?.steps);
    expect(doc.projection.shards.find((s) => s.name === doc.sweeps[1]?.scope)?.knee_ops_per_s).toBe(doc.sweeps[1]?.knee?.ops_per_s ?? null);
    expect(doc.projection.tenants).toBe(TENANTS);
    expect(doc.projection.target_tenants).toBe(10 * TENANTS);
    // Nothing left: no tenant, no key.
    expect((await listTenants(admin)).tenants).toEqual([]);
    expect(await keysPerMaster()).toEqual(before);
  }, 90_000);

  it(`projectMemory for ${TENANTS} tenants at ${FILL * 100}% fill is within ${MAX_ERROR * 100}% of the measured growth per master`, async () => {
    expect(doc, 'the capacity run above did not finish').toBeDefined();
    const before = await memoryByMaster(admin, tc.spec);
    const tenants = await provisionMeasured(admin, tc.spec, population);
    const items = tenants.flatMap((t) =>
      t.meta.modules.map((module) => ({ tenant: t, module, from: 0, to: keysAtFill(t.meta.maxKeys, FILL) })),
    );
    const tally = await fillTenantModules(tc.spec, tc.target, items, { parallel: 8, inFlight: 8 });
    const after = await memoryByMaster(admin, tc.spec);
    expect(tally.keys).toBe(items.reduce((a, i) => a + i.to - i.from, 0));

    const projected = projectMemory(tc.spec, doc.memory, population);
    const total = { measured: 0, projected: 0 };
    const rows = projected.map((p) => {
      const measured = (after[p.name] ?? 0) - (before[p.name] ?? 0);
      total.measured += measured;
      total.projected += p.memory_bytes;
      return { name: p.name, measured, projected: p.memory_bytes, error: (p.memory_bytes - measured) / measured };
    });
    const totalError = (total.projected - total.measured) / total.measured;
    for (const r of rows)
      log(`${r.name}: measured ${r.measured} B, projected ${Math.round(r.projected)} B, error ${(r.error * 100).toFixed(1)}%`);
    log(`total: measured ${total.measured} B, projected ${Math.round(total.projected)} B, error ${(totalError * 100).toFixed(1)}%`);
    for (const r of rows.filter((x) => x.measured >= 0.05 * total.measured))
      expect(Math.abs(r.error), r.name).toBeLessThanOrEqual(MAX_ERROR);
    expect(Math.abs(totalError)).toBeLessThanOrEqual(MAX_ERROR);
  }, 60_000);
});
