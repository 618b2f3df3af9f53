import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverNodes, rangesContain, type ClusterNodeInfo } from '../../src/cluster/index.js';
import { shardSlots, slotSpread, type ProbedKey, type TenantMeta } from '../../src/tenancy/index.js';
import { openSuiteContext, type SuiteContext } from '../support/context.js';
import { expectNone } from '../support/expect-none.js';
import { recordFinding } from '../support/findings.js';
import { checkLivePlacement, type LiveView } from './live-placement.js';
import { readMetas, removeKeys, writeMetas } from './meta-store.js';
import { syntheticMetas } from './synthetic-metas.js';

/** Synthetic tenants when none are provisioned: enough pairs that the `none` rate is not noise (~±4 points). */
const SYNTHETIC_TENANTS = 60;

let ctx: SuiteContext;
let live: ClusterNodeInfo[];
let metas: TenantMeta[] = [];
let invalid: Array<{ key: string; reason: string }> = [];
let source = '';
const written: string[] = [];

beforeAll(async () => {
  ctx = await openSuiteContext();
  live = await discoverNodes(ctx.target);
  const found = await readMetas(ctx.nodes);
  metas = found.metas;
  invalid = found.invalid;
  source = `${metas.length} provisioned tenant(s)`;
  if (metas.length === 0) {
    metas = syntheticMetas(ctx.spec, `shard-${randomBytes(4).toString('hex')}`, SYNTHETIC_TENANTS);
    written.push(...(await writeMetas(ctx.nodes, metas)));
    source = `no tenant provisioned: ${metas.length} synthetic tenant meta configs written (removed afterwards)`;
  }
});
afterAll(async () => {
  if (ctx) await removeKeys(ctx.nodes, written);
  await ctx?.close();
});

function view(): LiveView {
  const admin = ctx.nodes[0]?.client;
  if (!admin) throw new Error('no node reachable');
  return { nodes: live, nodeNames: ctx.target.nodeNames, admin };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** One probe per tenant-module (all its keys share a slot under tagged layouts), grouped by the module's shard. */
function distribution(probes: readonly ProbedKey[]) {
  const seen = new Set<string>();
  const byShard = new Map<string, number[]>();
  for (const p of probes) {
    if (seen.has(`${p.tenant}\0${p.module}`)) continue;
    seen.add(`${p.tenant}\0${p.module}`);
    const shard = ctx.spec.modules[p.module]?.shard ?? '?';
    const list = byShard.get(shard) ?? [];
    list.push(p.serverSlot);
    byShard.set(shard, list);
  }
  return ctx.spec.topology.masters.map((m) => {
    const available = shardSlots(ctx.spec, m.name);
    const inShard = new Set(available);
    const slots = byShard.get(m.name) ?? [];
    const s = slotSpread(
      slots.filter((x) => inShard.has(x)),
      available,
    );
    return {
      shard: m.name,
      tenantModules: slots.length,
      offShard: slots.length - s.keys,
      shardSlots: s.slotsAvailable,
      distinctSlots: s.distinctSlots,
      expectedDistinctIfUniform: round(s.expectedDistinct),
      maxPerSlot: s.maxPerSlot,
      meanPerUsedSlot: round(s.meanPerUsedSlot),
      skewMaxOverMeanUsed: round(s.usedSkew),
      meanPerShardSlot: round(s.meanPerSlot),
      skewMaxOverMeanShardSlot: round(s.skew),
      chiSquarePerDof: round(s.chiSquarePerDof),
    };
  });
}

/** Where keys land, by spec shard (the slot ranges of the spec's masters). */
function keysPerShard(probes: readonly ProbedKey[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of ctx.spec.topology.masters) {
    out[`keys on ${m.name}`] = probes.filter((p) => rangesContain(m.slots, p.serverSlot)).length;
  }
  return out;
}

describe('sharding', () => {
  it("module-shard: every provisioned tenant-module's slot (CLUSTER KEYSLOT) is served by its module's shard master (live map)", async ({
    task,
  }) => {
    const r = await checkLivePlacement(ctx.spec, view(), metas);
    const strategies = [...new Set(metas.map((m) => m.placement.strategy))].join(', ');
    recordFinding(task, {
      severity: r.problems.length ? 'error' : 'info',
      title: `${pct(r.onShard / Math.max(1, r.total))} of ${r.total} keys (${metas.length} tenants, placement ${strategies}) on their module's shard`,
      detail: source,
      ...(r.problems.length ? { data: r.problems.slice(0, 200) } : {}),
    });
    recordFinding(task, { severity: 'info', title: 'tenant-modules per shard and per slot', data: distribution(r.probes) });
    expect(r.total, 'keys probed').toBeGreaterThan(0);
    expectNone(r.unbound, 'spec master(s) with no live node', (m) => m);
    expectNone(r.problems, "key(s) off their module's shard", (p) => `${p.tenant}/${p.module} slot ${p.slot}: ${p.message}`);
  });

  it('every tenant meta config (tenant-meta:*) parses', () => {
    expectNone(invalid, 'unreadable tenant meta config(s), left out of the placement checks', (i) => `${i.key}: ${i.reason}`);
  });

  it("the seed's layout (none) and tenant-slot put the same tenant-modules on their shard only by chance", async ({ task }) => {
    const rows = [];
    for (const strategy of ['none', 'tenant-slot'] as const) {
      const r = await checkLivePlacement(ctx.spec, view(), metas, strategy);
      rows.push({
        layout: strategy,
        keys: r.total,
        onModuleShard: r.onShard,
        rate: pct(r.onShard / Math.max(1, r.total)),
        ...keysPerShard(r.probes),
      });
      expect(r.total).toBeGreaterThan(0);
    }
    const chance = ctx.spec.topology.masters.map((m) => shardSlots(ctx.spec, m.name).length / 16384);
    recordFinding(task, {
      severity: 'warning',
      title: `seed layout (none): ${rows[0]?.rate} of keys on their module's shard; tenant-slot: ${rows[1]?.rate}`,
      detail: `Chance level is each shard's share of the slots (${chance.map(pct).join(' / ')}): without a hash tag the seed's "module → shard" claim holds only by luck.`,
      data: rows,
    });
  });
});
