import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeNode, connectNode, rangesContain } from '../../src/cluster/index.js';
import {
  buildDataKey,
  buildTenantMeta,
  InvalidKey,
  limitsKeyOf,
  mapQuotaError,
  QUOTA_MAX_KEYS_PER_CALL,
  quotaDelMany,
  NotProvisioned,
  quotaLimitsFromSpec,
  writeQuotaLimits,
  parseDataType,
  parseModule,
  parseTenantId,
  PermissionDenied,
  placeTenantModule,
  QuotaExceeded,
  slotOf,
  TenantCache,
  type TenantMeta,
} from '../../src/tenancy/index.js';
import { closeQuotaCluster, openQuotaCluster } from '../../src/tenancy/quota-cluster.js';
import {
  loadQuotaScripts,
  QUOTA_SCRIPTS,
  quotaCount,
  quotaDel,
  quotaKeyOf,
  quotaKeysFor,
  quotaReconcile,
  quotaSet,
  type QuotaKeys,
} from '../../src/tenancy/quota-script.js';
import { quotaWriteStrategy } from '../../src/tenancy/quota-strategy.js';
import { aclSetUserArgs, parsePlan, quotaSelector, sha256Hex } from '../../src/provision/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

const MAX = 50;
let c: TestCluster;
let admin: Cluster;
let nodes: Redis[] = [];

beforeAll(async () => {
  c = await startTestCluster(0);
  admin = await openQuotaCluster({ seeds: c.target.seeds, password: c.run.password });
  nodes = await Promise.all(c.run.state.nodes.map((n) => connectNode({ host: '127.0.0.1', port: n.port }, { password: c.run.password })));
});
afterAll(async () => {
  if (admin) await closeQuotaCluster(admin);
  await Promise.all(nodes.map((n) => closeNode(n)));
  await c?.stop();
});

/** A fresh tenant-module (own tenant id per test) with its limits key (maxKeys `max`), as provisioning writes it, and a key factory. */
async function tenantModule(tenantRaw: string, moduleRaw = 'crm', dataTypeRaw = 'users', max: number | null = MAX) {
  const tenant = parseTenantId(tenantRaw);
  const module = parseModule(c.spec, moduleRaw);
  const placement = placeTenantModule(c.spec, tenant, module);
  const dataType = parseDataType(c.spec, module, dataTypeRaw);
  const keys = (i: number | string): QuotaKeys =>
    quotaKeysFor(tenant, module, placement, buildDataKey(tenant, module, placement, dataType, `k${i}`));
  const limitsKey = limitsKeyOf(tenant, module, placement);
  if (max !== null) await writeQuotaLimits(admin, limitsKey, quotaLimitsFromSpec(c.spec, module, max));
  return { tenant, module, placement, keys, quotaKey: keys(0).quotaKey, limitsKey };
}

async function fill(keys: (i: number) => QuotaKeys, from: number, to: number, ttl: number): Promise<void> {
  for (let i = from; i < to; i++) await quotaSet(admin, keys(i), `v${i}`, ttl);
}

async function expectQuotaExceeded(p: Promise<unknown>): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(QuotaExceeded);
}

