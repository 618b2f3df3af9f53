import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanKeys } from '../../src/cluster/index.js';
import { createTenant, openAdminSession, removeTenant, tenantKeysMatch, type AdminSession } from '../../src/provision/index.js';
import { parseSpec, type Spec } from '../../src/spec/index.js';
import {
  CHANNELS,
  dataTypesOf,
  isQuotaKey,
  metaKey,
  parseDataType,
  parseModule,
  parseTenantId,
  TenantCache,
  ttlClassOf,
  ttlSeconds,
  type Channel,
  type TenantMeta,
} from '../../src/tenancy/index.js';
import { scanMetaKeys } from '../sharding/meta-store.js';
import { openSuiteContext, type SuiteContext } from '../support/context.js';
import { expectNone } from '../support/expect-none.js';
import { recordFinding } from '../support/findings.js';

// The TTL a key gets on the PRODUCTION write path: tenants provisioned by the real provisioner (one per plan,
// so every module is covered), writes through TenantCache as each tenant's own ACL user (quota scripts
// included), TTLs read back as admin and compared with the spec's tier. Removed with the product's removeTenant.

/** PTTL has ms resolution and Redis rounds the expiry to its clock tick: a few ms either way. */
const CLOCK_SLACK_MS = 5;
const EXPIRY_GRACE_MS = 3000;
const run = randomBytes(3).toString('hex');

interface Tenant {
  plan: string;
  meta: TenantMeta;
  password: string;
}

/** One TenantCache write: where it landed, the tier's TTL, and when it was sent (bounds the PTTL read later). */
interface Written {
  tenant: string;
  plan: string;
  module: string;
  dataType: string;
  channel: Channel;
  ttlClass: string;
  ttlS: number;
  key: string;
  sentAt: number;
}

let ctx: SuiteContext;
let admin: AdminSession;
const tenants: Tenant[] = [];
/** Every id we asked to create, removed in afterAll whatever happened after the create. */
const created: string[] = [];

beforeAll(async () => {
  ctx = await openSuiteContext();
  admin = await openAdminSession(ctx.target);
  for (const plan of Object.keys(ctx.spec.plans)) {
    const id = `ttl-${plan}-${run}`;
    created.push(id);
    const r = await createTenant(admin, ctx.spec, { id, plan });
    if (r.status !== 'created') throw new Error(`${id}: expected a new tenant, got ${r.status}`);
    tenants.push({ plan, meta: r.meta, password: r.password });
  }
}, 60_000);

afterAll(async () => {
  const errors: unknown[] = [];
  for (const id of created) await removeTenant(admin, id).catch((err: unknown) => errors.push(err));
  await admin?.close().catch((err: unknown) => errors.push(err));
  await ctx?.close();
  if (errors.length) throw errors[0];
}, 60_000);

/** TTL class and seconds of (module, data type, channel) in `spec`: the tier the write must get. */
function tier(spec: Spec, module: string, dataType: string, channel: Channel): { ttlClass: string; ttlS: number } {
  const mod = parseModule(spec, module);
  const dt = parseDataType(spec, mod, dataType);
  return { ttlClass: ttlClassOf(spec, mod, dt), ttlS: ttlSeconds(spec, mod, dt, channel) };
}

/** One (tenant, module, channel) client: every data type written once through TenantCache, as the tenant. */
async function writeModule(spec: Spec, t: Tenant, module: string, channel: Channel, tag: string): Promise<Written[]> {
  const cache = await TenantCache.open({
    spec,
    seeds: ctx.target.seeds,
    tenant: t.meta.tenant,
    module,
    channel,
    aclUser: t.meta.aclUser,
    password: t.password,
    meta: t.meta,
  });
  const out: Written[] = [];
  try {
    for (const dataType of dataTypesOf(spec, parseModule(spec, module))) {
      const userKey = `${tag}:${channel}`;
      const sentAt = performance.now();
      await cache.set(dataType, userKey, { tag, channel });
      out.push({
        tenant: t.meta.tenant,
        plan: t.plan,
        module,
        dataType,
        channel,
        ...tier(spec, module, dataType, channel),
        key: cache.key(dataType, userKey),
        sentAt,
      });
    }
  } finally {
    await cache.close();
  }
  return out;
}

