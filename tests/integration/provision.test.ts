import { spawn } from 'node:child_process';
import { testPortBase } from '../support/ports.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeNode, connectNode, countKeys, requireBinary, stopProcesses, waitUntil } from '../../src/cluster/index.js';
import { errorMessage, HarnessError } from '../../src/errors.js';
import {
  aclSetUserArgs,
  connectAsTenant,
  createTenant,
  getUser,
  InvalidTenantInput,
  parsePlan,
  listTenants,
  loadPopulation,
  openAdminSession,
  persistAcl,
  provisionMany,
  removeTenant,
  sampleKeys,
  sha256Hex,
  showTenant,
  tenantKeysMatch,
  usersOn,
  writeSampleKeys,
  type AdminSession,
  type CreateResult,
  type TenantInput,
} from '../../src/provision/index.js';
import { DEFAULT_SPEC_PATH } from '../../src/spec/index.js';
import {
  buildDataKey,
  buildTenantMeta,
  limitsKeyOf,
  metaKey,
  modulePlacement,
  parseDataType,
  parseModule,
  parseTenantId,
  parseTenantMeta,
  quotaDel,
  quotaKeysFor,
  quotaSet,
  type ModuleName,
  type TenantMeta,
} from '../../src/tenancy/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

let tc: TestCluster;
let admin: AdminSession;
const tenantClients: Cluster[] = [];

beforeAll(async () => {
  tc = await startTestCluster(0);
  admin = await openAdminSession(tc.target);
});
afterAll(async () => {
  await Promise.all(tenantClients.map(closeNode));
  await admin?.close();
  await tc?.stop();
});

function created(r: CreateResult): Extract<CreateResult, { status: 'created' }> {
  if (r.status !== 'created') throw new Error(`expected created, got ${r.status}`);
  return r;
}

/** Create a tenant and fill every (module, data type) with `per` keys, written as the tenant itself. */
async function tenantWithKeys(input: TenantInput, per: number): Promise<{ meta: TenantMeta; password: string; keys: string[] }> {
  const r = created(await createTenant(admin, tc.spec, input));
  const client = await connectAsTenant(tc.target, r.meta.aclUser, r.password);
  tenantClients.push(client);
  const keys = sampleKeys(tc.spec, r.meta, per);
  await writeSampleKeys(client, keys, `value-of-${input.id}`);
  return { meta: r.meta, password: r.password, keys: keys.map((k) => k.key) };
}

async function keysOf(id: string): Promise<number> {
  let n = 0;
  for (const m of admin.masters) n += await countKeys(m.client, tenantKeysMatch(parseTenantId(id)));
  return n;
}

/** Everything a failed create could have left: keys per master and ACL users per node. */
async function snapshot() {
  return {
    dbsize: await Promise.all(admin.masters.map((m) => m.client.dbsize())),
    users: await Promise.all(admin.nodes.map(async (n) => [...(await usersOn(n))].sort())),
  };
}

const aclFileOf = (i: number) => readFileSync(join(tc.run.state.nodes[i]?.dir ?? '', 'users.acl'), 'utf8');

/** Each module's quota limits key: its maxKeys field and TTL (-1: none, -2: missing). */
async function limitsOf(meta: TenantMeta): Promise<Array<{ maxKeys: string | null; ttl: number }>> {
  return Promise.all(
    meta.modules.map(async (m) => {
      const key = limitsKeyOf(meta.tenant, m as ModuleName, modulePlacement(meta, m));
      return { maxKeys: await admin.cluster.hget(key, 'maxKeys'), ttl: await admin.cluster.ttl(key) };
    }),
  );
}