/** Poll (bounded) until `pred` holds. */
async function until(what: string, pred: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('quota script on a real cluster', () => {
  it('SCRIPT LOAD on every node (replicas too) returns the shas the client computes', async () => {
    const loaded = await loadQuotaScripts(nodes);
    expect(loaded.nodes).toBe(6);
    for (const n of nodes) {
      const exists = (await n.call('SCRIPT', 'EXISTS', ...loaded.shas)) as number[];
      expect(exists).toEqual(loaded.shas.map(() => 1));
    }
  });

  it("the bookkeeping zset shares the data keys' slot, lies under cliente:<tenant>:, and its score is the key's expiry", async () => {
    const tm = await tenantModule('slotcheck');
    const k = tm.keys(1);
    expect(slotOf(k.quotaKey)).toBe(slotOf(k.dataKey));
    expect(slotOf(k.quotaKey)).toBe(tm.placement.slot);
    expect(k.quotaKey.startsWith('cliente:slotcheck:')).toBe(true);
    const r = await quotaSet(admin, k, 'v', 600);
    expect(r).toEqual({ created: true, count: 1 });
    const expiry = Number(await admin.call('PEXPIRETIME', k.dataKey));
    expect(Number(await admin.zscore(k.quotaKey, 'users:k1'))).toBe(expiry);
  });

  it('TIME before writes is allowed (effects replication): the replica holds the same member and score', async () => {
    const tm = await tenantModule('replcheck');
    const k = tm.keys(1);
    await quotaSet(admin, k, 'v', 600);
    const masterScore = await admin.zscore(k.quotaKey, 'users:k1');
    const master = c.run.state.nodes.find(
      (n) =>
        n.role === 'master' && rangesContain(c.spec.topology.masters.find((m) => m.name === n.name)?.slots ?? [], tm.placement.slot ?? -1),
    );
    const replica = c.run.state.nodes.find((n) => n.replicaOf === master?.name);
    expect(replica).toBeDefined();
    const rc = nodes[c.run.state.nodes.indexOf(replica as (typeof c.run.state.nodes)[number])];
    if (!rc) throw new Error('no replica connection');
    await rc.call('READONLY');
    await until('replica to apply the write', async () => (await rc.zscore(k.quotaKey, 'users:k1')) !== null, 5000);
    expect(await rc.zscore(k.quotaKey, 'users:k1')).toBe(masterScore);
    expect(await rc.get(k.dataKey)).toBe('v');
  });

  it(`fills to maxKeys (${MAX}); the next NEW key is QuotaExceeded and not written; an overwrite still works`, async () => {
    const tm = await tenantModule('fill');
    await fill(tm.keys, 0, MAX, 600);
    expect(await quotaCount(admin, tm.quotaKey)).toBe(MAX);
    await expectQuotaExceeded(quotaSet(admin, tm.keys(MAX), 'over', 600));
    expect(await admin.exists(tm.keys(MAX).dataKey)).toBe(0);
    expect(await admin.zcard(tm.quotaKey)).toBe(MAX);
    const ow = await quotaSet(admin, tm.keys(7), 'overwritten', 900);
    expect(ow).toEqual({ created: false, count: MAX });
    expect(await admin.get(tm.keys(7).dataKey)).toBe('overwritten');
    expect(await admin.ttl(tm.keys(7).dataKey)).toBeGreaterThan(600);
  });

  it('after keys expire (TTL 1 s) new writes are accepted again, exactly as many as expired', async () => {
    const tm = await tenantModule('expiry');
    await fill(tm.keys, 0, 30, 1); // expire in 1 s
    await fill(tm.keys, 30, MAX, 600); // stay
    await expectQuotaExceeded(quotaSet(admin, tm.keys(1000), 'x', 600));
    await until('30 keys to expire', async () => (await quotaCount(admin, tm.quotaKey)) === 20, 4000);
    for (let i = 0; i < 30; i++) expect((await quotaSet(admin, tm.keys(100 + i), 'new', 600)).created).toBe(true);
    await expectQuotaExceeded(quotaSet(admin, tm.keys(1000), 'x', 600));
    expect(await admin.exists(tm.keys(1000).dataKey)).toBe(0);
    expect(await admin.zcard(tm.quotaKey)).toBe(MAX);
  });

  it('a quota delete frees exactly one place; deleting a missing key frees none', async () => {
    const tm = await tenantModule('deletes');
    await fill(tm.keys, 0, MAX, 600);
    expect(await quotaDel(admin, tm.keys(3))).toBe(true);
    expect(await quotaDel(admin, tm.keys(3))).toBe(false);
    expect(await admin.exists(tm.keys(3).dataKey)).toBe(0);
    expect((await quotaSet(admin, tm.keys(500), 'v', 600)).count).toBe(MAX);
    await expectQuotaExceeded(quotaSet(admin, tm.keys(501), 'v', 600));
  });

  it('concurrent writers cannot overshoot: 200 parallel new keys into an empty tenant-module, exactly 50 land', async () => {
    const tm = await tenantModule('race');
    const auto = await openQuotaCluster({ seeds: c.target.seeds, password: c.run.password, autoPipelining: true });
    try {
      const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => quotaSet(auto, tm.keys(i), 'v', 600)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(MAX);
      expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof QuotaExceeded)).toHaveLength(200 - MAX);
    } finally {
      await closeQuotaCluster(auto);
    }
    let existing = 0;
    for (let i = 0; i < 200; i++) existing += await admin.exists(tm.keys(i).dataKey);
    expect(existing).toBe(MAX);
  });

  it('NOSCRIPT fallback: after SCRIPT FLUSH on every master, writes still work and re-cache the script', async () => {
    const tm = await tenantModule('noscript');
    for (const n of nodes.slice(0, 3)) await n.call('SCRIPT', 'FLUSH');
    expect((await quotaSet(admin, tm.keys(1), 'v', 60)).created).toBe(true);
    const owner = nodes.slice(0, 3);
    const cached = await Promise.all(owner.map(async (n) => ((await n.call('SCRIPT', 'EXISTS', QUOTA_SCRIPTS.set.sha)) as number[])[0]));
    expect(cached.filter((x) => x === 1)).toHaveLength(1); // only the slot's master ran it
  });

  it('rejects a data key of another tenant-module (nothing written) and a zero TTL', async () => {
    const a = await tenantModule('tenanta');
    const b = await tenantModule('tenantb');
    const forged: QuotaKeys = { quotaKey: a.quotaKey, limitsKey: a.limitsKey, dataKey: b.keys(1).dataKey };
    await expect(quotaSet(admin, forged, 'v', 60)).rejects.toBeInstanceOf(Error); // CROSSSLOT or BADKEY
    expect(await admin.exists(b.keys(1).dataKey)).toBe(0);
    await expect(quotaSet(admin, a.keys(1), 'v', 0)).rejects.toBeInstanceOf(InvalidKey);
    expect(() => quotaKeysFor(a.tenant, a.module, a.placement, b.keys(1).dataKey)).toThrow(InvalidKey);
  });

  it("quotaReconcile drops members whose key was deleted behind the script's back", async () => {
    const tm = await tenantModule('reconcile');
    await fill(tm.keys, 0, 20, 600);
    for (let i = 0; i < 5; i++) await admin.del(tm.keys(i).dataKey); // plain DEL: the zset still counts them
    expect(await quotaCount(admin, tm.quotaKey)).toBe(20);
    expect(await quotaReconcile(admin, tm.quotaKey, { batch: 7 })).toEqual({ checked: 20, removed: 5 });
    expect(await quotaCount(admin, tm.quotaKey)).toBe(15);
  });

  it('a tenant ACL user as provisioning writes it (no EVAL) writes through the scripts; without zadd in its quota selector: PermissionDenied, nothing written', async () => {
    const tm = await tenantModule('acltenant');
    const other = await tenantModule('aclother');
    await setTenantUser('acltenant', 'acl-pass-1');
    const tenant = await openQuotaCluster({ seeds: c.target.seeds, username: 'tenant-acltenant', password: 'acl-pass-1' });
    try {
      await expect(tenant.call('EVAL', 'return 1', 0)).rejects.toThrow(/NOPERM/);
      expect((await quotaSet(tenant, tm.keys(1), 'v', 60)).created).toBe(true);
      expect(await tenant.get(tm.keys(1).dataKey)).toBe('v');
      await expect(quotaSet(tenant, other.keys(1), 'v', 60)).rejects.toBeInstanceOf(PermissionDenied);
      // The zset commands live in the quota selector only: rebuild it without zadd.
      const noZadd = (quotaSelector(tenantMeta('acltenant')) ?? '').replace(' +zadd', '');
      expect(noZadd).not.toContain('zadd');
      for (const n of nodes) await n.call('ACL', 'SETUSER', 'tenant-acltenant', 'clearselectors', noZadd);
      const err = await quotaSet(tenant, tm.keys(2), 'v', 60).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PermissionDenied);
      expect(await admin.exists(tm.keys(2).dataKey)).toBe(0);
      expect(await admin.zcard(tm.quotaKey)).toBe(1);
    } finally {
      await closeQuotaCluster(tenant);
      for (const n of nodes) await n.call('ACL', 'DELUSER', 'tenant-acltenant');
    }
  });

  it('no tenant write creates a key without a TTL: SET (with or without EX) and ZADD on a data key are NOPERM, SETEX works; ZADD on its own quota zset is the documented hole', async () => {
    const tm = await tenantModule('ttltenant');
    await setTenantUser('ttltenant', 'ttl-pass-1');
    const tenant = await openQuotaCluster({ seeds: c.target.seeds, username: 'tenant-ttltenant', password: 'ttl-pass-1' });
    try {
      const k = tm.keys(1).dataKey;
      await expect(tenant.set(k, 'v')).rejects.toThrow(/NOPERM/);
      await expect(tenant.set(k, 'v', 'EX', 10)).rejects.toThrow(/NOPERM/);
      await expect(tenant.call('PERSIST', k)).rejects.toThrow(/NOPERM/);
      await expect(tenant.call('GETEX', k, 'PERSIST')).rejects.toThrow(/NOPERM/);
      await expect(tenant.zadd(k, 1, 'm')).rejects.toThrow(/NOPERM/);
      expect(await admin.exists(k)).toBe(0);
      expect(await tenant.setex(k, 10, 'v')).toBe('OK');
      const ttl = await admin.ttl(k);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(10);
      // The quota scripts still write (their ZADD runs on the quota zset, inside the selector).
      expect((await quotaSet(tenant, tm.keys(2), 'v', 60)).created).toBe(true);
      expect(await admin.ttl(tm.keys(2).dataKey)).toBeGreaterThan(0);
      // The remaining hole: a raw ZADD into its own quota zset is allowed (the zset has no TTL by design).
      expect(await tenant.zadd(tm.quotaKey, 1, 'forged:member')).toBe(1);
      expect(await admin.ttl(tm.quotaKey)).toBe(-1);
    } finally {
      await closeQuotaCluster(tenant);
      for (const n of nodes) await n.call('ACL', 'DELUSER', 'tenant-ttltenant');
    }
  });

  it('a tenant cannot EVAL: after SCRIPT FLUSH it gets PermissionDenied naming the fix; loadQuotaScripts (admin) restores it', async () => {
    const tm = await tenantModule('flushtenant');
    await setTenantUser('flushtenant', 'flush-pass-1');
    const tenant = await openQuotaCluster({ seeds: c.target.seeds, username: 'tenant-flushtenant', password: 'flush-pass-1' });
    try {
      for (const n of nodes) await n.call('SCRIPT', 'FLUSH');
      const err = await quotaSet(tenant, tm.keys(1), 'v', 60).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PermissionDenied);
      expect((err as PermissionDenied).rule).toBe('quota-script-not-loaded');
      expect(await admin.exists(tm.keys(1).dataKey)).toBe(0);
      await loadQuotaScripts(nodes);
      expect((await quotaSet(tenant, tm.keys(1), 'v', 60)).created).toBe(true);
    } finally {
      await closeQuotaCluster(tenant);
      for (const n of nodes) await n.call('ACL', 'DELUSER', 'tenant-flushtenant');
    }
  });

  it('TenantCache with quotaWriteStrategy: set() refuses beyond maxKeys, del() frees places exactly', async () => {
    const tenant = parseTenantId('cachetenant');
    const meta = buildTenantMeta(c.spec, tenant, parsePlan(c.spec, 'basic'), 'mobile', new Date());
    const crm = parseModule(c.spec, 'crm');
    // The limit the script enforces is the limits key's (provisioning writes the plan's; 20 here), not the meta's.
    await writeQuotaLimits(admin, limitsKeyOf(tenant, crm, placeTenantModule(c.spec, tenant, crm)), quotaLimitsFromSpec(c.spec, crm, 20));
    await setTenantUser('cachetenant', 'cache-pass-1');
    const cache = await TenantCache.open({
      spec: c.spec,
      seeds: c.target.seeds,
      tenant: 'cachetenant',
      module: 'crm',
      channel: 'mobile',
      aclUser: 'tenant-cachetenant',
      password: 'cache-pass-1',
      meta,
      writer: quotaWriteStrategy,
    });
    try {
      for (let i = 0; i < 20; i++) await cache.set('users', `u${i}`, { i });
      await expect(cache.set('users', 'u20', { i: 20 })).rejects.toBeInstanceOf(QuotaExceeded);
      expect(await cache.get('users', 'u20')).toBeUndefined();
      await cache.set('users', 'u3', { i: 'overwritten' });
      expect(await cache.get('users', 'u3')).toEqual({ i: 'overwritten' });
      expect(await cache.del('users', ['u1', 'u2', 'missing'])).toBe(2);
      await cache.set('users', 'n1', 1);
      await cache.set('users', 'n2', 2);
      await expect(cache.set('users', 'n3', 3)).rejects.toBeInstanceOf(QuotaExceeded);
      const quotaKey = quotaKeyOf(tenant, parseModule(c.spec, 'crm'), cache.scope.placement);
      expect(await quotaCount(admin, quotaKey)).toBe(20);
    } finally {
      await cache.close();
      for (const n of nodes) await n.call('ACL', 'DELUSER', 'tenant-cachetenant');
    }
  });

  it('after a failover the promoted replica already holds the scripts: a tenant (no EVAL) keeps writing by sha', async () => {
    const tm = await tenantModule('failover');
    await loadQuotaScripts(nodes);
    await setTenantUser('failover', 'fo-pass-1');
    const slot = tm.placement.slot ?? -1;
    const masterName = c.spec.topology.masters.find((m) => rangesContain(m.slots, slot))?.name;
    const replicaIdx = c.run.state.nodes.findIndex((n) => n.replicaOf === masterName);
    const replica = nodes[replicaIdx];
    if (!replica) throw new Error('no replica');
    await replica.call('CLUSTER', 'FAILOVER');
    await until('the replica to become master', async () => /role:master/.test(await replica.info('replication')), 15_000);
    const tenant = await openQuotaCluster({ seeds: c.target.seeds, username: 'tenant-failover', password: 'fo-pass-1' });
    try {
      await until(
        'the tenant client to write on the new master',
        async () => {
          try {
            await quotaSet(tenant, tm.keys(1), 'v', 60);
            return true;
          } catch (err) {
            if (err instanceof PermissionDenied) throw err; // NOSCRIPT would surface here
            return false;
          }
        },
        15_000,
      );
      expect(await replica.zcard(tm.quotaKey)).toBe(1);
    } finally {
      await closeQuotaCluster(tenant);
      for (const n of nodes) await n.call('ACL', 'DELUSER', 'tenant-failover');
    }
  });
});

