import { Redis, type Cluster } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rangesContain } from '../../src/cluster/index.js';
import { createTenant, openAdminSession, type AdminSession } from '../../src/provision/index.js';
import {
  buildDataKey,
  mapQuotaError,
  modulePlacement,
  parseDataType,
  parseModule,
  QUOTA_MAX_KEYS_PER_CALL,
  QUOTA_SCRIPTS,
  quotaKeysFor,
  type TenantMeta,
} from '../../src/tenancy/index.js';
import { closeQuotaCluster, openQuotaCluster } from '../../src/tenancy/quota-cluster.js';
import { startTestCluster, type TestCluster } from '../../tests/support/cluster.js';

// A hostile tenant, with its own credentials only, calls every loaded quota script with 200,000 of its own
// keys (which exist, with their zset members). Printed: whether each call was refused, how long it took
// from the client, and the admin's worst PING latency on the slot's master during the attempt. Then the
// largest call each script allows, timed by the server (SLOWLOG with a 0 µs threshold). Figures only;
// the refusals themselves are asserted in tests/integration/quota.test.ts.
const HOSTILE_KEYS = 200_000;
const PIPELINE = 5000;

let c: TestCluster;
let admin: AdminSession;
let tenant: Cluster;
/** The tenant's own plain connection to the slot's master: what a hostile client would send its big calls on. */
let tenantNode: Redis;
let meta: TenantMeta;
let master: Redis;
const figure = (text: string) => {
  console.log(`[bench:quota-bounds] ${text}`);
};

beforeAll(async () => {
  c = await startTestCluster(4);
  admin = await openAdminSession(c.target);
  const r = await createTenant(admin, c.spec, { id: 'hostile', plan: 'enterprise' });
  if (r.status !== 'created') throw new Error('tenant not created');
  meta = r.meta;
  tenant = await openQuotaCluster({ seeds: c.target.seeds, username: meta.aclUser, password: r.password, autoPipelining: true });
  const slot = modulePlacement(meta, 'crm').slot ?? -1;
  const name = c.spec.topology.masters.find((m) => rangesContain(m.slots, slot))?.name;
  const port = c.run.state.nodes.find((n) => n.name === name)?.port;
  const node = admin.masters.find((m) => m.info.port === port);
  if (!node) throw new Error('no master for the slot');
  master = node.client;
  tenantNode = new Redis({
    host: node.info.host,
    port: node.info.port,
    username: meta.aclUser,
    password: r.password,
    enableReadyCheck: false,
  });
}, 120_000);
afterAll(async () => {
  if (tenant) await closeQuotaCluster(tenant);
  tenantNode?.disconnect();
  await admin?.close();
  await c?.stop();
});

function keysOf(n: number, from = 0) {
  const crm = parseModule(c.spec, 'crm');
  const pl = modulePlacement(meta, 'crm');
  const users = parseDataType(c.spec, crm, 'users');
  return Array.from({ length: n }, (_, i) => quotaKeysFor(meta.tenant, crm, pl, buildDataKey(meta.tenant, crm, pl, users, `u${from + i}`)));
}

