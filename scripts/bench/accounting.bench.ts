import { afterAll, beforeAll, expect, test } from 'vitest';
import { accountUsage, type AccountingOptions } from '../../src/metrics/index.js';
import { openAccountingKeyspace, type AccountingKeyspace } from '../../tests/support/accounting-keys.js';
import { startTestCluster, type TestCluster } from '../../tests/support/cluster.js';

// Usage accounting over 1,000,000 data keys (40 tenants x 5 modules x 5,000 keys) on the 6-node local
// cluster: how fast the keys are written (pipelined), how fast one accounting pass SCANs them, how close
// the sampled byte estimate is, and what SCAN COUNT and dedupe cost. Figures only; the counts are checked.
const TENANTS = 40;
const KEYS_PER_TM = 5000;
const ROUNDS = 2;

let c: TestCluster;
let keyspace: AccountingKeyspace;
const figure = (line: string) => {
  console.log(`[bench:accounting] ${line}`);
};

beforeAll(async () => {
  c = await startTestCluster(1);
  keyspace = await openAccountingKeyspace(c, { tenants: TENANTS, keysPerTenantModule: KEYS_PER_TM, budgetMs: 150_000 });
});
afterAll(async () => {
  await keyspace?.close();
  await c?.stop();
});

test(`accounting over ${(TENANTS * 5 * KEYS_PER_TM).toLocaleString('en')} keys`, async () => {
  const populateMs = await keyspace.populate();
  const dbsizes = await keyspace.dbsizes();
  figure(
    `populated ${keyspace.dataKeys} keys in ${populateMs} ms (${Math.round(keyspace.dataKeys / (populateMs / 1000))} keys/s pipelined); DBSIZE per master ${dbsizes.join(' / ')}`,
  );
  expect(dbsizes.reduce((a, b) => a + b, 0)).toBe(keyspace.totalKeys);

  await keyspace.quiesce();
  const t0 = Date.now();
  const snap = await accountUsage(c.target);
  const ms = Date.now() - t0;
  figure(
    `accounted ${snap.keysScanned} keys on ${snap.masters.length} masters in ${ms} ms (${Math.round(snap.keysScanned / (ms / 1000))} keys/s; SCAN COUNT 1000, dedupe on, ` +
      `${snap.masters.reduce((a, m) => a + m.scanCalls, 0)} SCAN calls, ${snap.tenantModules.reduce((a, r) => a + r.sampledKeys, 0)} MEMORY USAGE samples)`,
  );
  expect(snap.keysScanned).toBe(keyspace.totalKeys);

  const row = snap.tenantModules.find((r) => r.tenant === 'acct007' && r.module === 'crm');
  const exact = await keyspace.exactBytes('acct007', 'crm');
  figure(
    `acct007/crm bytes: estimate ${row?.bytesEstimate} from ${row?.sampledKeys} samples vs exact ${exact} (${((((row?.bytesEstimate ?? 0) - exact) / exact) * 100).toFixed(1)}%)`,
  );

  const configs: AccountingOptions[] = [
    { scanCount: 1000 },
    { scanCount: 1000, dedupe: false },
    { scanCount: 5000 },
    { scanCount: 5000, dedupe: false },
  ];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const opts of configs) {
      await keyspace.quiesce();
      const t = Date.now();
      const s = await accountUsage(c.target, opts);
      const took = Date.now() - t;
      figure(
        `round ${round} ${JSON.stringify(opts)}: ${s.keysScanned} keys in ${took} ms (${Math.round(s.keysScanned / (took / 1000))} keys/s), SCAN duplicates: ${s.masters.reduce((a, m) => a + m.duplicates, 0)}`,
      );
      expect(s.keysScanned).toBe(snap.keysScanned);
    }
  }
});
