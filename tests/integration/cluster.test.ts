import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTopology, collectTopology, diffConfig, expectedSettings, readConfig } from '../../src/checks/index.js';
import { closeNode, connectNode, isAlive, readState } from '../../src/cluster/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster(0);
});
afterAll(async () => {
  await c?.stop();
});

async function admin(port: number) {
  return connectNode({ host: '127.0.0.1', port }, { password: c.run.password });
}

describe('local cluster backend', () => {
  it("starts 3 masters with the spec's slot ranges and 3 in-sync replicas paired as the spec says", async () => {
    const snap = await collectTopology(c.target);
    expect(checkTopology(c.spec, snap, c.target.nodeNames)).toEqual([]);
    const byPort = new Map(snap.nodes.map((n) => [n.port, n]));
    expect(byPort.get(c.portBase)?.slots).toEqual([[0, 5460]]);
    expect(byPort.get(c.portBase + 1)?.slots).toEqual([[5461, 10922]]);
    expect(byPort.get(c.portBase + 2)?.slots).toEqual([[10923, 16383]]);
    // 4th node backs the 1st, 5th the 2nd, 6th the 3rd
    for (let i = 0; i < 3; i++) {
      expect(byPort.get(c.portBase + 3 + i)?.masterId).toBe(byPort.get(c.portBase + i)?.id);
    }
    expect(snap.views.every((v) => v.clusterState === 'ok')).toBe(true);
  });

  it('keeps the admin password out of the state file and in a 0600 file', async () => {
    const { statSync, readFileSync } = await import('node:fs');
    expect(statSync(`${c.run.runDir}/password`).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${c.run.runDir}/state.json`, 'utf8')).not.toContain(c.run.password);
  });

  it('config conformance passes, then detects drift after CONFIG SET on one node', async () => {
    const expected = expectedSettings(c.spec);
    const client = await admin(c.portBase + 1);
    try {
      expect(diffConfig('redis-2', expected, await readConfig(client, expected.keys()))).toEqual([]);
      await client.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
      const drift = diffConfig('redis-2', expected, await readConfig(client, expected.keys()));
      expect(drift).toEqual([{ node: 'redis-2', key: 'maxmemory-policy', expected: 'volatile-lfu', actual: 'allkeys-lru' }]);
    } finally {
      await client.call('CONFIG', 'SET', 'maxmemory-policy', 'volatile-lfu');
      await closeNode(client);
    }
  });

  it('topology check fails and names the replica when a replica is stopped', async () => {
    const state = readState(c.run.runDir);
    const victim = state.nodes.find((n) => n.name === 'redis-5');
    expect(victim).toBeDefined();
    if (!victim) return;
    process.kill(victim.pid, 'SIGKILL');
    for (let i = 0; i < 100 && isAlive(victim.pid); i++) await new Promise((r) => setTimeout(r, 20));
    const problems = checkTopology(c.spec, await collectTopology(c.target), c.target.nodeNames);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.some((p) => p.rule === 'node-reachable' && p.node === `127.0.0.1:${victim.port}`)).toBe(true);
  });

  it('stops every process it started', async () => {
    const pids = readState(c.run.runDir).nodes.map((n) => n.pid);
    await c.stop();
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
