import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeNode, isPortFree } from '../../src/cluster/index.js';
import { accountUsage, startExporter, TenantMetrics, type Exporter, type TenantModuleUsage } from '../../src/metrics/index.js';
import { connectAsTenant, createTenant, openAdminSession, type AdminSession } from '../../src/provision/index.js';
import {
  modulePlacement,
  parseModule,
  quotaCount,
  quotaKeyOf,
  quotaReconcile,
  TenantCache,
  type TenantMeta,
} from '../../src/tenancy/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// Issue 10: a tenant's ACL grants ZADD on its own quota zsets (the quota scripts run with the caller's ACL),
// and they have no TTL, so a hostile tenant can fill them with members eviction never reclaims. Redis cannot
// refuse it per tenant; the admin side sees it: quotaEntries (ZCARD) above maxKeys, which the scripts never
// reach, is redis_client_quota_entries above redis_client_keys_limit (alert TenantQuotaIndexTampered).

const HTTP_BASE = Number(process.env.CACHE_HARNESS_HTTP_PORT_BASE ?? 9190) + 150;
const REAL_KEYS = 5;

let c: TestCluster;
let session: AdminSession;
let exporter: Exporter | undefined;
const closers: Array<() => Promise<void>> = [];

/** A tenant made by the real provisioner (`tenant create`): meta key, limits keys, ACL user, quota scripts. */
async function provision(id: string): Promise<{ meta: TenantMeta; password: string }> {
  const r = await createTenant(session, c.spec, { id, plan: 'basic', channel: 'mobile' });
  if (r.status !== 'created') throw new Error(`tenant ${id}: expected a new tenant, got ${r.status}`);
  return { meta: r.meta, password: r.password };
}

/** REAL_KEYS crm keys written through TenantCache (the quota scripts), as the tenant's own ACL user. */
async function writeThroughCache(t: { meta: TenantMeta; password: string }): Promise<TenantCache> {
  const cache = await TenantCache.open({
    spec: c.spec,
    seeds: c.target.seeds,
    tenant: t.meta.tenant,
    module: 'crm',
    channel: t.meta.channel,
    aclUser: t.meta.aclUser,
    password: t.password,
    meta: t.meta,
  });
  closers.push(() => cache.close());
  for (let i = 0; i < REAL_KEYS; i++) await cache.set('users', `u${i}`, { id: i });
  return cache;
}

function crmQuotaKey(meta: TenantMeta): string {
  return quotaKeyOf(meta.tenant, parseModule(c.spec, 'crm'), modulePlacement(meta, 'crm'));
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  c = await startTestCluster(0);
  session = await openAdminSession(c.target);
});
afterAll(async () => {
  await exporter?.close();
  for (const close of closers) await close();
  await session?.close();
  await c?.stop();
});

