import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeNode, connectNode, countKeys, nodeControlFor, parseClusterNodes, rangesContain } from '../../src/cluster/index.js';
import {
  connectAsTenant,
  createTenant,
  getUser,
  InvalidTenantInput,
  openAdminSession,
  removeTenant,
  restartNode,
  sampleKeys,
  tenantKeysMatch,
  usersOn,
  writeSampleKeys,
  type AdminSession,
  type SampleKey,
} from '../../src/provision/index.js';
import {
  buildKey,
  dataTypesOf,
  escapeGlob,
  metaKey,
  parseModule,
  parseTenantId,
  placeTenantModule,
  slotOf,
  TENANT_ID_RULE,
  tenantPrefix,
  type TenantMeta,
} from '../../src/tenancy/index.js';
import { errorMessage } from '../../src/errors.js';
import { openSuiteContext, type SuiteContext } from '../support/context.js';
import { expectNone } from '../support/expect-none.js';
import { recordFinding } from '../support/findings.js';
import { skipByPolicy } from '../support/outcome.js';
import { keylessProbes, noTtlWriteProbes, REFUSED, replyOf } from './probes.js';

interface Tenant {
  meta: TenantMeta;
  password: string;
  client: Cluster;
  keys: SampleKey[];
}

const run = randomBytes(4).toString('hex');
const ids = { a: `iso-a-${run}`, b: `iso-b-${run}`, p: `iso-p-${run}`, p0: `iso-p-${run}0` };
const GET_KEY1 = "return redis.call('GET', KEYS[1])";
const GET_ARGV1 = "return redis.call('GET', ARGV[1])";

let ctx: SuiteContext;
let admin: AdminSession;
let A: Tenant;
let B: Tenant;
const extraClients: Cluster[] = [];
const sha = { key1: '', argv1: '' };

/** Provision through the harness's own create path, then write sample data as the tenant itself. */
async function provision(id: string, plan: string, perType: number): Promise<Tenant> {
  const r = await createTenant(admin, ctx.spec, { id, plan });
  if (r.status !== 'created') throw new Error(`${id}: expected a new tenant, got ${r.status}`);
  const client = await connectAsTenant(ctx.target, r.meta.aclUser, r.password);
  const keys = sampleKeys(ctx.spec, r.meta, perType);
  await writeSampleKeys(client, keys, `secret-of-${id}`);
  return { meta: r.meta, password: r.password, client, keys };
}

async function keysOf(id: string): Promise<number> {
  let n = 0;
  for (const m of admin.masters) n += await countKeys(m.client, tenantKeysMatch(parseTenantId(id)));
  return n;
}

beforeAll(async () => {
  ctx = await openSuiteContext();
  admin = await openAdminSession(ctx.target);
  A = await provision(ids.a, 'basic', 2);
  B = await provision(ids.b, 'pro', 2);
  // Scripts are loaded by the admin (tenants may EVALSHA, never EVAL or SCRIPT LOAD).
  for (const m of admin.masters) {
    sha.key1 = String(await m.client.call('SCRIPT', 'LOAD', GET_KEY1));
    sha.argv1 = String(await m.client.call('SCRIPT', 'LOAD', GET_ARGV1));
  }
});

afterAll(async () => {
  await Promise.all([A?.client, B?.client, ...extraClients].filter((c): c is Cluster => c !== undefined).map(closeNode));
  if (admin) {
    for (const id of Object.values(ids)) await removeTenant(admin, id).catch(() => undefined);
    await admin.close();
  }
  await ctx?.close();
});

