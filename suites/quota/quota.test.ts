import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeNode } from '../../src/cluster/index.js';
import { rangeContains } from '../../src/cluster/slot-ranges.js';
import {
  accountUsage,
  ALERT_RULES_PATH,
  alertExpressions,
  SEED_ALERT_RULES_PATH,
  startExporter,
  TenantMetrics,
  type Exporter,
} from '../../src/metrics/index.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import {
  connectAsTenant,
  createTenant,
  getUser,
  openAdminSession,
  removeTenant,
  TENANT_COMMANDS,
  type AdminSession,
} from '../../src/provision/index.js';
import {
  buildDataKey,
  escapeGlob,
  modulePlacement,
  parseDataType,
  parseModule,
  parseTenantId,
  QuotaExceeded,
  tenantQuotaKeys,
  type TenantMeta,
} from '../../src/tenancy/index.js';
import {
  loadQuotaScripts,
  QUOTA_ACL_GRANTS,
  QUOTA_ZSET_GRANTS,
  quotaCount,
  quotaKeysFor,
  quotaSet,
  type QuotaKeys,
} from '../../src/tenancy/quota-script.js';
import { openSuiteContext, type SuiteContext } from '../support/context.js';
import { expectNone } from '../support/expect-none.js';
import { recordFinding } from '../support/findings.js';
import { startChannelTraffic, type ChannelTraffic } from './channel-traffic.js';
import { freePort, startPrometheus, type PrometheusServer } from './prometheus.js';

/** HTTP ports (exporter, Prometheus: base+30..base+109) come from a configurable base too, checked free before use. */
const HTTP_BASE = Number(process.env.CACHE_HARNESS_HTTP_PORT_BASE ?? 9190);

// One tenant per plan fills its crm module to 95% of the plan's maxKeys through the quota script, as
// the tenant's own ACL user; a quiet basic tenant reads its keys meanwhile. A real Prometheus scrapes
// our exporter and evaluates both rule files (ours and the seed's as written).
const run = randomBytes(3).toString('hex');
const PLANS = ['basic', 'pro', 'enterprise'] as const;
type Role = (typeof PLANS)[number] | 'quiet';
const ids: Record<Role, string> = { basic: `qt-basic-${run}`, pro: `qt-pro-${run}`, enterprise: `qt-ent-${run}`, quiet: `qt-quiet-${run}` };
const FILL = 0.95;
const QUIET_KEYS = 200;
const QUIET_READS = 2000;
const WINDOW = 256;
const TTL = 1800;
const VALUE = 'v'.repeat(32);
const FILL_BUDGET_MS = 150_000;
const MODULE = 'crm';
/** How long the latency check pauses writes on one master (CLIENT PAUSE WRITE, ended by Redis itself if we die). */
const SLOW_MS = 12_000;

interface Tenant {
  role: Role;
  id: string;
  meta: TenantMeta;
  client: Cluster;
  keys: (i: number) => QuotaKeys;
}

let ctx: SuiteContext;
let admin: AdminSession;
let exporter: Exporter | undefined;
let prom: PrometheusServer | undefined;
const metrics = new TenantMetrics();
const tenants = new Map<Role, Tenant>();
const created: string[] = [];
let quietBaseline: { reads: number; hits: number; count: number } | undefined;

function tenant(role: Role): Tenant {
  const t = tenants.get(role);
  if (!t) throw new Error(`tenant ${role} was not provisioned`);
  return t;
}

const target = (t: Tenant) => Math.round(t.meta.maxKeys * FILL);

