import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeNode, connectNode, discoverNodes, type ClusterNodeInfo } from '../../src/cluster/index.js';
import { accountUsage, type UsageSnapshot } from '../../src/metrics/index.js';
import { aclUserName, buildDataKey, metaKey, parseDataType, parseModule, parseTenantId, placeTenantModule, ttlTable, type ModuleName, type TenantId, type TenantMeta } from '../../src/tenancy/index.js';
import { closeQuotaCluster, openQuotaCluster } from '../../src/tenancy/quota-cluster.js';
import { quotaKeysFor, quotaSet } from '../../src/tenancy/quota-script.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// 1,000,000 data keys: 40 tenants x 5 modules x 5,000 keys, values of 16-200 bytes, written with
// pipelines straight to the master owning each tenant-module's slot. Then one accounting pass.
const TENANTS = 40;
const MODULES = ['crm', 'whatsapp', 'agendamento', 'marketing', 'analytics'];
const KEYS_PER_TM = 5000;
const TOTAL = TENANTS * MODULES.length * KEYS_PER_TM;
const PIPELINE = 5000;
const POPULATE_BUDGET_MS = 150_000;

let c: TestCluster;
let masters: Array<{ info: ClusterNodeInfo; client: Redis }> = [];

beforeAll(async () => {
  c = await startTestCluster(1);
  const infos = (await discoverNodes(c.target)).filter((n) => n.role === 'master');
  masters = await Promise.all(infos.map(async (info) => ({ info, client: await connectNode({ host: '127.0.0.1', port: info.port }, { password: c.run.password }) })));
});
afterAll(async () => {
  await Promise.all(masters.map((m) => closeNode(m.client)));
  await c?.stop();
});

function masterOf(slot: number): Redis {
  const m = masters.find((x) => x.info.slots.some(([a, b]) => slot >= a && slot <= b));
  if (!m) throw new Error(`no master for slot ${slot}`);
  return m.client;
}

function metaFor(tenant: TenantId, plan: 'pro'): TenantMeta {
  const p = c.spec.plans[plan];
  if (!p) throw new Error('no plan');
  return {
    version: 1, tenant, plan, modules: p.modules, maxKeys: p.maxKeys, maxMemoryMB: p.maxMemoryMB, channel: 'mobile',
    ttl: Object.fromEntries(p.modules.map((m) => [m, ttlTable(c.spec, parseModule(c.spec, m), 'mobile')])),
    placement: { strategy: 'module-shard', modules: Object.fromEntries(p.modules.map((m) => [m, (({ tag, slot }) => ({ tag, slot }))(placeTenantModule(c.spec, tenant, parseModule(c.spec, m)))])) },
    aclUser: aclUserName(tenant), createdAt: new Date().toISOString(),
  };
}

