import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetCredentials } from '../../src/cluster/index.js';
import { parseSpec, type Spec } from '../../src/spec/index.js';
import {
  buildKey, dataTypesOf, parseDataType, parseModule, parseTenantId, placeTenantModule, ttlClassOf, ttlSeconds, type Channel,
} from '../../src/tenancy/index.js';
import { scanMetaKeys } from '../sharding/meta-store.js';
import { openSuiteContext, type SuiteContext } from '../support/context.js';
import { expectNone } from '../support/expect-none.js';
import { recordFinding } from '../support/findings.js';

/** PTTL read right after SET EX may be this much below the TTL (round trip + a busy 2-core host). */
const TOLERANCE_MS = 1500;
const CHANNELS: readonly Channel[] = ['mobile', 'web'];

let ctx: SuiteContext;
let admin: Cluster;
/** A tenant id of our own, so every key we write is ours to delete. */
const tenant = parseTenantId(`ttl-${randomBytes(4).toString('hex')}`);
const written = new Set<string>();

beforeAll(async () => {
  ctx = await openSuiteContext();
  admin = new Cluster(ctx.target.seeds, {
    lazyConnect: true, enableAutoPipelining: true, clusterRetryStrategy: (n) => (n > 3 ? null : 200 * n), redisOptions: targetCredentials(ctx.target),
  });
  await admin.connect();
});
afterAll(async () => {
  if (admin) {
    await Promise.all([...written].map((k) => admin.del(k)));
    await admin.quit();
  }
  await ctx?.close();
});

/** Every (module, data type, channel) of a spec, with its key under our tenant and the spec's TTL. */
function cases(spec: Spec, tag: string) {
  return Object.keys(spec.modules).flatMap((m) => {
    const mod = parseModule(spec, m);
    const placement = placeTenantModule(spec, tenant, mod);
    return dataTypesOf(spec, mod).flatMap((raw) => {
      const dt = parseDataType(spec, mod, raw);
      return CHANNELS.map((channel) => ({
        module: m, dataType: raw, channel, ttlClass: ttlClassOf(spec, mod, dt), ttlS: ttlSeconds(spec, mod, dt, channel),
        key: buildKey(spec, tenant, mod, placement, raw, `${tag}:${channel}`),
      }));
    });
  });
}

/** The spec with every TTL class shortened to 1 s (mobile) / 2 s (web): same types and classes, fast expiry. */
function shortTtlSpec(spec: Spec): Spec {
  const ttlClasses = Object.fromEntries(Object.keys(spec.ttlClasses).map((c) => [c, { mobile: 1, web: 2 }]));
  return parseSpec({ ...spec, ttlClasses }, 'short-TTL spec');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TTL tiers', () => {
  it('every (module, data type, channel) key gets the spec\'s TTL (PTTL read back), and mobile <= web', async ({ task }) => {
    const all = cases(ctx.spec, 'tier');
    await Promise.all(all.map(async (c) => {
      written.add(c.key);
      await admin.set(c.key, 'x', 'EX', c.ttlS);
    }));
    const pttls = await Promise.all(all.map((c) => admin.pttl(c.key)));
    const rows = all.map((c, i) => ({ module: c.module, dataType: c.dataType, class: c.ttlClass, channel: c.channel, ttl_s: c.ttlS, pttl_ms: pttls[i] ?? -3 }));
    const off = rows.filter((r) => r.pttl_ms > r.ttl_s * 1000 || r.pttl_ms < r.ttl_s * 1000 - TOLERANCE_MS);
    const inverted = rows.filter((r) => r.channel === 'mobile').flatMap((m) => {
      const web = rows.find((w) => w.channel === 'web' && w.module === m.module && w.dataType === m.dataType);
      return web && (m.ttl_s > web.ttl_s || m.pttl_ms > web.pttl_ms) ? [{ ...m, web_ttl_s: web.ttl_s, web_pttl_ms: web.pttl_ms }] : [];
    });
    recordFinding(task, { severity: off.length || inverted.length ? 'error' : 'info', title: `${rows.length} keys written with their tier's TTL`, data: rows });
    expect(rows.length).toBeGreaterThan(0);
    expectNone(off, `key(s) whose PTTL is not within ${TOLERANCE_MS} ms of the spec's TTL`, (r) => `${r.module}/${r.dataType}/${r.channel}: TTL ${r.ttl_s}s, PTTL ${r.pttl_ms}ms`);
    expectNone(inverted, 'data type(s) whose mobile TTL exceeds the web TTL', (r) => `${r.module}/${r.dataType}: mobile ${r.ttl_s}s > web ${r.web_ttl_s}s`);
    expectNone(Object.entries(ctx.spec.ttlClasses).filter(([, t]) => t.mobile > t.web), 'TTL class(es) with mobile > web', ([c, t]) => `${c}: ${t.mobile}s > ${t.web}s`);
  });

  it('keys really expire: with 1 s / 2 s tiers, every key is gone within its TTL + 3 s', async ({ task }) => {
    const all = cases(shortTtlSpec(ctx.spec), 'expiry');
    await Promise.all(all.map(async (c) => {
      written.add(c.key);
      await admin.set(c.key, 'x', 'EX', c.ttlS);
    }));
    const t0 = Date.now();
    const before = await Promise.all(all.map((c) => admin.pttl(c.key)));
    expectNone(all.filter((_, i) => (before[i] ?? -2) <= 0), 'key(s) missing right after the write', (c) => c.key);
    const deadline = t0 + Math.max(...all.map((c) => c.ttlS)) * 1000 + 3000;
    let left = all;
    while (left.length > 0 && Date.now() < deadline) {
      await sleep(250);
      const p = await Promise.all(left.map((c) => admin.pttl(c.key)));
      left = left.filter((_, i) => p[i] !== -2);
    }
    recordFinding(task, { severity: left.length ? 'error' : 'info', title: `${all.length - left.length}/${all.length} short-TTL keys expired within ${Date.now() - t0} ms` });
    expectNone(left, 'key(s) still present after TTL + 3 s', (c) => `${c.key} (TTL ${c.ttlS}s)`);
  });

  it('tenant meta keys (tenant-meta:*) have no TTL', async (tc) => {
    const keys: Array<{ key: string; pttl: number }> = [];
    for (const n of ctx.nodes.filter((x) => x.info.role === 'master')) {
      for (const key of await scanMetaKeys(n.client)) keys.push({ key, pttl: await n.client.pttl(key) });
    }
    if (keys.length === 0) {
      recordFinding(tc.task, { severity: 'info', title: 'no tenant provisioned: no meta key to check' });
      tc.skip();
      return;
    }
    const expiring = keys.filter((k) => k.pttl !== -1);
    recordFinding(tc.task, { severity: expiring.length ? 'error' : 'info', title: `${keys.length - expiring.length}/${keys.length} meta keys without TTL` });
    expectNone(expiring, 'meta key(s) with a TTL (they can expire, and volatile-* eviction may evict them)', (k) => `${k.key}: PTTL ${k.pttl} ms`);
  });
});
