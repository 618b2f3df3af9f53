import { describe, it, expect } from 'vitest';
import type { ClusterNodeInfo } from '../../src/cluster/cluster-nodes.js';
import { checkTopology, type NodeView, type TopologySnapshot } from '../../src/checks/topology.js';
import { loadSpec } from '../../src/spec/index.js';

const spec = loadSpec();
const NAMES: Record<string, string> = {
  7001: 'redis-1',
  7002: 'redis-2',
  7003: 'redis-3',
  7004: 'redis-4',
  7005: 'redis-5',
  7006: 'redis-6',
};
const id = (port: number) => `id${port}`;

function node(port: number, over: Partial<ClusterNodeInfo> = {}): ClusterNodeInfo {
  return {
    id: id(port),
    host: '127.0.0.1',
    port,
    busPort: port + 10000,
    flags: ['master'],
    role: 'master',
    masterId: null,
    linkState: 'connected',
    slots: [],
    openSlots: [],
    ...over,
  };
}
const replicaOf = (port: number, masterPort: number): ClusterNodeInfo =>
  node(port, { flags: ['slave'], role: 'replica', masterId: id(masterPort) });

/** A healthy 3+3 cluster: 7004 backs 7001, 7005 backs 7002, 7006 backs 7003. */
function healthy(): TopologySnapshot {
  const nodes = [
    node(7001, { flags: ['myself', 'master'], slots: [[0, 5460]] }),
    node(7002, { slots: [[5461, 10922]] }),
    node(7003, { slots: [[10923, 16383]] }),
    replicaOf(7004, 7001),
    replicaOf(7005, 7002),
    replicaOf(7006, 7003),
  ];
  const views: NodeView[] = nodes.map((n) => ({
    address: `127.0.0.1:${n.port}`,
    reachable: true,
    clusterState: 'ok',
    role: n.role === 'master' ? 'master' : 'slave',
    ...(n.role === 'replica' ? { masterLinkStatus: 'up' } : {}),
  }));
  return { nodes, views };
}
const at = (snap: TopologySnapshot, port: number) => snap.nodes.find((n) => n.port === port)!;
const viewAt = (snap: TopologySnapshot, port: number) => snap.views.find((v) => v.address === `127.0.0.1:${port}`)!;

describe('checkTopology', () => {
  it('finds nothing wrong with a healthy 3+3 cluster, with or without node names', () => {
    expect(checkTopology(spec, healthy())).toEqual([]);
    expect(checkTopology(spec, healthy(), NAMES)).toEqual([]);
  });

  it('reports a stopped replica: unreachable and flagged fail', () => {
    const snap = healthy();
    Object.assign(viewAt(snap, 7005), { reachable: false, error: 'connect ECONNREFUSED 127.0.0.1:7005' });
    at(snap, 7005).flags = ['slave', 'fail'];
    const problems = checkTopology(spec, snap, NAMES);
    expect(problems).toContainEqual({
      rule: 'node-reachable',
      node: '127.0.0.1:7005',
      message: 'not reachable: connect ECONNREFUSED 127.0.0.1:7005',
    });
    expect(problems).toContainEqual({ rule: 'node-health', node: 'redis-5', message: 'flagged fail by the cluster' });
  });

  it('names a replica paired with the wrong master', () => {
    const snap = healthy();
    at(snap, 7004).masterId = id(7002);
    at(snap, 7005).masterId = id(7001);
    const problems = checkTopology(spec, snap, NAMES);
    expect(problems).toContainEqual({ rule: 'replica-pairing', node: 'redis-4', message: 'replicates redis-2, spec says redis-1' });
    expect(problems).toContainEqual({ rule: 'replica-pairing', node: 'redis-5', message: 'replicates redis-1, spec says redis-2' });
    expect(problems.filter((p) => p.rule === 'replica-pairing')).toHaveLength(2);
  });

  it('reports two replicas on one master and none on another', () => {
    const snap = healthy();
    at(snap, 7006).masterId = id(7001);
    const rules = checkTopology(spec, snap, NAMES);
    expect(rules).toContainEqual({ rule: 'replicas-per-master', node: 'redis-1', message: '2 replica(s), spec says 1' });
    expect(rules).toContainEqual({ rule: 'replicas-per-master', node: 'redis-3', message: '0 replica(s), spec says 1' });
  });

  it('names a spec slot range with no owner', () => {
    const snap = healthy();
    at(snap, 7003).slots = [[10923, 15999]];
    const problems = checkTopology(spec, snap, NAMES);
    const own = problems.find((p) => p.rule === 'slot-ownership');
    expect(own?.node).toBe('redis-3');
    expect(own?.message).toContain('10923-16383');
    expect(own?.message).toContain('(none)');
  });

  it('counts unassigned slots, with or without node names', () => {
    const snap = healthy();
    at(snap, 7003).slots = [[10923, 15999]];
    expect(checkTopology(spec, snap, NAMES)).toContainEqual({ rule: 'slot-coverage', message: '384 of 16384 slots have no live master' });
    at(snap, 7003).slots = [];
    // Without names a whole missing range has one owner, "(none)": only the coverage rule can see it.
    expect(checkTopology(spec, snap)).toContainEqual({ rule: 'slot-coverage', message: '5461 of 16384 slots have no live master' });
  });

  it('names an open slot with its number and peer', () => {
    const snap = healthy();
    at(snap, 7001).openSlots = [{ slot: 93, state: 'migrating', peer: id(7002) }];
    at(snap, 7002).openSlots = [{ slot: 93, state: 'importing', peer: id(7001) }];
    const open = checkTopology(spec, snap, NAMES).filter((p) => p.rule === 'open-slot');
    expect(open).toEqual([
      { rule: 'open-slot', node: 'redis-1', message: 'slot 93 is migrating (to id7002)' },
      { rule: 'open-slot', node: 'redis-2', message: 'slot 93 is importing (from id7001)' },
    ]);
  });

  it('names a replica whose master link is down', () => {
    const snap = healthy();
    viewAt(snap, 7006).masterLinkStatus = 'down';
    expect(checkTopology(spec, snap, NAMES)).toEqual([{ rule: 'replica-in-sync', node: 'redis-6', message: 'master_link_status:down' }]);
  });

  it('reports a node whose cluster_state is fail', () => {
    const snap = healthy();
    viewAt(snap, 7002).clusterState = 'fail';
    expect(checkTopology(spec, snap)).toEqual([{ rule: 'cluster-state', node: '127.0.0.1:7002', message: 'cluster_state:fail' }]);
  });

  it('counts a failed master out and its promoted replica in', () => {
    const snap = healthy();
    const failed = at(snap, 7001);
    failed.flags = ['master', 'fail'];
    const promoted = at(snap, 7004);
    Object.assign(promoted, { flags: ['master'], role: 'master', masterId: null, slots: failed.slots });
    failed.slots = [];
    const rules = checkTopology(spec, snap, NAMES).map((p) => p.rule);
    expect(rules).toContain('node-health');
    expect(rules).toContain('replica-count');
    expect(rules).toContain('slot-ownership');
    expect(rules).not.toContain('slot-coverage');
  });
});
