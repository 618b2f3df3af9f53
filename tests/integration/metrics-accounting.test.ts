import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountUsage, type AccountingOptions, type UsageSnapshot } from '../../src/metrics/index.js';
import {
  ACCOUNTING_MODULES,
  FOREIGN_KEYS,
  LIMITS_KEYS,
  openAccountingKeyspace,
  QUOTA_KEYS,
  type AccountingKeyspace,
} from '../support/accounting-keys.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// What accounting counts, on a small keyspace. Its speed over 1M keys: `npm run bench:accounting`.
const TENANTS = 40;
const KEYS_PER_TM = 100;

let c: TestCluster;
let keyspace: AccountingKeyspace;

beforeAll(async () => {
  c = await startTestCluster(1);
  keyspace = await openAccountingKeyspace(c, { tenants: TENANTS, keysPerTenantModule: KEYS_PER_TM, budgetMs: 60_000 });
});
afterAll(async () => {
  await keyspace?.close();
  await c?.stop();
});

/** A seeded random source, so the sampled keys (and the estimate) are the same on every run. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe(`usage accounting (${TENANTS} tenants x ${ACCOUNTING_MODULES.length} modules x ${KEYS_PER_TM} keys)`, () => {
  let snap: UsageSnapshot;

  it('populates the keyspace', async () => {
    await keyspace.populate();
    expect((await keyspace.dbsizes()).reduce((a, b) => a + b, 0)).toBe(keyspace.totalKeys);
  });

  it('counts every tenant-module exactly, excludes the quota zset, reads the plan limits', async () => {
    snap = await accountUsage(c.target, { random: seeded(1) });
    expect(snap.keysScanned).toBe(keyspace.totalKeys);
    expect(snap.quotaKeys).toBe(1);
    expect(snap.metaKeys).toBe(TENANTS);
    expect(snap.otherKeys).toBe(FOREIGN_KEYS + LIMITS_KEYS);
    expect(snap.malformedKeys).toBe(0);
    const bulk = snap.tenantModules.filter((r) => ACCOUNTING_MODULES.includes(r.module));
    expect(bulk).toHaveLength(TENANTS * ACCOUNTING_MODULES.length);
    for (const r of bulk) {
      expect(r, `${r.tenant}/${r.module}`).toMatchObject({
        keys: KEYS_PER_TM,
        plan: 'pro',
        keysLimit: 50_000,
        memoryLimitBytes: 50 * 1024 * 1024,
        inPlan: true,
      });
      expect(r.keysRatio, `${r.tenant}/${r.module}`).toBe(KEYS_PER_TM / 50_000);
    }
    const fin = snap.tenantModules.find((r) => r.tenant === 'acct000' && r.module === 'financeiro');
    expect(fin).toMatchObject({ keys: QUOTA_KEYS, inPlan: false });
    expect(fin?.quotaKeyBytes).toBeGreaterThan(0);
    expect(snap.tenants).toHaveLength(TENANTS);
  });

  it('the sampled byte estimate is close to the exact MEMORY USAGE sum (one tenant-module measured key by key)', async () => {
    const row = snap.tenantModules.find((r) => r.tenant === 'acct007' && r.module === 'crm');
    if (!row) throw new Error('no row for acct007/crm');
    const exact = await keyspace.exactBytes('acct007', 'crm');
    expect(row.sampledKeys).toBeGreaterThan(0);
    expect(row.sampledKeys).toBeLessThanOrEqual(KEYS_PER_TM);
    expect(Math.abs(row.bytesEstimate - exact) / exact).toBeLessThan(0.25);
  });

  it('SCAN COUNT 1000 or 5000, dedupe on or off: the same keys and the same counts per tenant-module', async () => {
    const counts = (s: UsageSnapshot) => s.tenantModules.map((r) => `${r.tenant}/${r.module}=${r.keys}`).sort();
    const configs: AccountingOptions[] = [{ scanCount: 1000, dedupe: false }, { scanCount: 5000 }, { scanCount: 5000, dedupe: false }];
    for (const opts of configs) {
      const s = await accountUsage(c.target, opts);
      expect(s.keysScanned, JSON.stringify(opts)).toBe(snap.keysScanned);
      expect(counts(s), JSON.stringify(opts)).toEqual(counts(snap));
    }
  });
});