/** Every (module, data type, channel) of every tenant's plan. */
async function writeAll(spec: Spec, tag: string): Promise<Written[]> {
  const jobs = tenants.flatMap((t) => t.meta.modules.flatMap((m) => CHANNELS.map((ch) => () => writeModule(spec, t, m, ch, tag))));
  return (await Promise.all(jobs.map((job) => job()))).flat();
}

/** PTTL as admin, with how long ago the write was sent: Redis's clock has run at most that long since the SET. */
async function readBack(all: readonly Written[]): Promise<Array<Written & { pttlMs: number; elapsedMs: number }>> {
  return Promise.all(
    all.map(async (w) => {
      const pttlMs = await admin.cluster.pttl(w.key);
      return { ...w, pttlMs, elapsedMs: performance.now() - w.sentAt };
    }),
  );
}

/** The spec with every TTL class shortened to 1 s (mobile) / 2 s (web): same modules, types and classes, fast expiry. */
function shortTtlSpec(spec: Spec): Spec {
  const ttlClasses = Object.fromEntries(Object.keys(spec.ttlClasses).map((c) => [c, { mobile: 1, web: 2 }]));
  return parseSpec({ ...spec, ttlClasses }, 'short-TTL spec');
}

/** Keys under our tenants' prefixes, except the quota bookkeeping zsets (no TTL by design), whose PTTL is not positive. */
async function keysWithoutTtl(): Promise<Array<{ key: string; pttl: number }>> {
  const out: Array<{ key: string; pttl: number }> = [];
  for (const m of admin.masters) {
    for (const t of tenants) {
      for await (const batch of scanKeys(m.client, { match: tenantKeysMatch(parseTenantId(t.meta.tenant)) })) {
        const data = batch.filter((k) => !isQuotaKey(k));
        const pttls = await Promise.all(data.map((k) => m.client.pttl(k)));
        data.forEach((key, i) => {
          if ((pttls[i] ?? -2) <= 0) out.push({ key, pttl: pttls[i] ?? -2 });
        });
      }
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const where = (w: Written) => `${w.tenant} (${w.plan}) ${w.module}/${w.dataType}/${w.channel}`;

describe('TTL tiers, written through TenantCache as provisioned tenants', () => {
  it("every (module, data type, channel) of every plan gets the spec's TTL (PTTL read back), and mobile <= web", async ({ task }) => {
    const modules = new Set(tenants.flatMap((t) => t.meta.modules));
    const uncovered = Object.keys(ctx.spec.modules).filter((m) => !modules.has(m));
    const rows = await readBack(await writeAll(ctx.spec, 'tier'));
    // Redis set expiry = its clock at the SET + TTL; at the PTTL read at most `elapsedMs` of it has passed.
    const off = rows.filter((r) => r.pttlMs > r.ttlS * 1000 + CLOCK_SLACK_MS || r.pttlMs < r.ttlS * 1000 - r.elapsedMs - CLOCK_SLACK_MS);
    const inverted = rows
      .filter((r) => r.channel === 'mobile')
      .flatMap((m) => {
        const web = rows.find((w) => w.channel === 'web' && w.tenant === m.tenant && w.module === m.module && w.dataType === m.dataType);
        return web && (m.ttlS > web.ttlS || m.pttlMs > web.ttlS * 1000) ? [{ ...m, webTtlS: web.ttlS }] : [];
      });
    const noTtl = await keysWithoutTtl();
    recordFinding(task, {
      severity: off.length || inverted.length || noTtl.length ? 'error' : 'info',
      title: `${rows.length} keys written through TenantCache by ${tenants.length} provisioned tenants (${tenants.map((t) => t.plan).join(', ')}), ${modules.size} modules, with their tier's TTL`,
      data: rows.map((r) => ({
        tenant: r.tenant,
        plan: r.plan,
        module: r.module,
        dataType: r.dataType,
        class: r.ttlClass,
        channel: r.channel,
        ttl_s: r.ttlS,
        pttl_ms: r.pttlMs,
        read_after_ms: Math.round(r.elapsedMs),
      })),
    });
    expect(rows.length).toBeGreaterThan(0);
    expectNone(uncovered, 'module(s) no plan offers: no tenant can write them, so their TTLs go unchecked', (m) => m);
    expectNone(
      off,
      "key(s) whose PTTL is not the spec's TTL (minus the time since the write)",
      (r) => `${where(r)}: TTL ${r.ttlS}s, PTTL ${r.pttlMs}ms ${Math.round(r.elapsedMs)}ms after the write`,
    );
    expectNone(
      inverted,
      'data type(s) whose mobile TTL exceeds the web TTL',
      (r) => `${where(r)}: mobile ${r.ttlS}s (PTTL ${r.pttlMs}ms) > web ${r.webTtlS}s`,
    );
    expectNone(
      Object.entries(ctx.spec.ttlClasses).filter(([, t]) => t.mobile > t.web),
      'TTL class(es) with mobile > web',
      ([c, t]) => `${c}: ${t.mobile}s > ${t.web}s`,
    );
    expectNone(
      noTtl,
      'data key(s) of our tenants without a TTL (volatile-* eviction cannot evict them; they never expire)',
      (k) => `${k.key}: PTTL ${k.pttl}`,
    );
  });

  it(`keys really expire: with 1 s / 2 s tiers, every key written through TenantCache is gone within its TTL + ${EXPIRY_GRACE_MS / 1000} s`, async ({
    task,
  }) => {
    const all = await writeAll(shortTtlSpec(ctx.spec), 'expiry');
    const t0 = performance.now();
    const before = await readBack(all);
    expectNone(
      before.filter((r) => r.pttlMs <= 0 || r.pttlMs > r.ttlS * 1000 + CLOCK_SLACK_MS),
      'key(s) missing or with a TTL above the short tier right after the write',
      (r) => `${where(r)}: PTTL ${r.pttlMs}ms, TTL ${r.ttlS}s`,
    );
    const deadline = t0 + Math.max(...all.map((w) => w.ttlS)) * 1000 + EXPIRY_GRACE_MS;
    let left = all;
    while (left.length > 0 && performance.now() < deadline) {
      await sleep(250);
      const p = await Promise.all(left.map((w) => admin.cluster.pttl(w.key)));
      left = left.filter((_, i) => p[i] !== -2);
    }
    recordFinding(task, {
      severity: left.length ? 'error' : 'info',
      title: `${all.length - left.length}/${all.length} short-TTL keys written through TenantCache expired within ${Math.round(performance.now() - t0)} ms`,
    });
    expect(all.length).toBeGreaterThan(0);
    expectNone(left, `key(s) still present after TTL + ${EXPIRY_GRACE_MS / 1000} s`, (w) => `${where(w)} ${w.key} (TTL ${w.ttlS}s)`);
  });

  it('tenant meta keys (tenant-meta:*) have no TTL', async ({ task }) => {
    const keys: Array<{ key: string; pttl: number }> = [];
    for (const n of admin.masters) {
      for (const key of await scanMetaKeys(n.client)) keys.push({ key, pttl: await n.client.pttl(key) });
    }
    const found = new Set(keys.map((k) => k.key));
    const ours = tenants.map((t) => metaKey(parseTenantId(t.meta.tenant)));
    const expiring = keys.filter((k) => k.pttl !== -1);
    recordFinding(task, {
      severity: expiring.length ? 'error' : 'info',
      title: `${keys.length - expiring.length}/${keys.length} meta keys without TTL (${ours.length} of them ours)`,
    });
    expectNone(
      ours.filter((k) => !found.has(k)),
      'meta key(s) of our tenants not found by SCAN on the masters',
      (k) => k,
    );
    expectNone(
      expiring,
      'meta key(s) with a TTL (they can expire, and volatile-* eviction may evict them)',
      (k) => `${k.key}: PTTL ${k.pttl} ms`,
    );
  });
});
