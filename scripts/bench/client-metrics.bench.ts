import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientMetrics } from '../../src/client-metrics/index.js';
import { createTenant, openAdminSession, type AdminSession } from '../../src/provision/index.js';
import { TenantCache, type TenantMeta } from '../../src/tenancy/index.js';
import { startTestCluster, type TestCluster } from '../../tests/support/cluster.js';

// What TenantCache's default reporting to the client metrics costs: ops/s of the same caches (same tenants,
// modules, keys, one connection set each) with `metrics: new ClientMetrics()` and with `metrics: null`, in
// alternating rounds of one run, each round's pair back to back (the machine's drift between rounds is larger than
// the difference: the median of the per-round ratios is the figure); at 64 ops in flight and serially. Figures only; the counts are checked
// (every op of the reporting variant is in its histogram). Its behaviour: tests/integration/tenant-cache.test.ts.
const TENANTS = 8;
const ROUNDS = 10;
const OPS_CONCURRENT = 20_000;
const CONCURRENCY = 64;
const OPS_SERIAL = 2000;
const KEYS = 500;
const ROUND_BUDGET_MS = 60_000;

let c: TestCluster;
let admin: AdminSession;
const variants = { reporting: new ClientMetrics(), off: null } as const;
type Variant = keyof typeof variants;
const caches: Record<Variant, TenantCache[]> = { reporting: [], off: [] };
const figure = (text: string) => {
  console.log(`[bench:client-metrics] ${text}`);
};

beforeAll(async () => {
  c = await startTestCluster(4);
  admin = await openAdminSession(c.target);
  const tenants: Array<{ meta: TenantMeta; password: string }> = [];
  for (let i = 0; i < TENANTS; i++) {
    const r = await createTenant(admin, c.spec, { id: `cm${i}`, plan: 'pro', channel: i % 2 ? 'web' : 'mobile' });
    if (r.status !== 'created') throw new Error(`tenant cm${i}: ${r.status}`);
    tenants.push({ meta: r.meta, password: r.password });
  }
  for (const variant of ['reporting', 'off'] as const)
    for (const t of tenants)
      caches[variant].push(
        await TenantCache.open({
          spec: c.spec,
          seeds: c.target.seeds,
          tenant: t.meta.tenant,
          module: 'crm',
          channel: t.meta.channel,
          aclUser: t.meta.aclUser,
          password: t.password,
          meta: t.meta,
          metrics: variants[variant],
        }),
      );
  // The keys both variants read (half the ops are GETs of existing keys).
  await Promise.all(caches.off.map((cache) => Promise.all(Array.from({ length: KEYS }, (_, k) => cache.set('users', `k${k}`, { k })))));
});
afterAll(async () => {
  for (const list of Object.values(caches)) await Promise.all(list.map((x) => x.close()));
  await admin?.close();
  await c?.stop();
});

/** `count` ops (alternately SET and GET over the tenants and keys) with `concurrency` in flight; ops/s. */
async function drive(variant: Variant, count: number, concurrency: number): Promise<number> {
  const list = caches[variant];
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < count) {
      if (performance.now() - t0 > ROUND_BUDGET_MS) throw new Error(`round over ${ROUND_BUDGET_MS} ms`);
      const i = next++;
      const cache = list[i % list.length];
      if (!cache) throw new Error('no cache');
      const key = `k${Math.floor(i / list.length) % KEYS}`;
      if (i % 2 === 0) await cache.set('users', key, { i });
      else await cache.get('users', key);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Math.round(count / ((performance.now() - t0) / 1000));
}

describe('TenantCache with and without its default client-metrics reporting', () => {
  it(`ops/s: ${ROUNDS} alternating rounds at ${CONCURRENCY} in flight (${OPS_CONCURRENT} ops) and serially (${OPS_SERIAL} ops)`, async () => {
    const rows: string[] = [];
    const ratios = { concurrent: [] as number[], serial: [] as number[] };
    for (let r = 1; r <= ROUNDS; r++) {
      // Alternate which variant goes first, so a drift of the machine does not favour one.
      const order: Variant[] = r % 2 ? ['reporting', 'off'] : ['off', 'reporting'];
      const got = { reporting: { concurrent: 0, serial: 0 }, off: { concurrent: 0, serial: 0 } };
      for (const v of order) {
        got[v].concurrent = await drive(v, OPS_CONCURRENT, CONCURRENCY);
        got[v].serial = await drive(v, OPS_SERIAL, 1);
      }
      ratios.concurrent.push(got.reporting.concurrent / got.off.concurrent);
      ratios.serial.push(got.reporting.serial / got.off.serial);
      rows.push(
        `  round ${String(r).padStart(2)}: ${CONCURRENCY} in flight ${String(got.reporting.concurrent).padStart(6)} vs ${String(got.off.concurrent).padStart(6)} ops/s, ` +
          `serial ${String(got.reporting.serial).padStart(6)} vs ${String(got.off.serial).padStart(6)} ops/s (reporting vs off)`,
      );
    }
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return ((s[Math.floor((s.length - 1) / 2)] ?? 0) + (s[Math.ceil((s.length - 1) / 2)] ?? 0)) / 2;
    };
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    const spread = (xs: number[]) => `${pct(Math.min(...xs))}-${pct(Math.max(...xs))}`;
    figure(
      `${TENANTS} tenants (crm, plan pro), quota write path, ${KEYS} keys each, SET/GET alternating\n${rows.join('\n')}\n` +
        `  reporting/off, median of the rounds: ${pct(median(ratios.concurrent))} at ${CONCURRENCY} in flight (rounds ${spread(ratios.concurrent)}), ` +
        `${pct(median(ratios.serial))} serial (rounds ${spread(ratios.serial)})`,
    );
    // Every op of the reporting variant was observed once.
    const counted = (await variants.reporting.duration.get()).values
      .filter((v) => v.metricName === 'cache_harness_client_op_duration_seconds_count')
      .reduce((n, v) => n + v.value, 0);
    expect(counted).toBe(ROUNDS * (OPS_CONCURRENT + OPS_SERIAL));
  }, 600_000);
});
