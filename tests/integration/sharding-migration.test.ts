import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeNode, connectNode, discoverNodes, parseClusterNodes, rangesContain, type ClusterNodeInfo } from '../../src/cluster/index.js';
import { checkLivePlacement } from '../../suites/sharding/live-placement.js';
import { syntheticMetas } from '../../suites/sharding/synthetic-metas.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

let c: TestCluster;
let nodes: Array<{ info: ClusterNodeInfo; client: Redis }> = [];
beforeAll(async () => {
  c = await startTestCluster(1);
  const live = await discoverNodes(c.target);
  nodes = await Promise.all(
    live.map(async (info) => ({ info, client: await connectNode({ host: info.host, port: info.port }, { password: c.run.password }) })),
  );
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => closeNode(n.client)));
  await c?.stop();
});

const named = (name: string) => {
  const n = nodes.find((x) => c.target.nodeNames?.[String(x.info.port)] === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
};

/** Move an empty slot as redis-cli --cluster would: IMPORTING/MIGRATING, then NODE on every master (the target first, which bumps its epoch). */
async function moveEmptySlot(slot: number, from: string, to: string): Promise<void> {
  const src = named(from);
  const dst = named(to);
  expect(await src.client.cluster('COUNTKEYSINSLOT', slot)).toBe(0);
  await dst.client.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', src.info.id);
  await src.client.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', dst.info.id);
  const masters = nodes.filter((n) => n.info.role === 'master');
  for (const n of [dst, src, ...masters.filter((m) => m !== dst && m !== src)])
    await n.client.call('CLUSTER', 'SETSLOT', slot, 'NODE', dst.info.id);
  // Every node, replicas included, must agree before the check reads the map (bounded: 10 s).
  const deadline = Date.now() + 10_000;
  for (;;) {
    const views = await Promise.all(nodes.map(async (n) => parseClusterNodes(String(await n.client.call('CLUSTER', 'NODES')))));
    if (views.every((v) => v.some((x) => x.id === dst.info.id && rangesContain(x.slots, slot)))) return;
    if (Date.now() > deadline) throw new Error(`slot ${slot} did not converge on ${to} within 10 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('sharding check on a live cluster', () => {
  it("passes, then fails naming the slot after a tenant-module's slot is migrated to another master", async () => {
    const metas = syntheticMetas(c.spec, 'mig', 12);
    const view = async () => ({ nodes: await discoverNodes(c.target), nodeNames: c.target.nodeNames, admin: named('redis-1').client });

    const before = await checkLivePlacement(c.spec, await view(), metas);
    expect(before.problems).toEqual([]);
    expect(before.onShard).toBe(before.total);
    expect(before.total).toBeGreaterThan(0);

    const victim = before.probes.find((p) => p.module === 'crm');
    if (!victim) throw new Error('no crm tenant-module among the synthetic tenants');
    await moveEmptySlot(victim.serverSlot, 'redis-1', 'redis-2');

    const after = await checkLivePlacement(c.spec, await view(), metas);
    expect(after.problems.length).toBeGreaterThan(0);
    expect(new Set(after.problems.map((p) => p.slot))).toEqual(new Set([victim.serverSlot]));
    expect(after.problems.map((p) => `${p.tenant}/${p.module}`)).toContain(`${victim.tenant}/${victim.module}`);
    expect(after.problems[0]?.message).toMatch(
      new RegExp(
        `^slot ${victim.serverSlot} is served by 127\\.0\\.0\\.1:${named('redis-2').info.port}, but module \\w+'s shard redis-1 is 127\\.0\\.0\\.1:${named('redis-1').info.port}$`,
      ),
    );
    expect(after.onShard).toBe(after.total - after.problems.length);
  });
});