describe('tenant isolation (enforced by per-node ACL users)', () => {
  it('positive control: a tenant reads, writes and expires its own keys, and may EVALSHA on them', async ({ task }) => {
    const k = A.keys[0]?.key ?? '';
    const k2 = A.keys.find((x) => x.key !== k && slotOf(x.key) === slotOf(k))?.key ?? '';
    // In order, one at a time: each reply is checked against what that step must return.
    const checks: Array<[string, () => Promise<unknown>, unknown]> = [
      ['GET', () => A.client.get(k), `secret-of-${ids.a}`],
      ['SETEX', () => A.client.setex(k, 600, 'v2'), 'OK'],
      ['EXPIRE', () => A.client.expire(k, 900), 1],
      ['PEXPIRE', () => A.client.pexpire(k, 900_000), 1],
      ['TTL>0', () => A.client.ttl(k).then((t) => t > 0), true],
      ['PTTL>0', () => A.client.pttl(k).then((t) => t > 0), true],
      ['EXISTS', () => A.client.exists(k), 1],
      ['MGET', () => A.client.mget(k, k2), ['v2', `secret-of-${ids.a}`]],
      ['EVALSHA', () => A.client.evalsha(sha.key1, 1, k), 'v2'],
    ];
    const problems: string[] = [];
    for (const [name, send, want] of checks) {
      const r = await replyOf(send());
      const wanted = typeof want === 'string' ? want : JSON.stringify(want);
      if (!r.ok || r.text !== wanted) problems.push(`${name}: got ${r.text}, want ${wanted}`);
    }
    await A.client.setex(k, A.keys[0]?.ttl ?? 60, `secret-of-${ids.a}`);
    recordFinding(task, {
      severity: problems.length ? 'error' : 'info',
      title: `tenant ${ids.a}: ${checks.length - problems.length}/${checks.length} data commands work on its own keys`,
    });
    expectNone(problems, 'own-key command(s) failed', (p) => p);
  });

  it("tenant A gets NOPERM for every data command on tenant B's keys; B's data is unchanged", async ({ task }) => {
    const bk = B.keys[0]?.key ?? '';
    const bk2 = B.keys.find((x) => x.key !== bk && slotOf(x.key) === slotOf(bk))?.key ?? '';
    const ak = A.keys[0]?.key ?? '';
    const ttlBefore = await admin.cluster.ttl(bk);
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['GET', () => A.client.get(bk)],
      ['SETEX', () => A.client.setex(bk, 60, 'stolen')],
      ['DEL', () => A.client.del(bk)],
      ['UNLINK', () => A.client.unlink(bk)],
      ['EXISTS', () => A.client.exists(bk)],
      ['EXPIRE', () => A.client.expire(bk, 1)],
      ['PEXPIRE', () => A.client.pexpire(bk, 1)],
      ['TTL', () => A.client.ttl(bk)],
      ['PTTL', () => A.client.pttl(bk)],
      ['MGET', () => A.client.mget(bk, bk2)],
      ['EVALSHA (B key in KEYS)', () => A.client.evalsha(sha.key1, 1, bk)],
      ['EVALSHA (own key in KEYS, B key read inside the script)', () => A.client.evalsha(sha.argv1, 1, ak, bk)],
    ];
    const rows: Array<{ command: string; reply: string }> = [];
    const problems: string[] = [];
    for (const [command, send] of attempts) {
      const r = await replyOf(send());
      rows.push({ command, reply: r.text });
      if (r.ok || !REFUSED.test(r.text)) problems.push(`${command} ${bk}: ${r.ok ? 'ALLOWED' : 'refused, but not by ACL'}: ${r.text}`);
    }
    const value = await admin.cluster.get(bk);
    const ttlAfter = await admin.cluster.ttl(bk);
    if (value !== `secret-of-${ids.b}`) problems.push(`B's key now holds ${JSON.stringify(value)}`);
    if (ttlAfter <= 0 || ttlAfter > ttlBefore) problems.push(`B's key TTL went from ${ttlBefore} to ${ttlAfter}`);
    recordFinding(task, {
      severity: problems.length ? 'error' : 'info',
      title: `${attempts.length} data commands from ${ids.a} on ${ids.b}'s keys`,
      data: rows,
    });
    expectNone(problems, 'cross-tenant command(s) not refused', (p) => p);
  });

  it('keyless and admin commands (KEYS, SCAN, RANDOMKEY, FLUSHALL, FLUSHDB, CONFIG, EVAL...) are denied to a tenant on every node', async ({
    task,
  }) => {
    const bk = B.keys[0]?.key ?? '';
    const probes = [...keylessProbes(bk, tenantKeysMatch(parseTenantId(ids.b)), A.meta.aclUser), ...noTtlWriteProbes(A.keys[0]?.key ?? '')];
    const problems: string[] = [];
    const rows = new Map<string, { command: string; dryrun: string; live: string }>();
    for (const n of admin.nodes) {
      const asA = await connectNode({ host: n.info.host, port: n.info.port }, { username: A.meta.aclUser, password: A.password });
      try {
        for (const p of probes) {
          const cmd = p.args.join(' ').slice(0, 80);
          const dry = await replyOf(n.client.call('ACL', 'DRYRUN', A.meta.aclUser, ...p.args));
          // Sent for real only once ACL DRYRUN (Redis >= 7.0) has said no: a broken ACL must fail the check, not flush a node.
          if (!dry.ok || !/no permissions/i.test(dry.text)) {
            problems.push(
              `${n.address}: ACL DRYRUN ${cmd} answered ${JSON.stringify(dry.text)} (${dry.text === 'OK' ? 'ALLOWED' : 'no verdict'}); not sent`,
            );
            continue;
          }
          let live = '(dryrun only)';
          if (p.live) {
            const r = await replyOf(asA.call(p.args[0] ?? '', ...p.args.slice(1)));
            live = r.text;
            if (r.ok || !(REFUSED.test(r.text) || p.alsoRefused?.test(r.text)))
              problems.push(`${n.address}: ${cmd} as ${A.meta.aclUser}: ${r.ok ? 'ALLOWED' : 'unexpected error'}: ${r.text}`);
          }
          if (!rows.has(cmd)) rows.set(cmd, { command: cmd, dryrun: dry.text, live });
        }
      } finally {
        await closeNode(asA);
      }
    }
    const intact = await keysOf(ids.b);
    if (intact !== B.keys.length) problems.push(`tenant ${ids.b} has ${intact} keys, expected ${B.keys.length}`);
    recordFinding(task, {
      severity: problems.length ? 'error' : 'info',
      title: `${probes.length} keyless/admin commands × ${admin.nodes.length} nodes`,
      data: [...rows.values()],
    });
    expect(admin.nodes.length).toBeGreaterThan(0);
    expectNone(problems, 'keyless/admin command(s) not denied', (p) => p);
  });

  it('ids with glob, Lua, brace, colon, space, unicode or oversize characters are rejected before anything is written', async ({
    task,
  }) => {
    const bad = [
      '1*',
      'te?t',
      'a[bc]',
      `iso-${run}*`,
      "x' .. redis.call('flushall') .. '",
      'x{y}',
      '{iso}',
      'a:b',
      'a b',
      'tab\there',
      'ünï',
      'emoji-😀',
      'a'.repeat(65),
      '',
      'new\nline',
      'back\\slash',
      'quote"s',
    ];
    const before = await Promise.all(admin.nodes.map(async (n) => [...(await usersOn(n))].sort()));
    const problems: string[] = [];
    for (const id of bad) {
      const err = await createTenant(admin, ctx.spec, { id, plan: 'basic' }).then(
        () => null,
        (e: unknown) => e,
      );
      if (!(err instanceof InvalidTenantInput) || err.rule !== 'tenant-id')
        problems.push(`${JSON.stringify(id)}: ${err === null ? 'ACCEPTED' : errorMessage(err)}`);
      const rm = await removeTenant(admin, id).then(
        () => null,
        (e: unknown) => e,
      );
      if (!(rm instanceof InvalidTenantInput)) problems.push(`remove ${JSON.stringify(id)}: not refused`);
      if ((await admin.cluster.exists(`tenant-meta:${id}`)) !== 0) problems.push(`${JSON.stringify(id)}: a meta key was written`);
      for (const m of admin.masters) {
        const n = await countKeys(m.client, `${escapeGlob(`cliente:${id}:`)}*`);
        if (n > 0) problems.push(`${JSON.stringify(id)}: ${n} key(s) on ${m.address}`);
      }
    }
    // A valid id with an unknown plan is refused too, and leaves nothing.
    const planErr = await createTenant(admin, ctx.spec, { id: `iso-x-${run}`, plan: 'gold' }).then(
      () => null,
      (e: unknown) => e,
    );
    if (!(planErr instanceof InvalidTenantInput) || !/known plans/.test(planErr.message)) problems.push(`plan "gold": ${String(planErr)}`);
    if ((await admin.cluster.exists(metaKey(parseTenantId(`iso-x-${run}`)))) !== 0) problems.push('plan "gold": a meta key was written');
    const after = await Promise.all(admin.nodes.map(async (n) => [...(await usersOn(n))].sort()));
    admin.nodes.forEach((n, i) => {
      if (JSON.stringify(after[i]) !== JSON.stringify(before[i])) problems.push(`${n.address}: ACL users changed`);
    });
    recordFinding(task, {
      severity: problems.length ? 'error' : 'info',
      title: `${bad.length} malformed ids refused by create and remove (rule ${TENANT_ID_RULE.source}); no key, meta or ACL user appeared`,
    });
    expectNone(problems, 'malformed id(s) not refused cleanly', (p) => p);
  });

  it("removing a tenant never touches a tenant whose id extends it (the seed's `remove 1*` deleted 10, 11...)", async ({ task }) => {
    const p = await provision(ids.p, 'basic', 1);
    const p0 = await provision(ids.p0, 'basic', 1);
    extraClients.push(p.client, p0.client);
    const r = await removeTenant(admin, ids.p);
    const problems: string[] = [];
    if (r.totalKeys !== p.keys.length) problems.push(`removed ${r.totalKeys} keys, ${ids.p} had ${p.keys.length}`);
    if ((await keysOf(ids.p0)) !== p0.keys.length) problems.push(`${ids.p0} lost keys`);
    if ((await admin.cluster.exists(metaKey(parseTenantId(ids.p0)))) !== 1) problems.push(`${ids.p0} lost its meta config`);
    for (const n of admin.nodes) if ((await getUser(n, p0.meta.aclUser)) === null) problems.push(`${n.address}: ${p0.meta.aclUser} gone`);
    recordFinding(task, {
      severity: problems.length ? 'error' : 'info',
      title: `remove ${ids.p}: ${r.totalKeys} keys; ${ids.p0} kept ${p0.keys.length} keys, meta and ACL user`,
    });
    expectNone(problems, 'prefix-remove problem(s)', (x) => x);
  });

  it('property: every key built for a tenant starts with its prefix, and another tenant cannot read it', async ({ task }) => {
    const modules = Object.keys(ctx.spec.modules);
    const arb = fc.record({
      id: fc.oneof(fc.constant(ids.a), fc.stringMatching(TENANT_ID_RULE)),
      module: fc.constantFrom(...modules),
      pick: fc.nat(),
      userKey: fc.oneof(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
        fc.constantFrom('{', '}', '{x}', '*', '?', '[a]', ':', '\\', `{${ids.b}}`, `../${ids.b}`, ' '),
      ),
    });
    const prop = fc.asyncProperty(arb, async ({ id, module, pick, userKey }) => {
      const tenant = parseTenantId(id);
      const mod = parseModule(ctx.spec, module);
      const types = dataTypesOf(ctx.spec, mod);
      const key = buildKey(ctx.spec, tenant, mod, placeTenantModule(ctx.spec, tenant, mod), types[pick % types.length] ?? '', userKey);
      expect(key.startsWith(tenantPrefix(tenant))).toBe(true);
      if (id === ids.b) return;
      if (id === ids.a) expect(await A.client.setex(key, 60, 'p')).toBe('OK');
      const r = await replyOf(B.client.get(key));
      expect(r.ok, `${ids.b} read ${JSON.stringify(key)}: ${r.text}`).toBe(false);
      expect(r.text).toMatch(REFUSED);
    });
    const out = await fc.check(prop, { numRuns: 50, plugins: [fc.interruptAfterTimeLimit(30_000)] });
    recordFinding(task, {
      severity: out.failed ? 'error' : 'info',
      title: `${out.numRuns} random (tenant id, module, data type, user key) cases${out.interrupted ? ' (stopped at the 30 s bound)' : ''}`,
    });
    expect(out.failed, fc.defaultReportMessage(out) ?? '').toBe(false);
    expect(out.numRuns).toBeGreaterThan(0);
  });

  it('ACL users survive a node restart (destructive)', async (tctx) => {
    const { task } = tctx;
    if (!ctx.target.destructive) {
      recordFinding(task, { severity: 'warning', title: 'skipped: restarting a node changes the cluster; run with --allow-destructive' });
      skipByPolicy(tctx, 'restarts a node: needs a destructive target (--allow-destructive)');
    }
    const control = nodeControlFor(ctx.target, ctx.spec);
    if (!control || !ctx.target.password) {
      recordFinding(task, {
        severity: 'warning',
        title: `skipped: the harness can restart nodes only of a cluster it started (this is ${ctx.target.backend})`,
      });
      skipByPolicy(tctx, 'restarting a node needs control of its process or container: not --target');
    }
    // The replica of the master that owns A's first key: after the restart A must authenticate there and read it (READONLY).
    const ak = A.keys[0]?.key ?? '';
    const topo = parseClusterNodes(String(await admin.nodes[0]?.client.call('CLUSTER', 'NODES')));
    const owner = topo.find((n) => n.role === 'master' && rangesContain(n.slots, slotOf(ak)));
    const replica = topo.find((n) => n.masterId === owner?.id) ?? topo.find((n) => n.role === 'replica') ?? topo[0];
    const name = ctx.target.nodeNames?.[String(replica?.port)];
    if (!control || name === undefined || replica === undefined) throw new Error(`no node of ours on port ${replica?.port}`);
    const node = control.node(name);
    const adminOn = admin.nodes.find((n) => n.info.port === node.port);
    const usersBefore = adminOn ? [...(await usersOn(adminOn))].sort() : [];

    const r = await restartNode(control, ctx.target.seeds[0]?.host ?? ctx.spec.topology.host, node.name, ctx.target.password ?? '');
    // The admin connections to the restarted node are gone: reopen the session.
    await admin.close();
    admin = await openAdminSession(ctx.target);
    const again = admin.nodes.find((n) => n.info.port === node.port);
    const usersAfter = again ? [...(await usersOn(again))].sort() : [];

    const asA = await connectNode(
      { host: ctx.target.seeds[0]?.host ?? '127.0.0.1', port: node.port },
      { username: A.meta.aclUser, password: A.password },
    );
    let readBack: string | null;
    try {
      if (replica?.role === 'replica') await asA.call('READONLY');
      readBack = await asA.get(ak);
    } finally {
      await closeNode(asA);
    }
    recordFinding(task, {
      severity: 'info',
      title: `${node.name} (${node.role}, pid ${r.oldPid} → ${r.newPid}) restarted in ${Math.round(r.downMs)} ms; ${usersAfter.length} ACL users before and after: ${JSON.stringify(usersAfter) === JSON.stringify(usersBefore) ? 'same' : 'DIFFERENT'}`,
    });
    expect(usersAfter).toEqual(usersBefore);
    expect(usersAfter).toContain(A.meta.aclUser);
    expect(usersAfter).toContain(B.meta.aclUser);
    expect(readBack).toBe(`secret-of-${ids.a}`);
  });

  it('removing tenant A leaves every key and the ACL user of tenant B on every node; A is gone everywhere', async ({ task }) => {
    const bUser = await Promise.all(admin.nodes.map((n) => getUser(n, B.meta.aclUser)));
    const r = await removeTenant(admin, ids.a);
    const problems: string[] = [];
    if (r.totalKeys < A.keys.length) problems.push(`removed ${r.totalKeys} of ${ids.a}'s keys, expected at least ${A.keys.length}`);
    if ((await keysOf(ids.a)) !== 0) problems.push(`${ids.a} still has keys`);
    if ((await admin.cluster.exists(metaKey(parseTenantId(ids.a)))) !== 0) problems.push(`${ids.a}'s meta config is still there`);
    for (const [i, n] of admin.nodes.entries()) {
      if ((await getUser(n, A.meta.aclUser)) !== null) problems.push(`${n.address}: ${A.meta.aclUser} still exists`);
      const now = await getUser(n, B.meta.aclUser);
      if (now === null) problems.push(`${n.address}: ${B.meta.aclUser} is gone`);
      else if (JSON.stringify(now.passwords) !== JSON.stringify(bUser[i]?.passwords) || now.keys !== bUser[i]?.keys)
        problems.push(`${n.address}: ${B.meta.aclUser} changed`);
    }
    const bKeys = await keysOf(ids.b);
    if (bKeys !== B.keys.length) problems.push(`${ids.b} has ${bKeys} keys, expected ${B.keys.length}`);
    const fresh = await connectAsTenant(ctx.target, B.meta.aclUser, B.password);
    extraClients.push(fresh);
    const values = await Promise.all(B.keys.map((k) => fresh.get(k.key)));
    const readable = values.filter((v) => v === `secret-of-${ids.b}`).length;
    if (readable !== B.keys.length) problems.push(`${ids.b} reads ${readable}/${B.keys.length} of its keys`);
    const login = await replyOf(
      connectAsTenant(ctx.target, A.meta.aclUser, A.password).then(async (c) => {
        extraClients.push(c);
        return c.ping();
      }),
    );
    if (login.ok) problems.push(`${A.meta.aclUser} can still log in`);
    recordFinding(task, {
      severity: problems.length ? 'error' : 'info',
      title: `remove ${ids.a}: ${r.totalKeys} keys, ACL user on ${r.aclUserRemovedOn.length} nodes; ${ids.b} kept ${bKeys} keys and its user on ${admin.nodes.length} nodes`,
    });
    expectNone(problems, 'problem(s) after removing A', (p) => p);
  });
});
