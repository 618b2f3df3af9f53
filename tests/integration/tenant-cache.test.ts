import type { Cluster } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInfo } from '../../src/cluster/index.js';
import { createTenant, openAdminSession, parsePlan, removeTenant, type AdminSession } from '../../src/provision/index.js';
import { loadSpec, type Spec } from '../../src/spec/index.js';
import {
  buildKey,
  buildTenantMeta,
  CODEC_HEADER,
  InvalidKey,
  NotProvisioned,
  parseModule,
  parseTenantId,
  PermissionDenied,
  placeTenantModule,
  plainSet,
  QuotaExceeded,
  slotOf,
  TenantCache,
  type Channel,
  type TenantCacheOptions,
  type TenantMeta,
  type WriteStrategy,
} from '../../src/tenancy/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { ClientMetrics, clientMetrics } from '../../src/client-metrics/index.js';
import { startEdgeApi } from '../../src/bench/index.js';

const SHORT_SPEC = fileURLToPath(new URL('../../fixtures/ttl-short.spec.yaml', import.meta.url));

let c: TestCluster;
let session: AdminSession;
let admin: Cluster;
beforeAll(async () => {
  c = await startTestCluster(0);
  session = await openAdminSession(c.target);
  admin = session.cluster;
});
afterAll(async () => {
  await session?.close();
  await c?.stop();
});

/** A tenant made by the real provisioner (`tenant create`): meta key, ACL user and quota scripts on every node. */
async function provision(
  id: string,
  plan: string,
  channel: Channel = 'mobile',
  spec: Spec = c.spec,
): Promise<{ meta: TenantMeta; password: string }> {
  const r = await createTenant(session, spec, { id, plan, channel });
  if (r.status !== 'created') throw new Error(`tenant ${id}: expected a new tenant, got ${r.status}`);
  return { meta: r.meta, password: r.password };
}

/** Calls of data commands on every node, from INFO commandstats: proves whether anything was sent. */
async function dataCommandCalls(): Promise<number> {
  let total = 0;
  for (const n of session.nodes) {
    const info = parseInfo(await n.client.info('commandstats'));
    for (const cmd of ['set', 'get', 'mget', 'del', 'unlink', 'pttl', 'evalsha'])
      total += Number(/calls=(\d+)/.exec(info.get(`cmdstat_${cmd}`) ?? '')?.[1] ?? 0);
  }
  return total;
}

function options(meta: TenantMeta, module: string, password: string, extra: Partial<TenantCacheOptions> = {}): TenantCacheOptions {
  return {
    spec: c.spec,
    seeds: c.target.seeds,
    tenant: meta.tenant,
    module,
    channel: meta.channel,
    aclUser: meta.aclUser,
    password,
    meta,
    ...extra,
  };
}

const contacts = Array.from({ length: 60 }, (_, i) => ({
  id: i,
  name: `Contato ${i}`,
  email: `contato${i}@exemplo.com.br`,
  tags: ['cliente', 'sp'],
}));

