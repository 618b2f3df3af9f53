import type { Redis } from 'ioredis';
import { closeNode, connectNode, discoverNodes, hostPort, targetCredentials, type Target } from '../cluster/index.js';
import { errorMessage } from '../errors.js';
import { readClientList, tenantConnections, type ClientEntry, type TenantConnections } from './client-list.js';
import type { NodeRead } from './node-metrics.js';
import { readNodeSignals } from './node-signals.js';

/** A node that does not answer within this long (stopped, overloaded) counts as not read; the next node is not held up. */
const NODE_TIMEOUT_MS = 3000;

/** One read of the live cluster: tenant connections (CLIENT LIST) and per-node signals, from every node CLUSTER NODES lists. */
export interface LiveRead {
  connections: TenantConnections[];
  nodes: NodeRead[];
  /** Nodes that could not be reached or read, with why. */
  failures: Array<{ node: string; error: string }>;
}

/**
 * Connect to every node as admin (in parallel), read it, and hand the open connections of the reachable ones to
 * `withNodes` (the exporter keeps its probe user there) before closing them. A node that fails is reported, never
 * fatal: its series say redis_up 0.
 */
export async function readLiveCluster(
  target: Target,
  withNodes: (nodes: Redis[]) => Promise<void> = () => Promise.resolve(),
): Promise<LiveRead> {
  const infos = await discoverNodes(target);
  const creds = targetCredentials(target);
  const conns = await Promise.allSettled(infos.map((i) => connectNode(i, creds, NODE_TIMEOUT_MS, NODE_TIMEOUT_MS)));
  const open = conns.flatMap((c) => (c.status === 'fulfilled' ? [c.value] : []));
  try {
    const failures: LiveRead['failures'] = [];
    const entries: ClientEntry[] = [];
    const nodes = await Promise.all(
      infos.map(async (info, i): Promise<NodeRead> => {
        const node = hostPort(info);
        const c = conns[i];
        if (!c || c.status === 'rejected') {
          failures.push({ node, error: c ? errorMessage(c.reason) : 'not connected' });
          return { node, signals: null };
        }
        try {
          const [signals, list] = await Promise.all([readNodeSignals(c.value), readClientList(c.value)]);
          entries.push(...list);
          return { node, signals };
        } catch (err) {
          failures.push({ node, error: errorMessage(err) });
          return { node, signals: null };
        }
      }),
    );
    await withNodes(open);
    return { connections: tenantConnections(entries), nodes, failures };
  } finally {
    await Promise.all(open.map((c) => closeNode(c)));
  }
}