/** Quota writes i in [from, to) as the tenant, WINDOW in flight. */
async function fill(t: Tenant, from: number, to: number): Promise<{ ms: number }> {
  const t0 = performance.now();
  let next = from;
  const worker = async () => {
    while (next < to) {
      if (performance.now() - t0 > FILL_BUDGET_MS) throw new Error(`filling ${t.id} took over ${FILL_BUDGET_MS} ms`);
      const i = next++;
      await quotaSet(t.client, t.keys(i), VALUE, TTL);
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  return { ms: performance.now() - t0 };
}

/** GETs of the quiet tenant's own keys, as the quiet tenant: hits / reads. Stops at `maxReads` or when `until()` says so. */
async function quietReads(maxReads: number, until: () => boolean = () => false): Promise<{ reads: number; hits: number }> {
  const q = tenant('quiet');
  let reads = 0;
  let hits = 0;
  while (reads < maxReads && !until()) {
    const batch = await Promise.all(Array.from({ length: 50 }, (_, j) => q.client.get(q.keys((reads + j) % QUIET_KEYS).dataKey)));
    reads += batch.length;
    hits += batch.filter((v) => v !== null).length;
  }
  return { reads, hits };
}

/** Poll (bounded) until `pred` holds; returns its last value. */
async function until<T>(what: string, probe: () => Promise<T>, pred: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last = await probe();
  while (!pred(last)) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
    last = await probe();
  }
  return last;
}

/** `selectors` of ACL GETUSER: one flat [field, value, ...] list per selector, as {commands, keys}. */
function selectorsOf(u: Record<string, unknown> | null): Array<{ commands: string[]; keys: string[] }> {
  const raw = u?.selectors;
  if (!Array.isArray(raw)) return [];
  return raw.map((sel) => {
    const f = new Map<string, string>();
    const xs = Array.isArray(sel) ? (sel as unknown[]) : [];
    for (let i = 0; i + 1 < xs.length; i += 2) f.set(String(xs[i]), String(xs[i + 1]));
    return { commands: (f.get('commands') ?? '').split(' '), keys: (f.get('keys') ?? '').split(' ') };
  });
}

/**
 * Per node and user, the quota grants the live user lacks, read back with ACL GETUSER (what provisioning
 * really wrote): QUOTA_ACL_GRANTS at the root, QUOTA_ZSET_GRANTS in a selector on exactly the quota zsets
 * (`~cliente:<id>:<module>:{<tag>}:__quota`, each named: no pattern) and NOT at the root (a root ZADD would let the tenant write keys without a TTL).
 */
async function missingLiveGrants(
  users: ReadonlyArray<{ user: string; meta: TenantMeta }>,
): Promise<Array<{ node: string; user: string; commands: string[] }>> {
  const rows = await Promise.all(
    admin.nodes.flatMap((n) =>
      users.map(async ({ user, meta }) => {
        const u = await getUser(n, user);
        const rules = typeof u?.commands === 'string' ? u.commands.split(' ') : [];
        // The selector's key patterns are exactly the tenant's quota zsets, no wider pattern.
        const quotaKeys = tenantQuotaKeys(meta).map((k) => `~${escapeGlob(k)}`);
        const sel = selectorsOf(u).find((s) => s.keys.join(' ') === quotaKeys.join(' '));
        const commands = [
          ...QUOTA_ACL_GRANTS.filter((g) => !rules.includes(g)).map((g) => g.slice(1)),
          ...QUOTA_ZSET_GRANTS.filter((g) => !sel?.commands.includes(g)).map((g) => `${g.slice(1)} (selector ${quotaKeys.join(' ')})`),
          ...QUOTA_ZSET_GRANTS.filter((g) => rules.includes(g)).map((g) => `${g.slice(1)} granted at the root (must be selector-only)`),
        ];
        return { node: n.address, user, commands };
      }),
    ),
  );
  return rows.filter((r) => r.commands.length > 0);
}

const ours = (s: ReadonlyArray<{ metric: Record<string, string> }>) =>
  s
    .filter((x) => Object.values(ids).includes(x.metric.client_id ?? ''))
    .map((x) => x.metric.client_id)
    .sort();

beforeAll(async () => {
  ctx = await openSuiteContext();
  admin = await openAdminSession(ctx.target);
  // Admin loads the scripts on every node (replicas too: a promoted replica must have them; tenants may not EVAL).
  await loadQuotaScripts(admin.nodes.map((n) => n.client));
  const exporterPort = await freePort(HTTP_BASE + 30, HTTP_BASE + 69);
  exporter = await startExporter({
    port: exporterPort,
    metrics,
    target: ctx.target,
    intervalSeconds: 2,
    accountingIntervalSeconds: 2,
    modules: Object.keys(ctx.spec.modules),
  });
  prom = await startPrometheus({
    port: await freePort(HTTP_BASE + 70, HTTP_BASE + 109),
    scrapeTarget: `127.0.0.1:${exporterPort}`,
    ruleFiles: [join(PROJECT_ROOT, SEED_ALERT_RULES_PATH), join(PROJECT_ROOT, ALERT_RULES_PATH)],
  });
}, 120_000);

afterAll(async () => {
  // Prometheus first, whatever else fails; then the exporter, the tenants (users, keys, metas), the connections.
  const steps: Array<() => Promise<unknown>> = [
    async () => prom?.stop(),
    async () => exporter?.close(),
    ...[...tenants.values()].map((t) => async () => closeNode(t.client)),
    ...created.map((id) => async () => removeTenant(admin, id)),
    async () => admin?.close(),
    async () => ctx?.close(),
  ];
  const errors: unknown[] = [];
  for (const step of steps) await step().catch((err: unknown) => errors.push(err));
  if (errors.length) throw errors[0];
}, 120_000);

describe('quota: per tenant-module maxKeys, enforced and alerted relative to the plan', () => {
  it('provisions a tenant of each plan and a quiet basic tenant; each writes through the quota script as itself', async ({ task }) => {
    const crm = parseModule(ctx.spec, MODULE);
    for (const role of [...PLANS, 'quiet'] as const) {
      const plan = role === 'quiet' ? 'basic' : role;
      const r = await createTenant(admin, ctx.spec, { id: ids[role], plan });
      if (r.status !== 'created') throw new Error(`${ids[role]}: expected a new tenant, got ${r.status}`);
      created.push(ids[role]);
      const id = parseTenantId(ids[role]);
      const placement = modulePlacement(r.meta, MODULE);
      if (placement.tag === null)
        throw new Error(`${ids[role]}: placement ${placement.strategy} has no hash tag for ${MODULE}; the quota needs one`);
      const dt = parseDataType(ctx.spec, crm, 'users');
      tenants.set(role, {
        role,
        id: ids[role],
        meta: r.meta,
        client: await connectAsTenant(ctx.target, r.meta.aclUser, r.password),
        keys: (i) => quotaKeysFor(id, crm, placement, buildDataKey(id, crm, placement, dt, `k${i}`)),
      });
    }
    // The scripts call ZADD, TIME, ... with the CALLER's ACL. TENANT_COMMANDS includes QUOTA_ACL_GRANTS by
    // construction; what the nodes really hold is checked here. A grant a live user lacks is a provisioning
    // regression: fail naming it, never patch the users (that would turn the regression into a pass).
    const live = await missingLiveGrants([...tenants.values()].map((t) => ({ user: t.meta.aclUser, meta: t.meta })));
    if (live.length)
      recordFinding(task, {
        severity: 'error',
        title: 'tenant ACL users lack command(s) the quota scripts call',
        data: { live, tenantCommands: [...TENANT_COMMANDS] },
      });
    expectNone(
      live,
      'provisioned ACL user(s) lacking a quota grant on a node (ACL GETUSER)',
      (x) => `${x.node} ${x.user}: ${x.commands.join(', ')}`,
    );
    expect(tenants.size).toBe(4);
  });

  it("the quiet tenant's baseline: its keys and its hit rate", async () => {
    const q = tenant('quiet');
    await fill(q, 0, QUIET_KEYS);
    const r = await quietReads(QUIET_READS);
    quietBaseline = { ...r, count: await quotaCount(admin.cluster, q.keys(0).quotaKey) };
    expect(quietBaseline.count).toBe(QUIET_KEYS);
    expect(r.hits).toBe(r.reads);
  });

  it("fills basic, pro and enterprise to 95% of their quota; the quiet tenant's key count and hit rate do not change meanwhile", async ({
    task,
  }) => {
    if (!quietBaseline) throw new Error('no baseline');
    let filling = true;
    const during = quietReads(1_000_000, () => !filling);
    const t0 = performance.now();
    const fills = await Promise.all(
      PLANS.map(async (p) => ({ plan: p, keys: target(tenant(p)), ...(await fill(tenant(p), 0, target(tenant(p)))) })),
    ).finally(() => {
      filling = false;
    });
    const totalMs = performance.now() - t0;
    const quiet = await during;
    const counts = Object.fromEntries(
      await Promise.all(PLANS.map(async (p) => [p, await quotaCount(admin.cluster, tenant(p).keys(0).quotaKey)] as const)),
    );
    const quietCount = await quotaCount(admin.cluster, tenant('quiet').keys(0).quotaKey);
    const total = fills.reduce((a, f) => a + f.keys, 0);
    recordFinding(task, {
      severity: 'info',
      title: `${total} quota writes in ${(totalMs / 1000).toFixed(1)} s (${Math.round(total / (totalMs / 1000))}/s); quiet tenant: ${quietBaseline.hits}/${quietBaseline.reads} hits before, ${quiet.hits}/${quiet.reads} during, ${quietBaseline.count} → ${quietCount} keys`,
      data: {
        fills: fills.map((f) => ({ plan: f.plan, keys: f.keys, ms: Math.round(f.ms) })),
        counts,
        quiet: { before: quietBaseline, during: quiet, countAfter: quietCount },
      },
    });
    for (const p of PLANS) expect(counts[p], `${p} keys`).toBe(target(tenant(p)));
    expect(quietCount).toBe(quietBaseline.count);
    expect(quiet.reads).toBeGreaterThan(0);
    expect(quiet.hits / quiet.reads).toBe(quietBaseline.hits / quietBaseline.reads);
  }, 200_000);

  it('live Prometheus: our quota rule selects exactly the three tenants at 95%; the seed\'s "keys > 90000" only the enterprise one', async ({
    task,
  }) => {
    if (!prom || !exporter) throw new Error('no prometheus/exporter');
    const p = prom;
    await exporter.refresh();
    const ent = ids.enterprise;
    await until(
      'Prometheus to scrape the filled counts',
      () => p.query(`redis_client_keys_total{client_id="${ent}",module="${MODULE}"}`),
      (r) => r[0]?.value === target(tenant('enterprise')),
      30_000,
    );
    await until(
      "every tenant's count",
      () => p.query(`redis_client_keys_total{module="${MODULE}"}`),
      (r) => ours(r).length === 4,
      30_000,
    );

    const ourExpr = alertExpressions(ctx.spec).TenantKeyQuotaHigh;
    const seedExpr = 'redis_client_keys_total > 90000';
    const ourHits = await p.query(ourExpr);
    const seedHits = await p.query(seedExpr);
    const expected = PLANS.map((pl) => ids[pl]).sort();
    expect(ours(ourHits)).toEqual(expected);
    for (const s of ourHits.filter((x) => expected.includes(x.metric.client_id ?? ''))) {
      expect(s.metric.module).toBe(MODULE);
      expect(s.value).toBeCloseTo(FILL, 3);
    }
    expect(ours(seedHits)).toEqual([ent]);

    // Both files' rules are loaded and evaluated: pending alerts (their `for:` is minutes) name the same tenants.
    const pendingOurs = await until(
      'TenantKeyQuotaHigh to go pending',
      () => p.query('ALERTS{alertname="TenantKeyQuotaHigh"}'),
      (r) => ours(r).length === 3,
      20_000,
    );
    const pendingSeed = await until(
      'ClientCacheQuotaExceeded to go pending',
      () => p.query('ALERTS{alertname="ClientCacheQuotaExceeded"}'),
      (r) => ours(r).length === 1,
      20_000,
    );
    expect(ours(pendingOurs)).toEqual(expected);
    expect(ours(pendingSeed)).toEqual([ent]);
    const groups = await p.rules();
    expect(groups.map((g) => g.name).sort()).toEqual(['cache-harness-tenant-alerts', 'redis-client-cache-alerts']);
    expectNone(
      groups.flatMap((g) => g.rules).filter((r) => r.health === 'err'),
      'rule(s) failing to evaluate',
      (r) => `${r.name}: ${r.lastError ?? ''}`,
    );

    const missed = expected.filter((id) => !ours(seedHits).includes(id));
    recordFinding(task, {
      severity: 'warning',
      title: "seed's plan-blind quota rule misses basic and pro",
      detail: `At 95% of their plan's maxKeys, "${seedExpr}" (fixtures/prometheus/seed-alerts.yml) selects only the enterprise tenant; ours ("${ourExpr}") selects all three. Missed: ${missed.join(', ')}.`,
      data: {
        ours: ourHits
          .filter((x) => expected.includes(x.metric.client_id ?? ''))
          .map((x) => ({ client_id: x.metric.client_id, plan: x.metric.plan, ratio: x.value })),
        seed: seedHits
          .filter((x) => Object.values(ids).includes(x.metric.client_id ?? ''))
          .map((x) => ({ client_id: x.metric.client_id, plan: x.metric.plan, keys: x.value })),
      },
    });
    // The seed's latency rule reads a plain series; a latency histogram exports _bucket/_sum/_count only.
    const p99 = await p.query(
      `histogram_quantile(0.99, sum by (client_id, module, plan, le) (rate(redis_client_latency_seconds_bucket[1m])))`,
    );
    const plain = await p.query('redis_client_latency_seconds');
    recordFinding(task, {
      severity: 'info',
      title: `probe p99 on the tenants' shards during the fill, from the histogram: ${ours(p99).length} tenant-modules; the seed's latency rule input "redis_client_latency_seconds" has ${plain.length} series`,
      data: p99
        .filter((x) => Object.values(ids).includes(x.metric.client_id ?? ''))
        .map((x) => ({ client_id: x.metric.client_id, plan: x.metric.plan, p99_seconds: x.value })),
    });
    expect(plain).toEqual([]);
  }, 120_000);

  it("live Prometheus: the latency rule selects the tenant-modules of a slowed shard (the exporter's probe), the mobile-ratio rule a web-only tenant's connections", async ({
    task,
  }) => {
    if (!prom || !exporter) throw new Error('no prometheus/exporter');
    const p = prom;
    const exprs = alertExpressions(ctx.spec);
    // A slow shard: writes paused on the master of the pro tenant's crm slot for SLOW_MS (Redis ends the pause by
    // itself; UNPAUSE in finally). The probe's SETs there wait; its modules on the other shards do not.
    const pro = tenant('pro');
    const crmSlot = pro.meta.placement.modules[MODULE]?.slot;
    const master = admin.masters.find((m) => m.info.slots.some((r) => crmSlot != null && rangeContains(r, crmSlot)));
    if (!master) throw new Error(`no master serves slot ${String(crmSlot)}`);
    const elsewhere = pro.meta.modules.filter((m) => {
      const slot = pro.meta.placement.modules[m]?.slot;
      return slot != null && !master.info.slots.some((r) => rangeContains(r, slot));
    });
    const slow = `${pro.id}/${MODULE}`;
    const hitsOf = (r: ReadonlyArray<{ metric: Record<string, string> }>) =>
      r.filter((x) => Object.values(ids).includes(x.metric.client_id ?? '')).map((x) => `${x.metric.client_id}/${x.metric.module}`);
    let latencyHits: string[];
    try {
      await master.client.call('CLIENT', 'PAUSE', String(SLOW_MS), 'WRITE');
      latencyHits = hitsOf(
        await until(
          'the latency rule to select the slowed shard',
          () => p.query(exprs.TenantLatencyP99High),
          (r) => hitsOf(r).includes(slow),
          SLOW_MS + 10_000,
        ),
      );
    } finally {
      await master.client.call('CLIENT', 'UNPAUSE');
    }
    const pending = await until(
      'TenantLatencyP99High to go pending',
      () => p.query('ALERTS{alertname="TenantLatencyP99High"}'),
      (r) => hitsOf(r).includes(slow),
      10_000,
    );
    expect(hitsOf(pending)).toContain(slow);
    expect(elsewhere.length).toBeGreaterThan(0);
    expect(latencyHits.filter((h) => elsewhere.some((m) => h === `${pro.id}/${m}`))).toEqual([]);

    // Mobile ratio: a web-only tenant and a mobile one, each with TenantCache traffic in a thread of its own.
    const traffic: ChannelTraffic[] = [];
    const made: Record<'web' | 'mobile', string> = { web: `qt-web-${run}`, mobile: `qt-mob-${run}` };
    let ratio: { web: number | undefined; mobile: number | undefined; mobileNamed: number; selected: string[] };
    try {
      for (const channel of ['web', 'mobile'] as const) {
        const r = await createTenant(admin, ctx.spec, { id: made[channel], plan: 'basic', channel });
        if (r.status !== 'created') throw new Error(`${made[channel]}: expected a new tenant, got ${r.status}`);
        created.push(made[channel]);
        traffic.push(
          await startChannelTraffic({
            spec: ctx.spec,
            target: ctx.target,
            meta: r.meta,
            password: r.password,
            module: MODULE,
            channel,
            ratePerSec: 50,
          }),
        );
      }
      const [webTraffic, mobTraffic] = traffic;
      if (!webTraffic || !mobTraffic) throw new Error('no traffic');
      const mine = (r: ReadonlyArray<{ metric: Record<string, string> }>) =>
        r.map((x) => x.metric.client_id ?? '').filter((c) => c === made.web || c === made.mobile);
      ratio = (
        await webTraffic.during(
          30_000,
          async () =>
            (
              await mobTraffic.during(30_000, async () => {
                await until(
                  'the mobile-ratio rule to select the web-only tenant',
                  () => p.query(exprs.TenantMobileRatioLow),
                  (r) => mine(r).includes(made.web),
                  20_000,
                );
                // The mobile tenant's traffic starts second: its series may come one live read later.
                await until(
                  "the mobile tenant's ratio series",
                  () => p.query(`redis_client_mobile_ratio{client_id="${made.mobile}"}`),
                  (r) => r.length > 0,
                  20_000,
                );
                const selected = mine(await p.query(exprs.TenantMobileRatioLow));
                await until(
                  'TenantMobileRatioLow to go pending',
                  () => p.query('ALERTS{alertname="TenantMobileRatioLow"}'),
                  (r) => mine(r).includes(made.web),
                  10_000,
                );
                const value = async (q: string) => (await p.query(q))[0]?.value;
                return {
                  web: await value(`redis_client_mobile_ratio{client_id="${made.web}"}`),
                  mobile: await value(`redis_client_mobile_ratio{client_id="${made.mobile}"}`),
                  mobileNamed: (await value(`sum(redis_client_connections{client_id="${made.mobile}",channel="mobile"})`)) ?? 0,
                  selected,
                };
              })
            ).value,
        )
      ).value;
    } finally {
      for (const t of traffic) await t.close().catch(() => undefined);
    }
    recordFinding(task, {
      severity: 'info',
      title: `latency rule on a shard with writes paused ${SLOW_MS / 1000} s: ${latencyHits.length} tenant-module(s) selected; mobile ratio: web-only tenant ${String(ratio.web)}%, mobile tenant ${String(ratio.mobile)}%`,
      data: { slowedMaster: master.address, latencyHits, notSlowed: elsewhere.map((m) => `${pro.id}/${m}`), ratio },
    });
    expect(ratio.web).toBe(0);
    // TenantCache names its connections (CLIENT SETNAME, granted by the tenant's ACL rule): the mobile tenant's are
    // all mobile, so the rule leaves it out.
    expect(ratio.mobile).toBe(100);
    expect(ratio.selected).not.toContain(made.mobile);
  }, 120_000);

  it('writes beyond maxKeys fail with QuotaExceeded and write nothing; overwrites still work', async () => {
    const b = tenant('basic');
    await fill(b, target(b), b.meta.maxKeys);
    const extra = Array.from({ length: 50 }, (_, i) => b.keys(b.meta.maxKeys + i));
    const results = await Promise.allSettled(extra.map((k) => quotaSet(b.client, k, VALUE, TTL)));
    expectNone(
      results.filter((r) => !(r.status === 'rejected' && r.reason instanceof QuotaExceeded)),
      'write(s) beyond maxKeys not refused with QuotaExceeded',
      (r) => (r.status === 'fulfilled' ? 'accepted' : String(r.reason)),
    );
    expect(await admin.cluster.exists(...extra.map((k) => k.dataKey)), 'keys written beyond the quota').toBe(0);
    expect(await quotaCount(admin.cluster, b.keys(0).quotaKey)).toBe(b.meta.maxKeys);
    expect(await quotaSet(b.client, b.keys(17), 'new value', TTL)).toEqual({ created: false, count: b.meta.maxKeys });
  }, 120_000);

  it('SCAN accounting agrees with the quota counts; the quiet tenant still has its keys', async ({ task }) => {
    if (!quietBaseline) throw new Error('no baseline');
    const snap = await accountUsage(ctx.target);
    const row = (role: Role) => snap.tenantModules.find((r) => r.tenant === ids[role] && r.module === MODULE);
    const expected: Record<Role, number> = {
      basic: tenant('basic').meta.maxKeys,
      pro: target(tenant('pro')),
      enterprise: target(tenant('enterprise')),
      quiet: QUIET_KEYS,
    };
    const problems = (Object.keys(expected) as Role[]).flatMap((role) =>
      row(role)?.keys === expected[role] ? [] : [{ role, expected: expected[role], got: row(role)?.keys }],
    );
    recordFinding(task, {
      severity: problems.length ? 'error' : 'info',
      title: `accounting: ${snap.keysScanned} keys scanned on ${snap.masters.length} masters in ${snap.durationMs} ms`,
      data: (Object.keys(expected) as Role[]).map((role) => ({
        tenant: ids[role],
        plan: row(role)?.plan,
        keys: row(role)?.keys,
        limit: row(role)?.keysLimit,
        bytes_estimate: row(role)?.bytesEstimate,
        quota_zset_bytes: row(role)?.quotaKeyBytes,
      })),
    });
    expectNone(problems, 'tenant-module count(s) differ', (p) => `${p.role}: expected ${p.expected}, SCAN counted ${String(p.got)}`);
    const after = await quietReads(QUIET_READS);
    expect(after.hits).toBe(after.reads);
  }, 120_000);
});
