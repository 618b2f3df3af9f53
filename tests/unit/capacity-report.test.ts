import { describe, expect, it } from 'vitest';
import { buildWorkload } from '../../src/bench/workload.js';
import { memoryToBytes } from '../../src/checks/normalize.js';
import { projectMemory } from '../../src/capacity/memory-projection.js';
import { computePlacement, tenantModuleLoads, withLiveKeyShare } from '../../src/capacity/placement.js';
import { moduleLoads, opsAssumption, populationOpsPerS, project } from '../../src/capacity/projection.js';
import {
  CAPACITY_SCHEMA_VERSION,
  capacityDocumentSchema,
  type CapacityDocument,
  type CapacityMemory,
  type Sweep,
  type SweepStep,
} from '../../src/capacity/schema.js';
import { generatePopulation } from '../../src/provision/population.js';
import { formatCapacity } from '../../src/commands/capacity.js';
import { renderCapacityPage, renderCapacitySection } from '../../src/report/capacity-html.js';
import { loadSpec } from '../../src/spec/index.js';

const MiB = 1024 * 1024;
const spec = loadSpec();
const masters = spec.topology.masters.map((m) => m.name);

/** A step at `rate` offered: latency grows as the rate nears `limit`; past it the achieved rate falls short. */
function step(rate: number, limit: number): SweepStep {
  const load = rate / limit;
  const p99 = 400 + 2000 * load ** 4;
  const ok = load <= 1;
  return {
    offered_ops_per_s: rate,
    achieved_ops_per_s: ok ? rate : limit,
    p50_us: 120 + 200 * load ** 2,
    p99_us: ok ? p99 : 60_000,
    p99_9_us: ok ? 3 * p99 : 140_000,
    channels: [
      { channel: 'mobile', p99_us: ok ? p99 : 60_000, p99_9_us: ok ? 3 * p99 : 140_000 },
      { channel: 'web', p99_us: ok ? p99 : 70_000, p99_9_us: ok ? 3 * p99 : 150_000 },
    ],
    errors: 0,
    slo_met: ok,
    ok,
    reasons: ok ? [] : [`achieved ${limit} < 99% of ${rate} ops/s`, 'mobile p99 60 ms > 20 ms'],
    disturbed: false,
  };
}

function sweep(scope: string, limit: number): Sweep {
  const rates = [2500, 5000, 10_000, 20_000, 40_000].filter((r) => r <= 2 * limit);
  const steps = rates.map((r) => step(r, limit));
  const best = [...steps].reverse().find((s) => s.ok);
  return {
    scope,
    steps,
    knee: best ? { ops_per_s: best.offered_ops_per_s, p99_us: best.p99_us, p99_9_us: best.p99_9_us } : null,
    stopped: 'first failing step and one confirming step',
  };
}

const perModule = (bytes: number, plan: string) => Object.fromEntries((spec.plans[plan]?.modules ?? []).map((m) => [m, bytes]));

/** A whole capacity document from hand-built measurements, through the real placement and projection. */
function handBuiltDocument(): CapacityDocument {
  const workload = buildWorkload(spec, 'mobile');
  const population = generatePopulation({ count: 1000 });
  const memory: CapacityMemory = {
    fill: 0.5,
    bytes_per_key: { contacts: 182, userSessions: 160, messages: 410, mediaCache: 1450, syncData: 300, offlineQueue: 290 },
    memory_usage_sample: { contacts: 176, userSessions: 152, messages: 400, mediaCache: 1432, syncData: 288, offlineQueue: 280 },
    bytes_per_tenant: { basic: 0.5 * MiB, pro: 5 * MiB, enterprise: 16 * MiB },
    bytes_per_tenant_full: { basic: 1 * MiB, pro: 10 * MiB, enterprise: 32 * MiB },
    bytes_per_tenant_each_master: 4096,
    bytes_per_tenant_module: {
      basic: perModule(0.25 * MiB, 'basic'),
      pro: perModule(MiB, 'pro'),
      enterprise: perModule(2 * MiB, 'enterprise'),
    },
    per_master: masters.map((name, i) => ({ name, used_memory_delta: (30 - 8 * i) * MiB, keys: 90_000 - 20_000 * i })),
    tenants_per_plan: { basic: 3, pro: 3, enterprise: 3 },
  };
  const loads = tenantModuleLoads(spec, population, workload, memory.fill);
  const placement = withLiveKeyShare(computePlacement(spec, population, workload, memory.fill), {
    'redis-1': 3650,
    'redis-2': 3050,
    'redis-3': 3300,
  });
  const cluster = sweep('cluster', 20_000);
  const shardSweeps = masters.map((m, i) => sweep(m, 10_000 * (i + 1)));
  const projection = project({
    spec,
    population,
    shardMemory: projectMemory(spec, memory, population),
    baselineBytes: Object.fromEntries(masters.map((m) => [m, 2 * MiB])),
    placement,
    opsPerS: populationOpsPerS(loads, 1),
    clusterSweep: cluster,
    shardSweeps,
    maxmemory: Object.fromEntries(masters.map((m) => [m, memoryToBytes(String(spec.redis.maxmemory))])),
    modules: moduleLoads(loads, memory, 1),
    eachMasterBytes: memory.bytes_per_tenant_each_master,
    targetTenants: 3000,
    assumptions: [opsAssumption(workload, 1), 'fill: every tenant-module holds 50% of its plan’s maxKeys <& "quoted">'],
  });
  return {
    schema: 'cache-harness.capacity',
    schema_version: CAPACITY_SCHEMA_VERSION,
    started_at: '2026-11-30T07:30:00.000Z',
    duration_ms: 312_000,
    target: { backend: 'local', masters: ['127.0.0.1:14001', '127.0.0.1:14002', '127.0.0.1:14003'] },
    knee: cluster.knee,
    steps: cluster.steps,
    sweeps: [cluster, ...shardSweeps],
    memory,
    placement,
    projection,
  };
}

