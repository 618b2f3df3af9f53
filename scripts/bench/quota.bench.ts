import type { Cluster } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDataKey,
  limitsKeyOf,
  quotaLimitsFromSpec,
  writeQuotaLimits,
  parseDataType,
  parseModule,
  parseTenantId,
  placeTenantModule,
  type DataType,
  type ModuleName,
  type TenantId,
} from '../../src/tenancy/index.js';
import type { Placement } from '../../src/tenancy/index.js';
import { closeQuotaCluster, openQuotaCluster } from '../../src/tenancy/quota-cluster.js';
import { loadQuotaScripts, quotaKeysFor, quotaSet, type QuotaKeys } from '../../src/tenancy/quota-script.js';
import { startTestCluster, type TestCluster } from '../../tests/support/cluster.js';

// The quota write path's cost: plain SET EX vs the quota script (EVALSHA), side by side in one run, on the
// same tenant-modules (same slots, same masters), same keyspace size, same concurrency; then the quota
// zset's memory per member. Figures only; the counts are checked. Its behaviour: tests/integration/quota*.test.ts.
const TENANT_MODULES = 20;
const KEYS_PER_TM = 2500; // 50,000 distinct keys per variant
const OPS_PER_ROUND = 100_000; // two passes: first creates, second overwrites
const CONCURRENCY = 64;
const ROUNDS = 2;
const SERIAL_OPS = 5000;
const ROUND_BUDGET_MS = 90_000;
const MODULES = ['crm', 'whatsapp', 'agendamento', 'marketing', 'analytics'];
const VALUE = 'x'.repeat(64);

let c: TestCluster;
let client: Cluster;
const figure = (text: string) => {
  console.log(`[bench:quota] ${text}`);
};

interface Tm {
  tenant: TenantId;
  module: ModuleName;
  placement: Placement;
  dt: DataType;
}
let tms: Tm[] = [];

beforeAll(async () => {
  c = await startTestCluster(2);
  client = await openQuotaCluster({ seeds: c.target.seeds, password: c.run.password, autoPipelining: true });
  await loadQuotaScripts(client);
  tms = Array.from({ length: TENANT_MODULES }, (_, i) => {
    const tenant = parseTenantId(`bench${String(i).padStart(2, '0')}`);
    const module = parseModule(c.spec, MODULES[i % MODULES.length] ?? 'crm');
    return { tenant, module, placement: placeTenantModule(c.spec, tenant, module), dt: parseDataType(c.spec, module, 'sync') };
  });
  // The limits keys provisioning would write (maxKeys high enough never to refuse; TTL ceilings from the spec).
  await Promise.all(
    tms.map((tm) =>
      writeQuotaLimits(client, limitsKeyOf(tm.tenant, tm.module, tm.placement), quotaLimitsFromSpec(c.spec, tm.module, 1_000_000)),
    ),
  );
});
afterAll(async () => {
  if (client) await closeQuotaCluster(client);
  await c?.stop();
});

/** The i-th key of a variant: same tenant-module (slot) for both variants, distinct user keys. */
function keyOf(variant: 'plain' | 'quota', i: number): QuotaKeys {
  const k = i % (TENANT_MODULES * KEYS_PER_TM);
  const tm = tms[k % TENANT_MODULES];
  if (!tm) throw new Error('no tm');
  return quotaKeysFor(
    tm.tenant,
    tm.module,
    tm.placement,
    buildDataKey(tm.tenant, tm.module, tm.placement, tm.dt, `${variant}-${Math.floor(k / TENANT_MODULES)}`),
  );
}

type Op = (i: number) => Promise<unknown>;
const ops: Record<'plain' | 'quota', Op> = {
  plain: (i) => client.set(keyOf('plain', i).dataKey, VALUE, 'EX', 1800),
  quota: (i) => quotaSet(client, keyOf('quota', i), VALUE, 1800),
};

/** `count` ops with `concurrency` in flight; returns ops/s and latency percentiles (µs). */
async function drive(op: Op, count: number, concurrency: number): Promise<{ opsPerSec: number; p50: number; p99: number; ms: number }> {
  const lat = new Float64Array(count);
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < count) {
      if (performance.now() - t0 > ROUND_BUDGET_MS) throw new Error(`round over ${ROUND_BUDGET_MS} ms`);
      const i = next++;
      const s = performance.now();
      await op(i);
      lat[i] = (performance.now() - s) * 1000;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - t0;
  const sorted = Array.from(lat).sort((a, b) => a - b);
  const q = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);
  return { opsPerSec: Math.round(count / (ms / 1000)), p50: q(0.5), p99: q(0.99), ms: Math.round(ms) };
}

