import { SLOT_COUNT, type Spec } from '../spec/index.js';
import { hostPort, nodeLabel, ownerMap, slotsOf, type ClusterNodeInfo } from '../cluster/index.js';

/** Each node's own view, gathered live (see collect-topology.ts). */
export interface NodeView {
  address: string;
  reachable: boolean;
  error?: string;
  clusterState?: string;
  role?: string;
  masterLinkStatus?: string;
}

export interface TopologySnapshot {
  /** CLUSTER NODES as one reachable node sees the cluster. */
  nodes: ClusterNodeInfo[];
  views: NodeView[];
}

export interface TopologyProblem {
  rule: string;
  node?: string;
  message: string;
}

/**
 * Compare the live topology with the spec: masters and replicas, pairing, replica sync,
 * slot ownership and coverage, open slots, cluster state. Pure.
 * `nodeNames` (port → spec name) is known when the harness started the nodes; then the
 * pairing and slot ranges are checked by name, otherwise by shape.
 */
export function checkTopology(spec: Spec, snap: TopologySnapshot, nodeNames?: Record<string, string>): TopologyProblem[] {
  const out: TopologyProblem[] = [];
  const nameOf = (n: ClusterNodeInfo) => nodeLabel(n, nodeNames);

  for (const v of snap.views) {
    if (!v.reachable) out.push({ rule: 'node-reachable', node: v.address, message: `not reachable: ${v.error ?? 'no answer'}` });
    else if (v.clusterState !== 'ok') out.push({ rule: 'cluster-state', node: v.address, message: `cluster_state:${v.clusterState}` });
  }
  for (const n of snap.nodes) {
    const bad = n.flags.filter((f) => f === 'fail' || f === 'fail?' || f === 'handshake' || f === 'noaddr');
    if (bad.length > 0) out.push({ rule: 'node-health', node: nameOf(n), message: `flagged ${bad.join(',')} by the cluster` });
  }

  const masters = snap.nodes.filter((n) => n.role === 'master' && !n.flags.includes('fail'));
  const replicas = snap.nodes.filter((n) => n.role === 'replica');
  if (masters.length !== spec.topology.masters.length) {
    out.push({ rule: 'master-count', message: `${masters.length} masters, spec says ${spec.topology.masters.length}` });
  }
  if (replicas.length !== spec.topology.replicas.length) {
    out.push({ rule: 'replica-count', message: `${replicas.length} replicas, spec says ${spec.topology.replicas.length}` });
  }

  for (const m of masters) {
    const mine = replicas.filter((r) => r.masterId === m.id);
    const want = nodeNames
      ? spec.topology.replicas.filter((r) => r.of === nameOf(m)).length
      : Math.round(spec.topology.replicas.length / Math.max(1, spec.topology.masters.length));
    if (mine.length !== want)
      out.push({ rule: 'replicas-per-master', node: nameOf(m), message: `${mine.length} replica(s), spec says ${want}` });
    for (const r of mine) {
      if (nodeNames) {
        const specReplica = spec.topology.replicas.find((x) => x.name === nameOf(r));
        if (specReplica && specReplica.of !== nameOf(m)) {
          out.push({ rule: 'replica-pairing', node: nameOf(r), message: `replicates ${nameOf(m)}, spec says ${specReplica.of}` });
        }
      }
      const view = snap.views.find((v) => v.address === hostPort(r));
      if (view?.reachable && view.masterLinkStatus !== 'up') {
        out.push({ rule: 'replica-in-sync', node: nameOf(r), message: `master_link_status:${view.masterLinkStatus ?? 'unknown'}` });
      }
    }
  }

  out.push(...checkSlots(spec, masters, nameOf, nodeNames));
  for (const n of snap.nodes) {
    for (const o of n.openSlots)
      out.push({
        rule: 'open-slot',
        node: nameOf(n),
        message: `slot ${o.slot} is ${o.state} (${o.state === 'migrating' ? 'to' : 'from'} ${o.peer})`,
      });
  }
  return out;
}

function checkSlots(
  spec: Spec,
  masters: ClusterNodeInfo[],
  nameOf: (n: ClusterNodeInfo) => string,
  nodeNames?: Record<string, string>,
): TopologyProblem[] {
  const out: TopologyProblem[] = [];
  const owner = ownerMap(masters).map((m) => (m ? nameOf(m) : undefined));
  const unassigned = owner.filter((o) => o === undefined).length;
  if (unassigned > 0) out.push({ rule: 'slot-coverage', message: `${unassigned} of ${SLOT_COUNT} slots have no live master` });

  for (const sm of spec.topology.masters) {
    for (const range of sm.slots) {
      const [a, b] = range;
      const owners = new Set(slotsOf([range]).map((s) => owner[s] ?? '(none)'));
      const expectedOwner = nodeNames ? sm.name : [...owners][0];
      if (owners.size !== 1 || (nodeNames && !owners.has(sm.name))) {
        const moved = [...owners].filter((o) => o !== expectedOwner);
        out.push({
          rule: 'slot-ownership',
          node: sm.name,
          message: `spec range ${a}-${b} is owned by ${[...owners].join(', ')}${moved.length ? ` (expected ${expectedOwner} alone)` : ''}`,
        });
      }
    }
  }
  return out;
}