describe('capacity report section', () => {
  const doc = capacityDocumentSchema.parse(handBuiltDocument());

  it('the hand-built document is a valid capacity document with redis-1 the first limit', () => {
    expect(doc.knee?.ops_per_s).toBe(20_000);
    expect(doc.projection.first_limit).toEqual({ shard: 'redis-1', resource: 'memory' });
    expect(doc.projection.masters_needed).toBe(6);
  });

  it('holds the latency-vs-rate chart, the per-shard, placement, sweep and memory tables, and the assumptions, escaped', () => {
    const html = renderCapacitySection(doc);
    const pngs = html.match(/src="data:image\/png;base64,[A-Za-z0-9+/=]{1000,}"/g) ?? [];
    expect(pngs).toHaveLength(1);
    expect(Buffer.from(/base64,([^"]+)"/.exec(pngs[0] ?? '')?.[1] ?? '', 'base64').subarray(0, 4)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    );
    expect(html).toContain('<th>memory headroom</th>');
    expect(html).toContain('<th>live key share</th>');
    // 940 of 1600 ops (58.75%: one decimal either way in binary floating point); live 3650 of 10000 keys.
    expect(html).toMatch(/<td>redis-1<\/td><td>crm, whatsapp<\/td><td>37\.1%<\/td><td>58\.[78]%<\/td><td>36\.5%<\/td>/);
    expect(html).toContain(`<b>${doc.projection.max_tenants}</b> tenants fit`);
    expect(html).toContain('the first limit is <b>memory</b> on <b>redis-1</b>');
    expect(html).toContain('<b>6</b> master(s)');
    expect(html).toContain('<td>20000</td>'); // the knee in the sweep summary
    expect(html).toContain('<th>MEMORY USAGE sample</th>');
    expect(html).toContain('costs 4096 B on every master');
    expect(html).toContain('&lt;&amp; &quot;quoted&quot;&gt;');
    expect(html).not.toContain('<& "quoted">');
    for (const a of doc.projection.assumptions.slice(2, 4)) expect(html).toContain(a);
  });

  it('the page of `capacity --reports` wraps the section with the answer in its title and header', () => {
    const page = renderCapacityPage(doc);
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain(`<title>cache-harness capacity — ${doc.projection.max_tenants} tenants fit`);
    expect(page).toContain('first limit: memory on redis-1 · cluster knee 20000 ops/s');
    expect(page).toContain(renderCapacitySection(doc));
  });

  it('the terminal summary names the knees, bytes per tenant, every shard and the answer', () => {
    const text = formatCapacity(doc);
    expect(text).toMatch(/cluster\s+20000\s/);
    expect(text).toContain('bytes per tenant at 50% fill: basic 0.5 MiB, pro 5.0 MiB, enterprise 16.0 MiB');
    for (const m of masters) expect(text).toMatch(new RegExp(`^${m}\\s`, 'm'));
    expect(text).toContain(`1000 tenants projected: ${doc.projection.max_tenants} fit; the first limit is memory on redis-1`);
    expect(text).toContain('for 3000 tenants: 6 master(s)');
  });

  it('without charts: no image, and a document whose sweep found no knee says so', () => {
    expect(renderCapacitySection(doc, { charts: false })).not.toContain('<img');
    const noKnee = { ...doc, knee: null };
    expect(renderCapacitySection(noKnee, { charts: false })).toContain('<b>none</b> (even the first step failed)');
  });
});
