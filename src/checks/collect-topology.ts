import { closeNode, connectNode, discoverNodes, hostPort, parseInfo, targetCredentials, type Target } from '../cluster/index.js';
import type { NodeView, TopologySnapshot } from './topology.js';
import { errorMessage } from '../errors.js';

/** Ask every node of the target for its own state (cluster_state, role, replication link). */
export async function collectTopology(target: Target): Promise<TopologySnapshot> {
  const nodes = await discoverNodes(target);
  const views = await Promise.all(
    nodes.map(async (n): Promise<NodeView> => {
      const address = hostPort(n);
      try {
        const c = await connectNode(n, targetCredentials(target), 1500);
        try {
          const cinfo = parseInfo(String(await c.call('CLUSTER', 'INFO')));
          const repl = parseInfo(await c.info('replication'));
          const link = repl.get('master_link_status');
          return {
            address,
            reachable: true,
            ...optional('clusterState', cinfo.get('cluster_state')),
            ...optional('role', repl.get('role')),
            ...optional('masterLinkStatus', link),
          };
        } finally {
          await closeNode(c);
        }
      } catch (err) {
        return { address, reachable: false, error: errorMessage(err) };
      }
    }),
  );
  return { nodes, views };
}

function optional<K extends string>(key: K, v: string | undefined): Partial<Record<K, string>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, string>);
}