describe("TenantCache against a real cluster, as the tenant's own ACL user", () => {
  it("set / get / mget / ttl / del inside the tenant-module, with the tier's TTL", async () => {
    const { meta, password } = await provision('acme', 'basic', 'mobile');
    const cache = await TenantCache.open(options(meta, 'crm', password));
    try {
      await cache.set('users', 'u1', { name: 'Ana' });
      await cache.set('users', 'u2', contacts);
      expect(await cache.get('users', 'u1')).toEqual({ name: 'Ana' });
      expect(await cache.get('users', 'nope')).toBeUndefined();
      expect(await cache.mget('users', ['u1', 'nope', 'u2'])).toEqual([{ name: 'Ana' }, undefined, contacts]);
      const ttl = await cache.ttl('users', 'u1');
      expect(ttl).toBeGreaterThan(900_000 - 2000); // crm users = contacts class, mobile 900 s
      expect(ttl).toBeLessThanOrEqual(900_000);
      // The large value is stored compressed (brotli header), the small one raw.
      expect((await admin.getBuffer(cache.key('users', 'u2')))?.[0]).toBe(CODEC_HEADER.brotli);
      expect((await admin.getBuffer(cache.key('users', 'u1')))?.[0]).toBe(CODEC_HEADER.json);
      expect(cache.codecStats().savedBytes).toBeGreaterThan(0);
      expect(await cache.del('users', ['u1', 'u2', 'nope'])).toBe(2);
      expect(await cache.ttl('users', 'u1')).toBe(-2);
    } finally {
      await cache.close();
    }
  });

  it("a user key with { } * : spaces and unicode stays in the tenant-module's slot (server CLUSTER KEYSLOT) and prefix", async () => {
    const { meta, password } = await provision('weird', 'pro', 'web');
    for (const module of meta.modules) {
      const cache = await TenantCache.open(options(meta, module, password));
      try {
        const userKey = '{evil}*:? [x] são paulo 🙂 }{';
        await cache.set('sync', userKey, 'v');
        const key = cache.key('sync', userKey);
        expect(key.startsWith(`cliente:weird:${module}:{`)).toBe(true);
        expect(await admin.cluster('KEYSLOT', key)).toBe(meta.placement.modules[module]?.slot);
        expect(slotOf(key)).toBe(meta.placement.modules[module]?.slot);
        expect(await admin.exists(key)).toBe(1);
        expect(await cache.get('sync', userKey)).toBe('v');
      } finally {
        await cache.close();
      }
    }
  });

  it('a write to an unknown data type throws InvalidKey and sends nothing', async () => {
    const { meta, password } = await provision('quiet', 'basic');
    const cache = await TenantCache.open(options(meta, 'crm', password));
    try {
      const before = await dataCommandCalls();
      await expect(cache.set('whatsapp_sessions', 'k', { x: 1 })).rejects.toBeInstanceOf(InvalidKey);
      await expect(cache.set('users', '', 1)).rejects.toBeInstanceOf(InvalidKey);
      await expect(cache.mget('crm', ['a'])).rejects.toThrow(/known: users, contacts, sessions, sync, offline/);
      expect(await dataCommandCalls()).toBe(before);
    } finally {
      await cache.close();
    }
  });

  it("Redis enforces isolation: a meta pointing at another tenant's keys gets PermissionDenied (NOPERM)", async () => {
    const { meta, password } = await provision('tenant-a', 'basic');
    // Tenant b's keys, tenant a's ACL user: what a forged or mixed-up meta config would do.
    const forged = {
      ...buildTenantMeta(c.spec, parseTenantId('tenant-b'), parsePlan(c.spec, 'basic'), 'mobile', new Date()),
      aclUser: meta.aclUser,
    };
    const cache = await TenantCache.open(options(forged, 'crm', password));
    try {
      await expect(cache.set('users', 'x', 1)).rejects.toBeInstanceOf(PermissionDenied);
      await expect(cache.get('users', 'x')).rejects.toThrow(/NOPERM/);
    } finally {
      await cache.close();
    }
  });

  it('a removed tenant or a wrong password is NotProvisioned, at open', async () => {
    const { meta, password } = await provision('gone', 'basic');
    const t0 = Date.now();
    await expect(TenantCache.open(options(meta, 'crm', 'wrong'))).rejects.toBeInstanceOf(NotProvisioned);
    expect(Date.now() - t0).toBeLessThan(15_000);
    await expect(TenantCache.open(options(meta, 'financeiro', password))).rejects.toThrow(/not provisioned for module financeiro/);
    await removeTenant(session, 'gone');
    await expect(TenantCache.open(options(meta, 'crm', password))).rejects.toBeInstanceOf(NotProvisioned);
  });

  it("reads the seed's base64 values (migration) and mgets across slots under placement none", async () => {
    // A tenant created while the spec said `none` (the seed's layout); its meta keeps that placement.
    const { meta, password } = await provision('legacy', 'basic', 'mobile', {
      ...c.spec,
      placement: { ...c.spec.placement, strategy: 'none' },
    });
    const cache = await TenantCache.open(options(meta, 'whatsapp', password));
    try {
      const key = cache.key('sessions', 's1');
      expect(key).toBe('cliente:legacy:whatsapp:sessions:s1'); // the seed's layout
      await admin.setex(key, 600, Buffer.from(JSON.stringify({ token: 'abc' })).toString('base64'));
      expect(await cache.get('sessions', 's1')).toEqual({ token: 'abc' });
      expect(cache.codecStats().read['legacy-base64']).toBe(1);
      const ids = Array.from({ length: 20 }, (_, i) => `m${i}`);
      expect(new Set(ids.map((i) => slotOf(cache.key('queue', i)))).size).toBeGreaterThan(1);
      for (const i of ids) await cache.set('queue', i, { i });
      expect(await cache.mget('queue', ['none', ...ids])).toEqual([undefined, ...ids.map((i) => ({ i }))]);
      expect(await cache.del('queue', ids)).toBe(ids.length);
    } finally {
      await cache.close();
    }
  });

  it("a WriteStrategy replaces the write path (the quota check's hook): it sees the scope, and can refuse", async () => {
    const { meta, password } = await provision('quota', 'basic');
    const seen: string[] = [];
    // A stand-in for the EVALSHA quota script: at most 2 keys, counted client-side.
    const capped: WriteStrategy = {
      name: 'test-cap',
      async write(redis, scope, w) {
        expect(w.key.startsWith(scope.prefix)).toBe(true);
        if (seen.length >= 2) throw new QuotaExceeded(`${scope.tenant}/${scope.module}: ${seen.length}/2 keys`, 'quota');
        seen.push(w.key);
        await plainSet.write(redis, scope, w);
      },
      async del(redis, _scope, keys) {
        for (const k of keys) seen.splice(seen.indexOf(k), 1);
        return redis.del(...keys);
      },
    };
    const cache = await TenantCache.open(options(meta, 'crm', password, { writer: capped }));
    try {
      await cache.set('users', 'a', 1);
      await cache.set('users', 'b', 2);
      await expect(cache.set('users', 'c', 3)).rejects.toBeInstanceOf(QuotaExceeded);
      expect(await admin.exists(cache.key('users', 'c'))).toBe(0);
      expect(await cache.del('users', ['a'])).toBe(1);
      await cache.set('users', 'c', 3);
      expect(await cache.mget('users', ['a', 'b', 'c'])).toEqual([undefined, 2, 3]);
    } finally {
      await cache.close();
    }
  });

  it('keys really expire (fixtures/ttl-short.spec.yaml: 1 s mobile tiers)', async () => {
    const short = loadSpec(SHORT_SPEC);
    const { meta, password } = await provision('shortlived', 'basic', 'mobile');
    const cache = await TenantCache.open({ ...options(meta, 'crm', password), spec: short });
    try {
      expect(cache.ttlSecondsOf('users')).toBe(1);
      await cache.set('users', 'tmp', 1);
      expect(await cache.ttl('users', 'tmp')).toBeGreaterThan(0);
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && (await cache.ttl('users', 'tmp')) !== -2) await new Promise((r) => setTimeout(r, 100));
      expect(await cache.get('users', 'tmp')).toBeUndefined();
    } finally {
      await cache.close();
    }
  });
});