describe('a tenant ZADDing junk into its own quota zset is seen admin-side', () => {
  let hostile: { meta: TenantMeta; password: string };
  let hostileCache: TenantCache;
  let maxKeys: number;

  it('writes through the scripts keep ZCARD at the keys written; the tenant then ZADDs maxKeys + 50 junk members with its own ACL user', async () => {
    hostile = await provision('tamperer');
    const honest = await provision('honest');
    maxKeys = hostile.meta.maxKeys;
    hostileCache = await writeThroughCache(hostile);
    await writeThroughCache(honest);
    const zkey = crmQuotaKey(hostile.meta);
    expect(await session.cluster.zcard(zkey)).toBe(REAL_KEYS);

    const tenant: Cluster = await connectAsTenant(c.target, hostile.meta.aclUser, hostile.password);
    closers.push(() => closeNode(tenant));
    const junk = maxKeys + 50;
    const farFuture = Date.now() + 365 * 24 * 3600 * 1000; // "live" members: they also fill the tenant's own quota
    for (let from = 0; from < junk; from += 1000) {
      const args: Array<string | number> = [];
      for (let i = from; i < Math.min(junk, from + 1000); i++) args.push(farFuture, `users:junk${i}`);
      expect(await tenant.zadd(zkey, ...args)).toBe(args.length / 2);
    }
    expect(await session.cluster.zcard(zkey)).toBe(REAL_KEYS + junk);
    expect(await session.cluster.ttl(zkey)).toBe(-1); // no TTL: volatile-* eviction never picks it
  });

  it('accountUsage reports quotaEntries above keysLimit for it, and not for the honest tenant', async () => {
    const snap = await accountUsage(c.target, { modules: Object.keys(c.spec.modules) });
    const row = (t: string): TenantModuleUsage | undefined => snap.tenantModules.find((r) => r.tenant === t && r.module === 'crm');
    expect(row('tamperer')).toMatchObject({ keys: REAL_KEYS, keysLimit: maxKeys, quotaEntries: REAL_KEYS + maxKeys + 50 });
    expect(row('tamperer')?.quotaEntriesRatio).toBeGreaterThan(1);
    expect(row('honest')).toMatchObject({ keys: REAL_KEYS, keysLimit: maxKeys, quotaEntries: REAL_KEYS });
    expect(row('honest')?.quotaEntriesRatio).toBeLessThanOrEqual(1);
  });

  it("the exporter's /metrics has redis_client_quota_entries above redis_client_keys_limit for it", async () => {
    let port = HTTP_BASE;
    while (!(await isPortFree(port))) if (++port >= HTTP_BASE + 10) throw new Error(`no free port in ${HTTP_BASE}-${HTTP_BASE + 9}`);
    exporter = await startExporter({
      port,
      metrics: new TenantMetrics(),
      target: c.target,
      intervalSeconds: 3600,
      modules: Object.keys(c.spec.modules),
    });
    expect(await exporter.refresh()).not.toBeNull();
    const res = await fetch(exporter.url);
    expect(res.status).toBe(200);
    const text = await res.text();
    const labels = (t: string) => `{client_id="${t}",module="crm",plan="basic"}`;
    const entries = sample(text, `redis_client_quota_entries${labels('tamperer')}`);
    const limit = sample(text, `redis_client_keys_limit${labels('tamperer')}`);
    expect(limit).toBe(maxKeys);
    expect(entries).toBe(REAL_KEYS + maxKeys + 50);
    expect(sample(text, `redis_client_quota_entries${labels('honest')}`)).toBe(REAL_KEYS);
    expect(sample(text, `redis_client_keys_total${labels('tamperer')}`)).toBe(REAL_KEYS); // SCAN counts real keys only
  });

  it("the admin's quotaReconcile drops the junk (no such keys): ZCARD back to the real keys, which stay readable", async () => {
    const zkey = crmQuotaKey(hostile.meta);
    // the junk is "live": the tenant's own quota is full until the admin reconciles
    expect(await quotaCount(session.cluster, zkey)).toBe(REAL_KEYS + maxKeys + 50);
    const r = await quotaReconcile(session.cluster, zkey);
    expect(r.removed).toBe(maxKeys + 50);
    expect(await session.cluster.zcard(zkey)).toBe(REAL_KEYS);
    expect(await hostileCache.get('users', 'u0')).toEqual({ id: 0 });
    const snap = await accountUsage(c.target, { modules: Object.keys(c.spec.modules) });
    const row = snap.tenantModules.find((x) => x.tenant === 'tamperer' && x.module === 'crm');
    expect(row?.quotaEntries).toBe(REAL_KEYS);
    expect(row?.quotaEntriesRatio).toBeLessThanOrEqual(1);
  });

  it('a few fat members behind small ones (count within maxKeys) are measured exactly: memory over the plan, TenantMemoryHigh input', async () => {
    const zkey = crmQuotaKey(hostile.meta);
    const tenant: Cluster = await connectAsTenant(c.target, hostile.meta.aclUser, hostile.password);
    closers.push(() => closeNode(tenant));
    // 12 members of 1 MiB with high scores: Redis's default MEMORY USAGE samples the 5 lowest-scored (the real ones).
    const fat = 12;
    for (let i = 0; i < fat; i++)
      await tenant.zadd(zkey, Date.now() + 3_600_000 + i, `users:${String(i).padStart(4, '0')}${'f'.repeat(1024 * 1024)}`);
    const sampled = Number(await session.cluster.call('MEMORY', 'USAGE', zkey));
    const snap = await accountUsage(c.target, { modules: Object.keys(c.spec.modules) });
    const row = snap.tenantModules.find((x) => x.tenant === 'tamperer' && x.module === 'crm');
    expect(row?.quotaEntries).toBe(REAL_KEYS + fat); // the count alone does not see it
    expect(row?.quotaKeyBytes ?? 0).toBeGreaterThan(fat * 1024 * 1024);
    expect(sampled, 'what the default 5 samples would have said').toBeLessThan(fat * 1024 * 1024);
    expect(row?.memoryRatio ?? 0).toBeGreaterThan(1); // basic: 10 MB per tenant-module
    expect(await quotaReconcile(session.cluster, zkey)).toMatchObject({ removed: fat });
  });
});