/** Wait (bounded) until no master is forking for BGSAVE or an AOF rewrite, so the timings measure the scan. */
async function quiesce(): Promise<void> {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const busy = await Promise.all(masters.map(async (m) => /(rdb_bgsave_in_progress|aof_rewrite_in_progress):1/.test(await m.client.info('persistence'))));
    if (!busy.includes(true)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Deterministic value lengths 16..200 so the byte estimate has something to estimate. */
function value(i: number): string {
  return 'v'.repeat(16 + ((i * 7919) % 185));
}

describe('usage accounting over 1M keys', () => {
  let snap: UsageSnapshot;

  it(`populates ${TOTAL.toLocaleString('en')} keys with pipelined writes (bounded)`, async () => {
    const t0 = Date.now();
    const perMaster = new Map<Redis, Array<{ tenant: TenantId; module: ModuleName; prefixKey: (i: number) => string }>>();
    for (let t = 0; t < TENANTS; t++) {
      const tenant = parseTenantId(`acct${String(t).padStart(3, '0')}`);
      for (const raw of MODULES) {
        const module = parseModule(c.spec, raw);
        const placement = placeTenantModule(c.spec, tenant, module);
        const dt = parseDataType(c.spec, module, Object.keys(c.spec.modules[raw]?.dataTypes ?? {})[0] ?? 'sync');
        const client = masterOf(placement.slot ?? -1);
        const list = perMaster.get(client) ?? [];
        list.push({ tenant, module, prefixKey: (i) => buildDataKey(tenant, module, placement, dt, `item-${i}`) });
        perMaster.set(client, list);
      }
    }
    await Promise.all([...perMaster].map(async ([client, tms]) => {
      for (const tm of tms) {
        for (let off = 0; off < KEYS_PER_TM; off += PIPELINE) {
          if (Date.now() - t0 > POPULATE_BUDGET_MS) throw new Error(`populating took over ${POPULATE_BUDGET_MS} ms`);
          const p = client.pipeline();
          for (let i = off; i < Math.min(off + PIPELINE, KEYS_PER_TM); i++) p.set(tm.prefixKey(i), value(i), 'EX', 3600);
          const res = await p.exec();
          const failed = (res ?? []).filter(([err]) => err);
          if (failed.length) throw new Error(`${failed.length} writes failed: ${String(failed[0]?.[0])}`);
        }
      }
    }));
    const populateMs = Date.now() - t0;
    // metas (one per tenant) through the cluster client; 100 quota-tracked keys in one more tenant-module; 10 foreign keys
    const admin = await openQuotaCluster({ seeds: c.target.seeds, password: c.run.password });
    try {
      for (let t = 0; t < TENANTS; t++) {
        const tenant = parseTenantId(`acct${String(t).padStart(3, '0')}`);
        await admin.set(metaKey(tenant), JSON.stringify(metaFor(tenant, 'pro')));
      }
      const qt = parseTenantId('acct000');
      const fin = parseModule(c.spec, 'financeiro');
      const qp = placeTenantModule(c.spec, qt, fin);
      for (let i = 0; i < 100; i++) await quotaSet(admin, quotaKeysFor(qt, fin, qp, buildDataKey(qt, fin, qp, parseDataType(c.spec, fin, 'invoices'), `q${i}`)), 'x', 600, 1000);
      for (let i = 0; i < 10; i++) await admin.set(`bench:foreign:${i}`, 'x', 'EX', 600);
    } finally {
      await closeQuotaCluster(admin);
    }
    const dbsizes = await Promise.all(masters.map((m) => m.client.dbsize()));
    console.log(`[metrics-accounting] populated ${TOTAL} keys in ${populateMs} ms (${Math.round(TOTAL / (populateMs / 1000))} keys/s pipelined); DBSIZE per master ${dbsizes.join(' / ')}`);
    expect(dbsizes.reduce((a, b) => a + b, 0)).toBe(TOTAL + TENANTS + 100 + 1 + 10);
  }, 200_000);

  it('counts every tenant-module exactly, excludes the quota zset, reads the plan limits', async () => {
    await quiesce();
    const t0 = Date.now();
    snap = await accountUsage(c.target);
    const ms = Date.now() - t0;
    console.log(`[metrics-accounting] accounted ${snap.keysScanned} keys on ${snap.masters.length} masters in ${ms} ms `
      + `(${Math.round(snap.keysScanned / (ms / 1000))} keys/s; SCAN COUNT 1000, dedupe on, ${snap.masters.reduce((a, m) => a + m.scanCalls, 0)} SCAN calls, `
      + `${snap.tenantModules.reduce((a, r) => a + r.sampledKeys, 0)} MEMORY USAGE samples)`);
    expect(snap.keysScanned).toBe(TOTAL + TENANTS + 100 + 1 + 10);
    expect(snap.quotaKeys).toBe(1);
    expect(snap.metaKeys).toBe(TENANTS);
    expect(snap.otherKeys).toBe(10);
    expect(snap.malformedKeys).toBe(0);
    const bulk = snap.tenantModules.filter((r) => MODULES.includes(r.module));
    expect(bulk).toHaveLength(TENANTS * MODULES.length);
    expect(bulk.every((r) => r.keys === KEYS_PER_TM && r.plan === 'pro' && r.keysLimit === 50_000 && r.keysRatio === 0.1 && r.memoryLimitBytes === 50 * 1024 * 1024 && r.inPlan)).toBe(true);
    const fin = snap.tenantModules.find((r) => r.tenant === 'acct000' && r.module === 'financeiro');
    expect(fin).toMatchObject({ keys: 100, inPlan: false });
    expect(fin?.quotaKeyBytes).toBeGreaterThan(0);
    expect(snap.tenants).toHaveLength(TENANTS);
  }, 120_000);

  it('the sampled byte estimate is close to the exact MEMORY USAGE sum (one tenant-module measured key by key)', async () => {
    const row = snap.tenantModules.find((r) => r.tenant === 'acct007' && r.module === 'crm');
    if (!row) throw new Error('no row');
    const tenant = parseTenantId('acct007');
    const crm = parseModule(c.spec, 'crm');
    const placement = placeTenantModule(c.spec, tenant, crm);
    const client = masterOf(placement.slot ?? -1);
    const p = client.pipeline();
    for (let i = 0; i < KEYS_PER_TM; i++) p.call('MEMORY', 'USAGE', buildDataKey(tenant, crm, placement, parseDataType(c.spec, crm, 'users'), `item-${i}`));
    const exact = ((await p.exec()) ?? []).reduce((a, [, v]) => a + Number(v), 0);
    const err = (row.bytesEstimate - exact) / exact;
    console.log(`[metrics-accounting] acct007/crm bytes: estimate ${row.bytesEstimate} from ${row.sampledKeys} samples vs exact ${exact} (${(err * 100).toFixed(1)}%)`);
    expect(Math.abs(err)).toBeLessThan(0.25);
  }, 60_000);

  it('cost of the options: SCAN COUNT 1000 / 5000, dedupe on / off, two rounds (figures only)', async () => {
    const configs = [{ scanCount: 1000 }, { scanCount: 1000, dedupe: false }, { scanCount: 5000 }, { scanCount: 5000, dedupe: false }];
    for (let round = 1; round <= 2; round++) {
      for (const opts of configs) {
        const t0 = Date.now();
        const s = await accountUsage(c.target, opts);
        const ms = Date.now() - t0;
        console.log(`[metrics-accounting] round ${round} ${JSON.stringify(opts)}: ${s.keysScanned} keys in ${ms} ms (${Math.round(s.keysScanned / (ms / 1000))} keys/s), SCAN duplicates: ${s.masters.reduce((a, m) => a + m.duplicates, 0)}`);
        expect(s.keysScanned).toBe(snap.keysScanned);
      }
    }
  }, 120_000);
});