/** `name` of every connection of an ACL user, on every node (CLIENT LIST lines are `k=v` fields; names hold no space). */
async function connectionNames(user: string): Promise<string[]> {
  const names: string[] = [];
  for (const n of session.nodes) {
    for (const line of String(await n.client.call('CLIENT', 'LIST', 'TYPE', 'normal')).split('\n')) {
      const fields = new Map(line.split(' ').map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]));
      if (fields.get('user') === user) names.push(fields.get('name') ?? '');
    }
  }
  return names;
}

/** ACL LOG entries of one user on every node, as `reason object` (e.g. `command client|setname`). */
async function aclDenials(user: string): Promise<string[]> {
  const out: string[] = [];
  for (const n of session.nodes) {
    for (const entry of (await n.client.call('ACL', 'LOG')) as unknown[][]) {
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < entry.length; i += 2) f.set(String(entry[i]), String(entry[i + 1]));
      if (f.get('username') === user) out.push(`${f.get('reason')} ${f.get('object')}`);
    }
  }
  return out;
}

/** The count of a histogram series in prom-client's text format, 0 when absent. */
function seriesCount(text: string, labels: string): number {
  const m = new RegExp(`^cache_harness_client_op_duration_seconds_count\\{${labels}\\} (\\d+)$`, 'm').exec(text);
  return Number(m?.[1] ?? 0);
}