describe('tenant create / list / show / remove on a live 6-node cluster', () => {
  it('create acme pro: meta (no TTL), ACL user on all 6 nodes, persisted to each users.acl; list shows its 5 modules', async () => {
    const r = created(await createTenant(admin, tc.spec, { id: 'acme', plan: 'pro' }));
    expect(r.meta.modules).toEqual(['crm', 'whatsapp', 'agendamento', 'marketing', 'analytics']);
    expect(r.aclNodes).toHaveLength(6);
    expect(r.persisted).toEqual(admin.nodes.map((n) => ({ node: n.address, method: 'acl-save' })));
    expect(await admin.cluster.ttl(metaKey(parseTenantId('acme')))).toBe(-1);
    for (const n of admin.nodes) expect(await getUser(n, 'tenant-acme'), n.address).not.toBeNull();
    for (let i = 0; i < 6; i++)
      expect(aclFileOf(i)).toMatch(/^user tenant-acme on .*#[0-9a-f]{64} ~cliente:acme:\* %R~tenant-limits:acme:\* resetchannels -@all /m);
    for (let i = 0; i < 6; i++) expect(aclFileOf(i)).not.toContain(r.password);

    const { tenants } = await listTenants(admin);
    const acme = tenants.find((t) => t.tenant === 'acme');
    expect(acme?.plan).toBe('pro');
    expect(acme?.modules).toHaveLength(5);

    // The password works, as a tenant app would use it.
    const client = await connectAsTenant(tc.target, r.meta.aclUser, r.password);
    tenantClients.push(client);
    const [k] = sampleKeys(tc.spec, r.meta, 1);
    await client.setex(k?.key ?? '', 60, 'x');
    expect(await client.get(k?.key ?? '')).toBe('x');
    // One quota limits key per module (the plan's maxKeys, no TTL), which the tenant's quota writes read.
    expect(await limitsOf(r.meta)).toEqual(r.meta.modules.map(() => ({ maxKeys: '50000', ttl: -1 })));
    const pl = modulePlacement(r.meta, 'crm');
    const crm = parseModule(tc.spec, 'crm');
    const qk = quotaKeysFor(r.meta.tenant, crm, pl, buildDataKey(r.meta.tenant, crm, pl, parseDataType(tc.spec, crm, 'users'), 'q1'));
    expect(await quotaSet(client, qk, 'v', 60)).toEqual({ created: true, count: 1 });
    await quotaDel(client, qk);
    const show = await showTenant(admin, 'acme');
    expect(show.totalKeys).toBe(1);
    expect(show.aclUser.presentOn).toHaveLength(6);
    expect(show.aclUser.consistent).toBe(true);
  });

  it('re-create with the same plan is a no-op: "exists", no password, the old one still works', async () => {
    const before = await getUser(admin.nodes[0]!, 'tenant-acme');
    const r = await createTenant(admin, tc.spec, { id: 'acme', plan: 'pro' });
    expect(r.status).toBe('exists');
    expect('password' in r).toBe(false);
    expect(await getUser(admin.nodes[0]!, 'tenant-acme')).toEqual(before);
  });

  it('another plan is refused without --change-plan, and nothing changes', async () => {
    await expect(createTenant(admin, tc.spec, { id: 'acme', plan: 'basic' })).rejects.toThrow(
      'tenant acme already exists with plan pro; nothing was changed',
    );
    expect(parseTenantMeta(await admin.cluster.get('tenant-meta:acme')).plan).toBe('pro');
  });

  it('changePlan rewrites the meta config, keeps the ACL user (same hash) and createdAt', async () => {
    const before = parseTenantMeta(await admin.cluster.get('tenant-meta:acme'));
    const user = await getUser(admin.nodes[0]!, 'tenant-acme');
    const r = await createTenant(admin, tc.spec, { id: 'acme', plan: 'enterprise', channel: 'web' }, { changePlan: true });
    expect(r.status).toBe('plan-changed');
    expect(r.meta.modules).toHaveLength(8);
    expect(r.meta.channel).toBe('web');
    expect(r.meta.createdAt).toBe(before.createdAt);
    expect(await getUser(admin.nodes[0]!, 'tenant-acme')).toEqual(user);
    expect(await limitsOf(r.meta)).toEqual(r.meta.modules.map(() => ({ maxKeys: '100000', ttl: -1 })));
    const back = await createTenant(admin, tc.spec, { id: 'acme', plan: 'pro', channel: 'mobile' }, { changePlan: true });
    expect(await limitsOf(back.meta)).toEqual(back.meta.modules.map(() => ({ maxKeys: '50000', ttl: -1 })));
    // The modules pro drops lose their limits key: their quota writes are refused.
    const dropped = r.meta.modules.filter((m) => !back.meta.modules.includes(m));
    expect(dropped).toHaveLength(3);
    for (const m of dropped)
      expect(await admin.cluster.exists(limitsKeyOf(r.meta.tenant, m as ModuleName, modulePlacement(r.meta, m)))).toBe(0);
  });

  it('a user missing on one node (e.g. a node restored without its aclfile) is repaired from its hash on re-create', async () => {
    const replica = admin.nodes.find((n) => n.info.role === 'replica')!;
    const hash = (await getUser(admin.nodes[0]!, 'tenant-acme'))?.passwords;
    await replica.client.call('ACL', 'DELUSER', 'tenant-acme');
    const r = await createTenant(admin, tc.spec, { id: 'acme', plan: 'pro' });
    expect(r.status === 'exists' && r.aclRepairedOn).toEqual([replica.address]);
    expect(r.status === 'exists' && r.aclRuleUpdatedOn).toEqual([]);
    expect((await getUser(replica, 'tenant-acme'))?.passwords).toEqual(hash);
  });

  it('a user with an older rule (plain SET, as an older harness granted) gets the current rule on re-create, password kept', async () => {
    const master = admin.nodes.find((n) => n.info.role === 'master')!;
    const dryrun = (node: typeof master) =>
      node.client.call('ACL', 'DRYRUN', 'tenant-acme', 'SET', 'cliente:acme:crm:k', 'v').then(String, errorMessage);
    const hash = (await getUser(master, 'tenant-acme'))?.passwords;
    await master.client.call('ACL', 'SETUSER', 'tenant-acme', '+set');
    expect(await dryrun(master)).toBe('OK');
    const r = await createTenant(admin, tc.spec, { id: 'acme', plan: 'pro' });
    expect(r.status === 'exists' && r.aclRuleUpdatedOn).toEqual([master.address]);
    expect(r.status === 'exists' && r.persisted.length).toBe(admin.nodes.length);
    expect(await dryrun(master)).toMatch(/no permissions to run the 'set' command/);
    expect((await getUser(master, 'tenant-acme'))?.passwords).toEqual(hash);
  });

  it.each(['1*', 'te?t', 'x{y}', 'a:b', 'a b', 'ünï', 'a'.repeat(65), "x' .. redis.call('flushall') .. '"])(
    'create %j → exit-2 error naming the rule, nothing written',
    async (id) => {
      const before = await snapshot();
      const err = await createTenant(admin, tc.spec, { id, plan: 'basic' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidTenantInput);
      expect((err as Error).message).toMatch(/tenant id .* must match \^\[A-Za-z0-9_-\]\{1,64\}\$/);
      expect(await snapshot()).toEqual(before);
    },
  );

  it('unknown plan → exit-2 error naming the known plans, nothing written', async () => {
    const before = await snapshot();
    await expect(createTenant(admin, tc.spec, { id: 'newco', plan: 'gold' })).rejects.toThrow(
      'plan "gold" is not in the spec; known plans: basic, pro, enterprise',
    );
    expect(await snapshot()).toEqual(before);
  });

  it('remove acme: 0 keys of acme left, every key of the other tenants kept, users gone from every node and users.acl', async () => {
    const acme = await tenantWithKeys({ id: 'acme2', plan: 'enterprise' }, 20);
    const beta = await tenantWithKeys({ id: 'beta', plan: 'pro' }, 20);
    // Tenants whose ids extend acme2's: a prefix-glob remove (the seed's `acme2*`) would take them.
    const ext = await tenantWithKeys({ id: 'acme20', plan: 'basic' }, 5);
    expect(await keysOf('acme2')).toBe(acme.keys.length);

    const r = await removeTenant(admin, 'acme2');
    expect(r.metaFound).toBe(true);
    expect(r.totalKeys).toBe(acme.keys.length);
    expect(r.aclUserRemovedOn).toHaveLength(6);
    expect(await keysOf('acme2')).toBe(0);
    expect(await admin.cluster.exists('tenant-meta:acme2')).toBe(0);
    expect((await limitsOf(acme.meta)).every((l) => l.ttl === -2)).toBe(true); // its quota limits keys are gone
    expect(await limitsOf(beta.meta)).toEqual(beta.meta.modules.map(() => ({ maxKeys: '50000', ttl: -1 })));
    for (const n of admin.nodes) expect(await getUser(n, 'tenant-acme2')).toBeNull();
    for (let i = 0; i < 6; i++) expect(aclFileOf(i)).not.toMatch(/^user tenant-acme2 /m);

    for (const t of [beta, ext]) {
      const values = await Promise.all(t.keys.map((k) => admin.cluster.get(k)));
      expect(values.filter((v) => v === `value-of-${t.meta.tenant}`)).toHaveLength(t.keys.length);
      for (const n of admin.nodes) expect(await getUser(n, t.meta.aclUser)).not.toBeNull();
    }
    // Removing again finds nothing and says so.
    const again = await removeTenant(admin, 'acme2');
    expect([again.metaFound, again.totalKeys, again.aclUserRemovedOn.length]).toEqual([false, 0, 0]);
  });

  it('remove 1 leaves 10 and 11 (meta, keys, ACL user) untouched', async () => {
    const one = await tenantWithKeys({ id: '1', plan: 'basic' }, 10);
    const ten = await tenantWithKeys({ id: '10', plan: 'basic' }, 10);
    const eleven = await tenantWithKeys({ id: '11', plan: 'pro' }, 3);
    const r = await removeTenant(admin, '1');
    expect(r.totalKeys).toBe(one.keys.length);
    expect(await keysOf('1')).toBe(0);
    expect(await keysOf('10')).toBe(ten.keys.length);
    expect(await keysOf('11')).toBe(eleven.keys.length);
    expect([await admin.cluster.exists('tenant-meta:10'), await admin.cluster.exists('tenant-meta:11')]).toEqual([1, 1]);
    for (const n of admin.nodes) {
      expect(await getUser(n, 'tenant-1')).toBeNull();
      expect(await getUser(n, 'tenant-10')).not.toBeNull();
      expect(await getUser(n, 'tenant-11')).not.toBeNull();
    }
  });

  it("remove with a broken meta still deletes the tenant's limits keys (found by SCAN), and only its own", async () => {
    const one = await tenantWithKeys({ id: '7', plan: 'basic' }, 2);
    const seventy = await tenantWithKeys({ id: '70', plan: 'basic' }, 2);
    await admin.cluster.set(metaKey(parseTenantId('7')), 'not json');
    await removeTenant(admin, '7');
    expect((await limitsOf(one.meta)).every((l) => l.ttl === -2)).toBe(true);
    expect(await limitsOf(seventy.meta)).toEqual(seventy.meta.modules.map(() => ({ maxKeys: '10000', ttl: -1 })));
  });

  it("remove '1*' is refused before anything is touched", async () => {
    const before = await snapshot();
    await expect(removeTenant(admin, '1*')).rejects.toBeInstanceOf(InvalidTenantInput);
    expect(await snapshot()).toEqual(before);
    expect(await keysOf('10')).toBeGreaterThan(0);
  });

  it('provisionMany from the gate fixture: 6 created with working passwords; a re-run creates nothing and rotates nothing', async () => {
    const pop = loadPopulation(join(DEFAULT_SPEC_PATH, '..', 'tenants.yaml'), tc.spec);
    const r = await provisionMany(admin, tc.spec, pop);
    expect(r.created.map((c) => c.tenant)).toEqual(pop.map((p) => p.id));
    expect(r.persisted.every((p) => p.method === 'acl-save')).toBe(true);
    for (const n of admin.nodes) {
      const users = await usersOn(n);
      for (const p of pop) expect(users.has(`tenant-${p.id}`), `${n.address} tenant-${p.id}`).toBe(true);
    }
    const c = r.created.find((x) => x.tenant === 'gate-basic-web');
    const client = await connectAsTenant(tc.target, c?.aclUser ?? '', c?.password ?? '');
    tenantClients.push(client);
    expect(await client.ping()).toBe('PONG');
    const meta = (await listTenants(admin)).tenants.find((t) => t.tenant === 'gate-basic-web');
    expect(meta?.channel).toBe('web');

    const again = await provisionMany(admin, tc.spec, pop);
    expect(again.created).toEqual([]);
    expect(again.existing).toHaveLength(6);
    const conflict = await provisionMany(admin, tc.spec, [{ id: 'gate-pro-1', plan: 'basic' }]);
    expect(conflict.conflicts).toEqual([{ tenant: 'gate-pro-1', wanted: 'basic/mobile', stored: 'pro/mobile' }]);
  });

  it('provisionMany with one bad entry writes nothing', async () => {
    const before = await snapshot();
    await expect(
      provisionMany(admin, tc.spec, [
        { id: 'ok-1', plan: 'basic' },
        { id: 'bad*', plan: 'basic' },
      ]),
    ).rejects.toThrow(/1 invalid tenant\(s\); nothing was provisioned/);
    expect(await snapshot()).toEqual(before);
  });
});

describe('ACL persistence without an aclfile', () => {
  it('falls back to CONFIG REWRITE and reports it; the user line lands in redis.conf', async () => {
    const port = await testPortBase(9, 1);
    const dir = mkdtempSync(join(tmpdir(), 'noaclfile-'));
    const conf = join(dir, 'redis.conf');
    writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsave ""\nappendonly no\nrequirepass pw\n`);
    const child = spawn(requireBinary('redis-server'), [conf], { stdio: 'ignore' });
    try {
      await waitUntil(
        'standalone redis to answer',
        async () => {
          const c = await connectNode({ host: '127.0.0.1', port }, { password: 'pw' }, 300).catch(() => null);
          if (c === null) return false;
          await closeNode(c);
          return true;
        },
        10_000,
      );
      const client = await connectNode({ host: '127.0.0.1', port }, { password: 'pw' });
      try {
        await client.call(
          'ACL',
          ...aclSetUserArgs(
            buildTenantMeta(tc.spec, parseTenantId('x'), parsePlan(tc.spec, 'basic'), 'mobile', new Date()),
            sha256Hex('pw-x'),
          ),
        );
        const node = {
          info: {
            id: '',
            host: '127.0.0.1',
            port,
            busPort: 0,
            flags: ['master'],
            role: 'master' as const,
            masterId: null,
            linkState: 'connected' as const,
            slots: [],
            openSlots: [],
          },
          address: `127.0.0.1:${port}`,
          client,
        };
        expect(await persistAcl([node])).toEqual([{ node: `127.0.0.1:${port}`, method: 'config-rewrite' }]);
        expect(readFileSync(conf, 'utf8')).toMatch(/^user tenant-x on /m);
      } finally {
        await closeNode(client);
      }
    } finally {
      if (child.pid !== undefined) await stopProcesses([child.pid]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('errors', () => {
  it('an unreachable target is an exit-2 error, not a hang', async () => {
    const err = await openAdminSession({ backend: 'external', seeds: [{ host: '127.0.0.1', port: 7799 }], destructive: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as Error).message).toMatch(/cannot connect/);
  });
});
