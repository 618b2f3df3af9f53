import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectGeneratedUsersEverywhere } from '../../tests/support/acl-users.js';
import {
  createTenant,
  generatePopulation,
  listTenants,
  openAdminSession,
  provisionMany,
  removeTenant,
  sampleKeys,
  writeSampleKeys,
  type AdminSession,
} from '../../src/provision/index.js';
import type { TenantMeta } from '../../src/tenancy/index.js';
import { startTestCluster, type TestCluster } from '../../tests/support/cluster.js';

// Provisioning 10,000 tenants on the 6-node local cluster, then removing tenants from the populated
// cluster: rates and timings are printed (goal: >= 2,000 tenants/s), counts are checked. Its behaviour at a
// small size: tests/integration/provision-many.test.ts.
const COUNT = 10_000;

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

const report = (line: string) => {
  console.log(`[bench:provision] ${line}`);
};
const dbsize = async () => (await Promise.all(admin.masters.map((m) => m.client.dbsize()))).reduce((a, b) => a + b, 0);

describe(`provisioning ${COUNT} tenants on the 6-node local cluster`, () => {
  it(`provisionMany: ${COUNT} metas + ACL users on all 6 nodes, persisted`, { timeout: 300_000 }, async () => {
    const pop = generatePopulation({ count: COUNT });
    const r = await provisionMany(admin, tc.spec, pop);
    const t = r.timingsMs;
    report(
      `${r.created.length} tenants in ${t.total.toFixed(0)} ms = ${(r.created.length / (t.total / 1000)).toFixed(0)} tenants/s ` +
        `(validate+build ${t.validate.toFixed(0)} ms, meta SET NX ${t.meta.toFixed(0)} ms, ACL SETUSER x${r.nodes} nodes ${t.acl.toFixed(0)} ms, ACL SAVE ${t.persist.toFixed(0)} ms)`,
    );
    expect(r.created).toHaveLength(COUNT);
    expect(r.nodes).toBe(6);
    expect(new Set(r.created.map((c) => c.password)).size).toBe(COUNT);

    const tl = performance.now();
    const { tenants, invalid } = await listTenants(admin);
    report(`list (SCAN tenant-meta:* on 3 masters + GETs): ${tenants.length} tenants in ${(performance.now() - tl).toFixed(0)} ms`);
    expect(invalid).toEqual([]);
    expect(tenants.filter((m) => /^t\d{6}$/.test(m.tenant))).toHaveLength(COUNT);
    const plans = tenants.reduce<Record<string, number>>((a, m) => ({ ...a, [m.plan]: (a[m.plan] ?? 0) + 1 }), {});
    expect(plans).toEqual({ basic: 6000, pro: 3000, enterprise: 1000 });

    await expectGeneratedUsersEverywhere(admin, tc, COUNT);
  });

  it('remove on a populated cluster: one big tenant and one small, timed', async () => {
    const { tenants } = await listTenants(admin);
    // Background data: 2,000 tenants with one key per (module, data type).
    const t0 = performance.now();
    let written = 0;
    for (const m of tenants.slice(0, 2000)) {
      const keys = sampleKeys(tc.spec, m, 1);
      await writeSampleKeys(admin.cluster, keys);
      written += keys.length;
    }
    const big = tenants.find((m) => m.plan === 'enterprise') as TenantMeta;
    const bigKeys = sampleKeys(tc.spec, big, 500);
    await writeSampleKeys(admin.cluster, bigKeys);
    report(
      `populated: ${written + bigKeys.length} data keys written in ${(performance.now() - t0).toFixed(0)} ms; ${await dbsize()} keys on the masters (incl. ${COUNT} metas)`,
    );

    const before = await dbsize();
    const rBig = await removeTenant(admin, big.tenant);
    report(
      `remove ${big.tenant} (${big.plan}): ${rBig.totalKeys} keys unlinked (${rBig.keysRemoved.map((k) => `${k.node}: ${k.keys}`).join(', ')}) in ${rBig.durationMs.toFixed(0)} ms, scanning ${before} keys`,
    );
    expect(rBig.totalKeys).toBe(bigKeys.length);
    expect(await dbsize()).toBe(before - bigKeys.length - 1);

    const small = tenants.find((m) => m.plan === 'basic') as TenantMeta;
    const smallCount = sampleKeys(tc.spec, small, 1).length;
    const rSmall = await removeTenant(admin, small.tenant);
    report(
      `remove ${small.tenant} (${small.plan}): ${rSmall.totalKeys} keys in ${rSmall.durationMs.toFixed(0)} ms (SCAN cost follows the whole keyspace, not the tenant)`,
    );
    expect(rSmall.totalKeys).toBe(smallCount);

    const tc1 = performance.now();
    const one = await createTenant(admin, tc.spec, { id: 'late-comer', plan: 'pro' });
    report(`one create with ${COUNT} users on every node (ACL SAVE rewrites the whole file): ${(performance.now() - tc1).toFixed(0)} ms`);
    expect(one.status).toBe('created');
  });
});