describe('what the server and the application see of a TenantCache', () => {
  it('names its connections <tenant>:<module>:<channel> (CLIENT SETNAME, granted by the rule); an older user gets the grant when provisioned again', async () => {
    const { meta, password } = await provision('named', 'basic', 'web');
    const user = meta.aclUser;
    // The rule as written before the grant: CLIENT SETNAME refused (ioredis ignores the refusal, Redis logs it).
    for (const n of session.nodes) {
      await n.client.call('ACL', 'SETUSER', user, '-client|setname');
      await n.client.call('ACL', 'LOG', 'RESET');
    }
    const old = await TenantCache.open(options(meta, 'crm', password));
    try {
      await old.set('users', 'u', 1);
      const names = await connectionNames(user);
      expect(names.length).toBeGreaterThan(0);
      expect(new Set(names)).toEqual(new Set(['']));
      expect(await aclDenials(user)).toContain('command client|setname');
    } finally {
      await old.close();
    }

    const again = await createTenant(session, c.spec, { id: 'named', plan: 'basic' });
    expect(again.status).toBe('exists');
    if (again.status === 'exists') expect(again.aclRuleUpdatedOn.sort()).toEqual(session.nodes.map((n) => n.address).sort());
    for (const n of session.nodes) await n.client.call('ACL', 'LOG', 'RESET');
    const cache = await TenantCache.open(options(meta, 'crm', password));
    try {
      expect(await cache.get('users', 'u')).toBe(1);
      const names = await connectionNames(user);
      expect(names.length).toBeGreaterThan(0);
      expect(new Set(names)).toEqual(new Set(['named:crm:web']));
      expect(await aclDenials(user)).toEqual([]);
    } finally {
      await cache.close();
    }
  });

  it('reports every op to the client metrics: the process default, another registry, or none; failures by reason', async () => {
    const { meta, password } = await provision('metered', 'basic', 'mobile');
    const labels = (op: string) => `client_id="metered",module="crm",plan="basic",channel="mobile",op="${op}"`;
    const mine = new ClientMetrics();
    const defaultBefore = seriesCount(await clientMetrics().metrics(), labels('get'));
    const cache = await TenantCache.open(options(meta, 'crm', password, { metrics: mine }));
    try {
      await cache.set('users', 'a', 1);
      await cache.get('users', 'a');
      await cache.get('users', 'missing');
      await cache.mget('users', ['a', 'b']);
    } finally {
      await cache.close();
    }
    const text = await mine.metrics();
    expect([seriesCount(text, labels('set')), seriesCount(text, labels('get')), seriesCount(text, labels('mget'))]).toEqual([1, 2, 1]);
    expect(text).not.toContain('cache_harness_client_op_errors_total{');

    // A real refusal (NOPERM on another tenant's keys), counted by reason.
    const forged = {
      ...buildTenantMeta(c.spec, parseTenantId('other'), parsePlan(c.spec, 'basic'), 'mobile', new Date()),
      aclUser: meta.aclUser,
    };
    const denied = await TenantCache.open(options(forged, 'crm', password, { metrics: mine }));
    try {
      await expect(denied.get('users', 'x')).rejects.toBeInstanceOf(PermissionDenied);
    } finally {
      await denied.close();
    }
    expect(await mine.metrics()).toContain(
      'cache_harness_client_op_errors_total{client_id="other",module="crm",plan="basic",channel="mobile",op="get",error="PermissionDenied"} 1',
    );

    // By default: the process's clientMetrics(); with metrics: null, nowhere.
    const byDefault = await TenantCache.open(options(meta, 'crm', password));
    const silent = await TenantCache.open(options(meta, 'crm', password, { metrics: null }));
    try {
      await byDefault.get('users', 'a');
      await silent.get('users', 'a');
    } finally {
      await byDefault.close();
      await silent.close();
    }
    expect(seriesCount(await clientMetrics().metrics(), labels('get'))).toBe(defaultBefore + 1);
    expect(seriesCount(await mine.metrics(), labels('get'))).toBe(2);
  });

  it('the HTTP edge API reports its ops (raw backend) and serves them on GET /metrics', async () => {
    const metrics = new ClientMetrics();
    const api = await startEdgeApi({
      spec: c.spec,
      backend: { kind: 'raw', cluster: admin },
      host: '127.0.0.1',
      port: 0,
      planOf: () => 'pro',
      metrics,
    });
    try {
      const url = `${api.url}/v1/tenants/edge1/crm/users/k1`;
      expect((await fetch(url, { method: 'PUT', body: 'v', headers: { 'x-client-channel': 'web' } })).status).toBe(204);
      expect((await fetch(url, { headers: { 'x-client-channel': 'web' } })).status).toBe(200);
      const res = await fetch(`${api.url}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      for (const op of ['set', 'get'])
        expect(seriesCount(text, `client_id="edge1",module="crm",plan="pro",channel="web",op="${op}"`)).toBe(1);
    } finally {
      await api.close();
      const [tenant, module] = [parseTenantId('edge1'), parseModule(c.spec, 'crm')];
      await admin.del(buildKey(c.spec, tenant, module, placeTenantModule(c.spec, tenant, module), 'users', 'k1'));
    }
  });
});