/** Worst admin PING latency on the slot's master while `work` runs (PING every ~5 ms). */
async function worstPingDuring(
  work: () => Promise<unknown>,
): Promise<{ workMs: number; worstPingMs: number; pings: number; outcome: string }> {
  let done = false;
  let worst = 0;
  let pings = 0;
  const pinger = (async () => {
    while (!done) {
      const t = performance.now();
      await master.ping();
      worst = Math.max(worst, performance.now() - t);
      pings++;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const t0 = performance.now();
  let outcome: string;
  try {
    await work();
    outcome = 'ACCEPTED';
  } catch (err) {
    const mapped = mapQuotaError(err, '');
    outcome = `refused: ${mapped instanceof Error ? `${mapped.name}: ${mapped.message.slice(0, 90)}` : String(mapped)}`;
  }
  const workMs = performance.now() - t0;
  done = true;
  await pinger;
  return { workMs, worstPingMs: worst, pings, outcome };
}

/** Server-side duration (µs) of the next EVALSHA on the master, from SLOWLOG with a 0 µs threshold. */
async function serverMicros(call: () => Promise<unknown>): Promise<{ us: number; outcome: string }> {
  const before = String(await master.config('GET', 'slowlog-log-slower-than').then((r) => (r as string[])[1]));
  await master.config('SET', 'slowlog-log-slower-than', '0');
  await master.call('SLOWLOG', 'RESET');
  let outcome: string;
  try {
    const r = await call();
    outcome = `ok (${JSON.stringify(r)})`;
  } catch (err) {
    outcome = `refused (${err instanceof Error ? err.message.slice(0, 60) : String(err)})`;
  }
  const log = (await master.call('SLOWLOG', 'GET', '20')) as Array<[number, number, number, string[]]>;
  await master.config('SET', 'slowlog-log-slower-than', before);
  const entry = log.find((e) => String(e[3][0]).toLowerCase() === 'evalsha');
  return { us: entry ? Number(entry[2]) : NaN, outcome };
}

describe('quota scripts a tenant can call are bounded', () => {
  it(`populates ${HOSTILE_KEYS} keys of the tenant's crm module, each with its zset member`, async () => {
    const keys = keysOf(HOSTILE_KEYS);
    const expiry = Date.now() + 3_600_000;
    for (let i = 0; i < keys.length; i += PIPELINE) {
      const p = master.pipeline();
      const batch = keys.slice(i, i + PIPELINE);
      for (const k of batch) p.set(k.dataKey, 'x'.repeat(32), 'EX', 3600);
      p.zadd(batch[0]?.quotaKey ?? '', ...batch.flatMap((k) => [expiry, k.dataKey.slice(k.quotaKey.length - '__quota'.length)]));
      await p.exec();
    }
    expect(await master.zcard(keys[0]?.quotaKey ?? '')).toBe(HOSTILE_KEYS);
  }, 300_000);

  it('the tenant calls every loaded script with all of them: refused, and admin PING stays short', async () => {
    const keys = keysOf(HOSTILE_KEYS);
    const zset = keys[0]?.quotaKey ?? '';
    const data = keys.map((k) => k.dataKey);
    for (const [name, s] of Object.entries(QUOTA_SCRIPTS)) {
      // On a plain connection, as one array argument: ioredis's Cluster client and a 200k-argument spread overflow the JS stack.
      let r: Awaited<ReturnType<typeof worstPingDuring>> | undefined;
      const server = await serverMicros(async () => {
        r = await worstPingDuring(() => tenantNode.call('EVALSHA', [s.sha, data.length + 1, zset, ...data]));
      });
      if (!r) throw new Error('no result');
      figure(
        `${name.padEnd(9)} ${HOSTILE_KEYS} keys: ${r.outcome}; server ${(server.us / 1000).toFixed(1)} ms (SLOWLOG), call ${r.workMs.toFixed(0)} ms (client side, incl. building and sending ~${((data.join('').length + data.length * 16) / 1e6).toFixed(1)} MB), admin PING worst ${r.worstPingMs.toFixed(1)} ms over ${r.pings} pings (pinger in the same process)`,
      );
    }
    expect(await master.zcard(zset)).toBe(HOSTILE_KEYS);
  }, 300_000);

  it(`the largest call each script allows (${QUOTA_MAX_KEYS_PER_CALL} keys), timed by the server`, async () => {
    const keys = keysOf(QUOTA_MAX_KEYS_PER_CALL);
    const zset = keys[0]?.quotaKey ?? '';
    const data = keys.map((k) => k.dataKey);
    const del = await serverMicros(() => tenant.call('EVALSHA', QUOTA_SCRIPTS.del.sha, data.length + 1, zset, ...data));
    figure(`del       ${QUOTA_MAX_KEYS_PER_CALL} existing keys (tenant): ${del.us} µs, ${del.outcome}`);
    const rec = await serverMicros(() => master.call('EVALSHA', QUOTA_SCRIPTS.reconcile.sha, data.length + 1, zset, ...data));
    figure(`reconcile ${QUOTA_MAX_KEYS_PER_CALL} missing keys (admin): ${rec.us} µs, ${rec.outcome}`);
    // 199,000 members left; make 1,000 of them expired, so a write prunes its maximum (100) and reconcile too.
    const live = keysOf(QUOTA_MAX_KEYS_PER_CALL, QUOTA_MAX_KEYS_PER_CALL);
    await master.zadd(zset, ...live.flatMap((k) => [1, k.dataKey.slice(k.quotaKey.length - '__quota'.length)]));
    const one = keysOf(1, HOSTILE_KEYS + 1)[0];
    if (!one) throw new Error('no key');
    const set = await serverMicros(() => tenant.call('EVALSHA', QUOTA_SCRIPTS.set.sha, 2, one.quotaKey, one.dataKey, 'v', 60));
    figure(
      `set       1 key, pruning 100 of 1,000 expired members in a 199,000-member zset, then the quota check (tenant): ${set.us} µs, ${set.outcome}`,
    );
    const count = await serverMicros(() => tenant.call('EVALSHA', QUOTA_SCRIPTS.count.sha, 1, zset));
    figure(`count     199,000-member zset (tenant): ${count.us} µs, ${count.outcome}`);
    const rec2 = await serverMicros(() => master.call('EVALSHA', QUOTA_SCRIPTS.reconcile.sha, 1, zset));
    figure(`reconcile prune of the 900 expired members left (admin): ${rec2.us} µs, ${rec2.outcome}`);
  }, 300_000);
});
