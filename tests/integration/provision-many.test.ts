import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectGeneratedUsersEverywhere } from '../support/acl-users.js';
import {
  createTenant,
  generatePopulation,
  limitsKeysOf,
  listTenants,
  openAdminSession,
  provisionMany,
  removeTenant,
  sampleKeys,
  usersOn,
  writeSampleKeys,
  type AdminSession,
} from '../../src/provision/index.js';
import type { TenantMeta } from '../../src/tenancy/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// A generated population over several batches, then removals on the populated cluster. The same runs at
// 10,000 tenants, with rates and timings: `npm run bench:provision`.
const COUNT = 250;
const CHUNK = 100; // three meta batches and ACL pipelines of 100, 100 and 50

let tc: TestCluster;
let admin: AdminSession;

beforeAll(async () => {
  tc = await startTestCluster(1);
  admin = await openAdminSession(tc.target);
});
afterAll(async () => {
  await admin?.close();
  await tc?.stop();
});

const dbsize = async () => (await Promise.all(admin.masters.map((m) => m.client.dbsize()))).reduce((a, b) => a + b, 0);
const generated = (m: TenantMeta) => /^t\d{6}$/.test(m.tenant);

describe(`provisioning ${COUNT} generated tenants on the 6-node local cluster`, () => {
  it(`provisionMany in batches of ${CHUNK}: every meta and ACL user on all 6 nodes, persisted to each users.acl, in the plan mix`, async () => {
    const r = await provisionMany(admin, tc.spec, generatePopulation({ count: COUNT }), { chunk: CHUNK });
    expect(r.created).toHaveLength(COUNT);
    expect(r.existing).toEqual([]);
    expect(r.conflicts).toEqual([]);
    expect(r.nodes).toBe(6);
    expect(new Set(r.created.map((c) => c.password)).size).toBe(COUNT);

    const { tenants, invalid } = await listTenants(admin);
    expect(invalid).toEqual([]);
    expect(tenants.filter(generated)).toHaveLength(COUNT);
    const plans = tenants.filter(generated).reduce<Record<string, number>>((a, m) => ({ ...a, [m.plan]: (a[m.plan] ?? 0) + 1 }), {});
    expect(plans).toEqual({ basic: 150, pro: 75, enterprise: 25 });

    await expectGeneratedUsersEverywhere(admin, tc, COUNT);

    const again = await provisionMany(admin, tc.spec, generatePopulation({ count: COUNT }), { chunk: CHUNK });
    expect(again.created).toEqual([]);
    expect(again.existing).toHaveLength(COUNT);
  });

  it("remove on a populated cluster: exactly the tenant's keys, big or small; a create afterwards still works", async () => {
    const { tenants } = await listTenants(admin);
    for (const m of tenants.filter(generated).slice(0, 50)) await writeSampleKeys(admin.cluster, sampleKeys(tc.spec, m, 1));
    const big = tenants.find((m) => m.plan === 'enterprise');
    const small = tenants.find((m) => m.plan === 'basic');
    if (!big || !small) throw new Error('the population has no enterprise or basic tenant');
    const bigKeys = sampleKeys(tc.spec, big, 20);
    await writeSampleKeys(admin.cluster, bigKeys);

    const before = await dbsize();
    const rBig = await removeTenant(admin, big.tenant);
    expect(rBig.totalKeys).toBe(bigKeys.length);
    // its keys, its meta, and the quota limits key of each of its modules
    expect(await dbsize()).toBe(before - bigKeys.length - 1 - limitsKeysOf(big).length);

    const rSmall = await removeTenant(admin, small.tenant);
    expect(rSmall.totalKeys).toBe(sampleKeys(tc.spec, small, 1).length);

    const one = await createTenant(admin, tc.spec, { id: 'late-comer', plan: 'pro' });
    expect(one.status).toBe('created');
    for (const n of admin.nodes) expect([...(await usersOn(n))], n.address).toContain('tenant-late-comer');
  });
});