describe('tenant-callable scripts are bounded; limits are the server side', () => {
  let tenant: Cluster;
  beforeAll(async () => {
    await loadQuotaScripts(nodes);
    await setTenantUser('bounded', 'bounded-pass-1');
    tenant = await openQuotaCluster({ seeds: c.target.seeds, username: 'tenant-bounded', password: 'bounded-pass-1' });
  });
  afterAll(async () => {
    if (tenant) await closeQuotaCluster(tenant);
    for (const n of nodes) await n.call('ACL', 'DELUSER', 'tenant-bounded');
  });
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: unknown) => e,
    );

  it('caller-supplied limits are ignored: maxKeys is the limits key, a TTL above the ceiling and an extra maxKeys argument are refused', async () => {
    const tm = await tenantModule('bounded', 'crm', 'users', 3);
    for (let i = 0; i < 3; i++) expect((await quotaSet(tenant, tm.keys(i), 'v', 60)).created).toBe(true);
    await expectQuotaExceeded(quotaSet(tenant, tm.keys(3), 'v', 60));
    // The measured attack: its own maxKeys (999999999) as a third argument. Refused before anything is written.
    const k = tm.keys(4);
    const raw = await refusal(tenant.call('EVALSHA', QUOTA_SCRIPTS.set.sha, 2, k.quotaKey, k.dataKey, 'v', 60, 999_999_999));
    expect(mapQuotaError(raw, k.quotaKey)).toBeInstanceOf(InvalidKey);
    // A TTL of 10 years: above the users ceiling (3600 s, from the spec).
    const longTtl = await refusal(quotaSet(tenant, tm.keys(1), 'v', 10 * 365 * 86_400));
    expect(longTtl).toBeInstanceOf(InvalidKey);
    expect((longTtl as InvalidKey).message).toMatch(/above the users ceiling of 3600 s/);
    expect(await admin.exists(k.dataKey)).toBe(0);
    expect(await admin.ttl(tm.keys(1).dataKey)).toBeLessThanOrEqual(60);
    expect(await quotaCount(admin, tm.quotaKey)).toBe(3);
  });

  it('no limits key (tenant not provisioned, or removed): the write is NotProvisioned and writes nothing', async () => {
    const tm = await tenantModule('bounded', 'whatsapp', 'sync', null);
    const err = await refusal(quotaSet(tenant, tm.keys(1), 'v', 60));
    expect(err).toBeInstanceOf(NotProvisioned);
    expect((err as NotProvisioned).rule).toBe('quota-limits');
    expect(await admin.exists(tm.keys(1).dataKey)).toBe(0);
    expect(await admin.exists(tm.quotaKey)).toBe(0);
  });

  it("the limits key is read-only for the tenant (NOPERM on write); another tenant's is not even readable", async () => {
    const tm = await tenantModule('bounded', 'crm', 'users', 3);
    expect(await tenant.hmget(tm.limitsKey, 'maxKeys')).toEqual(['3']);
    await expect(tenant.hset(tm.limitsKey, 'maxKeys', '999999999')).rejects.toThrow(/NOPERM/);
    await expect(tenant.del(tm.limitsKey)).rejects.toThrow(/NOPERM/);
    await expect(tenant.set(tm.limitsKey, 'x')).rejects.toThrow(/NOPERM/);
    const other = await tenantModule('boundedother', 'crm', 'users', 3);
    await expect(tenant.hmget(other.limitsKey, 'maxKeys')).rejects.toThrow(/NOPERM/);
    expect(await admin.hget(tm.limitsKey, 'maxKeys')).toBe('3');
  });

  it(`more than ${QUOTA_MAX_KEYS_PER_CALL} data keys in one call are refused before any work; quotaDelMany splits bigger batches`, async () => {
    const tm = await tenantModule('bounded', 'agendamento', 'slots', 100);
    for (let i = 0; i < 5; i++) await quotaSet(tenant, tm.keys(i), 'v', 60);
    const many = Array.from({ length: QUOTA_MAX_KEYS_PER_CALL + 1 }, (_, i) => tm.keys(i).dataKey);
    const err = mapQuotaError(
      await refusal(tenant.call('EVALSHA', QUOTA_SCRIPTS.del.sha, many.length + 1, tm.quotaKey, ...many)),
      tm.quotaKey,
    );
    expect(err).toBeInstanceOf(InvalidKey);
    expect((err as InvalidKey).rule).toBe('quota-keys-per-call');
    expect(await quotaCount(admin, tm.quotaKey)).toBe(5);
    for (let i = 0; i < 5; i++) expect(await admin.exists(tm.keys(i).dataKey)).toBe(1);
    const big = Array.from({ length: 2500 }, (_, i) => tm.keys(i).dataKey);
    expect(await quotaDelMany(tenant, tm.quotaKey, big)).toBe(5);
    expect(await admin.exists(tm.quotaKey)).toBe(0);
  });

  it('reconcile is admin-only: a tenant gets PermissionDenied; even the admin may pass at most the bound per call', async () => {
    const tm = await tenantModule('bounded', 'marketing', 'sync', 100);
    for (let i = 0; i < 5; i++) await quotaSet(tenant, tm.keys(i), 'v', 60);
    const keys = Array.from({ length: 5 }, (_, i) => tm.keys(i).dataKey);
    const err = mapQuotaError(await refusal(tenant.call('EVALSHA', QUOTA_SCRIPTS.reconcile.sha, 6, tm.quotaKey, ...keys)), tm.quotaKey);
    expect(err).toBeInstanceOf(PermissionDenied);
    expect((err as PermissionDenied).message).toMatch(/admin operation/);
    await expect(quotaReconcile(tenant, tm.quotaKey)).rejects.toThrow(/NOPERM/); // ZSCAN itself, before any script
    const many = Array.from({ length: QUOTA_MAX_KEYS_PER_CALL + 1 }, (_, i) => tm.keys(i).dataKey);
    const tooMany = mapQuotaError(
      await refusal(admin.call('EVALSHA', QUOTA_SCRIPTS.reconcile.sha, many.length + 1, tm.quotaKey, ...many)),
      tm.quotaKey,
    );
    expect((tooMany as InvalidKey).rule).toBe('quota-keys-per-call');
    expect(await quotaCount(admin, tm.quotaKey)).toBe(5);
  });

  it('a write prunes a bounded number of expired members, and unpruned expired members never count', async () => {
    const tm = await tenantModule('prunecheck', 'crm', 'users', 5);
    // 300 expired members, as a raw ZADD (which the tenant may send) could leave.
    const past = Date.now() - 60_000;
    await admin.zadd(tm.quotaKey, ...Array.from({ length: 300 }, (_, i) => [past, `users:old${i}`]).flat());
    expect((await quotaSet(admin, tm.keys(0), 'v', 60)).count).toBe(1);
    expect(await admin.zcard(tm.quotaKey)).toBe(1 + 200); // this write dropped 100 expired members, not all 300; the rest do not count
    for (let i = 1; i < 5; i++) expect((await quotaSet(admin, tm.keys(i), 'v', 60)).count).toBe(i + 1);
    await expectQuotaExceeded(quotaSet(admin, tm.keys(5), 'v', 60));
    expect(await admin.zcard(tm.quotaKey)).toBe(5);
    expect(await quotaReconcile(admin, tm.quotaKey)).toEqual({ checked: 5, removed: 0 });
  });
});

/** The tenant's ACL user on every node, with the rule provisioning writes (src/provision/acl-rule.ts). */
async function setTenantUser(id: string, password: string): Promise<void> {
  const args = aclSetUserArgs(tenantMeta(id), sha256Hex(password));
  for (const n of nodes) await n.call('ACL', ...args);
}

/** A meta as provisioning builds it, on the plan with every module (its quota zsets are the ACL selector's keys). */
function tenantMeta(id: string): TenantMeta {
  return buildTenantMeta(c.spec, parseTenantId(id), parsePlan(c.spec, 'enterprise'), 'mobile', new Date());
}