/** Mean server-side µs per call of a command on the masters (INFO commandstats since CONFIG RESETSTAT). */
async function serverUsecPerCall(cmd: string): Promise<number> {
  let calls = 0;
  let usec = 0;
  for (const n of client.nodes('master')) {
    const m = new RegExp(`^cmdstat_${cmd}:calls=(\\d+),usec=(\\d+)`, 'm').exec(String(await n.call('INFO', 'commandstats')));
    calls += Number(m?.[1] ?? 0);
    usec += Number(m?.[2] ?? 0);
  }
  return calls ? usec / calls : 0;
}

describe('quota write path: cost vs plain SET EX', () => {
  it(`throughput at concurrency ${CONCURRENCY} (autopipelined), ${ROUNDS} alternating rounds of ${OPS_PER_ROUND} ops each`, async () => {
    const rows: string[] = [];
    const totals = { plain: 0, quota: 0 };
    for (let r = 1; r <= ROUNDS; r++) {
      for (const variant of ['plain', 'quota'] as const) {
        await Promise.all(client.nodes('master').map((n) => n.call('CONFIG', 'RESETSTAT')));
        const res = await drive(ops[variant], OPS_PER_ROUND, CONCURRENCY);
        totals[variant] += res.opsPerSec;
        const server = await serverUsecPerCall(variant === 'plain' ? 'set' : 'evalsha');
        rows.push(
          `  round ${r} ${variant.padEnd(5)} ${String(res.opsPerSec).padStart(7)} ops/s  p50 ${res.p50} µs  p99 ${res.p99} µs  (${res.ms} ms; server ${server.toFixed(2)} µs/call)`,
        );
      }
    }
    const serial: string[] = [];
    for (const variant of ['plain', 'quota'] as const) {
      const res = await drive(ops[variant], SERIAL_OPS, 1);
      serial.push(`  serial ${variant.padEnd(5)} ${String(res.opsPerSec).padStart(7)} ops/s  p50 ${res.p50} µs  p99 ${res.p99} µs`);
    }
    const plain = totals.plain / ROUNDS;
    const quota = totals.quota / ROUNDS;
    figure(
      `${TENANT_MODULES * KEYS_PER_TM} distinct keys per variant on ${TENANT_MODULES} tenant-modules, 64 B values, TTL 3600 s\n${rows.join('\n')}\n` +
        `  mean: plain SET EX ${Math.round(plain)} ops/s, quota EVALSHA ${Math.round(quota)} ops/s (${((quota / plain) * 100).toFixed(0)}% of plain)\n${serial.join('\n')}`,
    );
    for (const tm of tms) expect(await client.zcard(keyOf('quota', tms.indexOf(tm)).quotaKey)).toBe(KEYS_PER_TM);
  }, 400_000);

  it('memory: MEMORY USAGE of the quota zset per member at 200 (listpack), 1,000 and 10,000 members, vs a data key', async () => {
    const tenant = parseTenantId('memq');
    const module = parseModule(c.spec, 'crm');
    const placement = placeTenantModule(c.spec, tenant, module);
    const dt = parseDataType(c.spec, module, 'users');
    const keys = (i: number) =>
      quotaKeysFor(tenant, module, placement, buildDataKey(tenant, module, placement, dt, `user-${String(i).padStart(6, '0')}`));
    const quotaKey = keys(0).quotaKey;
    await writeQuotaLimits(client, keys(0).limitsKey, quotaLimitsFromSpec(c.spec, module, 1_000_000));
    const lines: string[] = [];
    let written = 0;
    for (const target of [200, 1000, 10_000]) {
      await Promise.all(Array.from({ length: target - written }, (_, j) => quotaSet(client, keys(written + j), VALUE, 3600)));
      written = target;
      const bytes = Number(await client.call('MEMORY', 'USAGE', quotaKey, 'SAMPLES', '0'));
      const enc = String(await client.call('OBJECT', 'ENCODING', quotaKey));
      lines.push(`  ${String(target).padStart(6)} members (${enc}): ${bytes} B, ${(bytes / target).toFixed(1)} B/member`);
      expect(await client.zcard(quotaKey)).toBe(target);
    }
    const sample = await Promise.all(Array.from({ length: 100 }, (_, i) => client.call('MEMORY', 'USAGE', keys(i * 100).dataKey)));
    const dataMean = sample.reduce<number>((a, b) => a + Number(b), 0) / sample.length;
    figure(
      `quota zset memory (member = "users:user-NNNNNN", 17 B; key ${quotaKey.length} B)\n${lines.join('\n')}\n` +
        `  a data key (name ${keys(1).dataKey.length} B, 64 B value, TTL) for comparison: ${dataMean.toFixed(1)} B by MEMORY USAGE (the expires-dict entry not included)`,
    );
  }, 200_000);
});
