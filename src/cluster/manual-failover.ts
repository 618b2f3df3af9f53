import { errorMessage, HarnessError } from '../errors.js';
import { parseClusterNodes, parseInfo } from './cluster-nodes.js';
import type { Credentials } from './connect.js';
import { closeNode, connectNode } from './node-client.js';
import { waitUntil } from './wait.js';

/** A node by its spec name and port (all on one host). */
export interface ClusterEndpoint {
  name: string;
  port: number;
}

export interface ManualFailoverOptions {
  host: string;
  creds: Credentials;
  /** Every node of the cluster: each one's view must show the switch. */
  nodes: readonly ClusterEndpoint[];
  /** The replica to promote. */
  promote: ClusterEndpoint;
  /** Its master, which becomes its replica. */
  demote: ClusterEndpoint;
  /** Bound of the whole switch (links, every attempt, every node's view). */
  timeoutMs: number;
  log?: (line: string) => void;
}

/**
 * How long one CLUSTER FAILOVER is given before it is asked again: Redis abandons a manual failover after 5 s
 * (CLUSTER_MF_TIMEOUT), and the roles then take a moment to reach every node.
 */
const MANUAL_FAILOVER_WAIT_MS = 7000;

/**
 * A graceful `CLUSTER FAILOVER` on `promote` (the master stops writes, the replica catches up to its offset, then
 * takes over: no acknowledged write is lost), done until every node sees the switch. First waits until every node
 * is linked to both: the election's votes come back over each master's own bus link to the candidate, and right
 * after a restart or a heal that link may still be the dead one (seen: the votes lost, 5 s of paused writes, no
 * failover). An attempt that has not switched in MANUAL_FAILOVER_WAIT_MS is asked again, bounded by timeoutMs.
 */
export async function manualFailover(o: ManualFailoverOptions): Promise<{ attempts: number; ms: number }> {
  const { host, creds, nodes, promote, demote } = o;
  await waitUntil(
    `every node's cluster-bus link to ${promote.name} and ${demote.name}`,
    () => linksUp(host, creds, nodes, [promote, demote]),
    o.timeoutMs,
    100,
  );
  const t0 = performance.now();
  const deadline = t0 + o.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const c = await connectNode({ host, port: promote.port }, creds);
    try {
      await c.call('CLUSTER', 'FAILOVER');
    } finally {
      await closeNode(c);
    }
    try {
      await waitUntil(
        `${promote.name} to take over from ${demote.name} on every node`,
        () => rolesSwapped(host, creds, nodes, promote, demote),
        Math.max(1000, Math.min(MANUAL_FAILOVER_WAIT_MS, deadline - performance.now())),
        100,
      );
      return { attempts: attempt, ms: performance.now() - t0 };
    } catch (err) {
      if (performance.now() + 1000 > deadline || !(err instanceof HarnessError)) throw err;
      o.log?.(`  CLUSTER FAILOVER attempt ${attempt}: ${errorMessage(err)}; asking again`);
    }
  }
}

/**
 * True once every node's CLUSTER NODES shows `promote` as a master with slots and `demote` as its replica, and
 * `demote` reports its link to `promote` up; otherwise what is not there yet.
 */
async function rolesSwapped(
  host: string,
  creds: Credentials,
  nodes: readonly ClusterEndpoint[],
  promote: ClusterEndpoint,
  demote: ClusterEndpoint,
): Promise<true | string> {
  for (const n of nodes) {
    const c = await connectNode({ host, port: n.port }, creds, 500);
    try {
      const view = parseClusterNodes(String(await c.call('CLUSTER', 'NODES')));
      const p = view.find((x) => x.port === promote.port);
      const d = view.find((x) => x.port === demote.port);
      if (!p || p.role !== 'master' || p.slots.length === 0) return `${n.name} does not see ${promote.name} as a master with slots yet`;
      if (!d || d.role !== 'replica' || d.masterId !== p.id)
        return `${n.name} does not see ${demote.name} as ${promote.name}'s replica yet`;
      if (n.port === demote.port) {
        const link = parseInfo(await c.info('replication')).get('master_link_status');
        if (link !== 'up') return `${demote.name} master_link_status:${link ?? 'unknown'}`;
      }
    } finally {
      await closeNode(c);
    }
  }
  return true;
}

/** True once every node's CLUSTER NODES shows each of `peers` linked (link-state connected) and not flagged failing. */
async function linksUp(
  host: string,
  creds: Credentials,
  nodes: readonly ClusterEndpoint[],
  peers: readonly ClusterEndpoint[],
): Promise<true | string> {
  for (const n of nodes) {
    const c = await connectNode({ host, port: n.port }, creds, 500);
    try {
      const view = parseClusterNodes(String(await c.call('CLUSTER', 'NODES')));
      for (const p of peers) {
        const v = view.find((x) => x.port === p.port);
        if (!v) return `${n.name} does not know ${p.name}`;
        if (v.flags.includes('myself')) continue;
        if (v.linkState !== 'connected') return `${n.name}'s link to ${p.name} is ${v.linkState}`;
        const bad = v.flags.filter((f) => f === 'fail' || f === 'fail?' || f === 'handshake' || f === 'noaddr');
        if (bad.length > 0) return `${n.name} flags ${p.name} ${bad.join(',')}`;
      }
    } finally {
      await closeNode(c);
    }
  }
  return true;
}
