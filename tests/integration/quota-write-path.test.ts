import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDataKey,
  limitsKeyOf,
  parseDataType,
  parseModule,
  parseTenantId,
  placeTenantModule,
  quotaLimitsFromSpec,
  writeQuotaLimits,
} from '../../src/tenancy/index.js';
import { closeQuotaCluster, openQuotaCluster } from '../../src/tenancy/quota-cluster.js';
import { loadQuotaScripts, quotaKeysFor, quotaSet, type QuotaKeys } from '../../src/tenancy/quota-script.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// Many quota writes in flight over several tenant-modules (all three masters), autopipelined: the count
// stays exact. What the script costs next to plain SET EX: `npm run bench:quota`.
const TENANT_MODULES = 10;
const KEYS_PER_TM = 50;
const CONCURRENCY = 16;
const MODULES = ['crm', 'whatsapp', 'agendamento', 'marketing', 'analytics'];

let c: TestCluster;
let client: Cluster;
let keysOf: (i: number) => QuotaKeys;
let quotaKeys: string[];

beforeAll(async () => {
  c = await startTestCluster(2);
  client = await openQuotaCluster({ seeds: c.target.seeds, password: c.run.password, autoPipelining: true });
  await loadQuotaScripts(client);
  const tms = Array.from({ length: TENANT_MODULES }, (_, i) => {
    const tenant = parseTenantId(`qwp${String(i).padStart(2, '0')}`);
    const module = parseModule(c.spec, MODULES[i % MODULES.length] ?? 'crm');
    const placement = placeTenantModule(c.spec, tenant, module);
    return { tenant, module, placement, dt: parseDataType(c.spec, module, 'sync') };
  });
  // The limits keys provisioning would write (maxKeys high enough never to refuse; TTL ceilings from the spec).
  await Promise.all(
    tms.map((tm) =>
      writeQuotaLimits(client, limitsKeyOf(tm.tenant, tm.module, tm.placement), quotaLimitsFromSpec(c.spec, tm.module, 1_000_000)),
    ),
  );
  keysOf = (i) => {
    const k = i % (TENANT_MODULES * KEYS_PER_TM);
    const tm = tms[k % TENANT_MODULES];
    if (!tm) throw new Error('no tenant-module');
    return quotaKeysFor(
      tm.tenant,
      tm.module,
      tm.placement,
      buildDataKey(tm.tenant, tm.module, tm.placement, tm.dt, `k-${Math.floor(k / TENANT_MODULES)}`),
    );
  };
  quotaKeys = Array.from({ length: TENANT_MODULES }, (_, i) => keysOf(i).quotaKey);
});
afterAll(async () => {
  if (client) await closeQuotaCluster(client);
  await c?.stop();
});

/** `count` quota writes with `CONCURRENCY` in flight; how many created a key. */
async function writeAll(count: number): Promise<number> {
  let next = 0;
  let created = 0;
  const worker = async () => {
    while (next < count) {
      const r = await quotaSet(client, keysOf(next++), 'x'.repeat(64), 1800);
      if (r.created) created++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return created;
}

describe('quota write path under concurrency', () => {
  it('the tenant-modules are served by all three masters', async () => {
    const owners = await Promise.all(quotaKeys.map(async (k) => client.slots[Number(await client.call('CLUSTER', 'KEYSLOT', k))]?.[0]));
    expect(new Set(owners).size).toBe(3);
  });

  it(`two passes over ${TENANT_MODULES} x ${KEYS_PER_TM} keys, ${CONCURRENCY} in flight: the first creates each key once, the second only overwrites; each zset holds exactly its keys`, async () => {
    const total = TENANT_MODULES * KEYS_PER_TM;
    expect(await writeAll(total)).toBe(total);
    expect(await writeAll(total)).toBe(0);
    for (const q of quotaKeys) expect(await client.zcard(q), q).toBe(KEYS_PER_TM);
    for (const i of [0, 1, total - 1]) {
      const ttl = await client.ttl(keysOf(i).dataKey);
      expect(ttl).toBeGreaterThan(1700);
      expect(ttl).toBeLessThanOrEqual(1800);
    }
  });
});
