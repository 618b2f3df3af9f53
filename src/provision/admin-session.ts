import type { Cluster, Redis } from 'ioredis';
import {
  closeNode,
  connectClusterClient,
  connectNode,
  discoverNodes,
  hostPort,
  targetCredentials,
  type ClusterNodeInfo,
  type Credentials,
  type Target,
} from '../cluster/index.js';
import { HarnessError } from '../errors.js';

/** One live node with an admin connection of its own. */
export interface AdminNode {
  info: ClusterNodeInfo;
  /** `host:port`, how results name the node. */
  address: string;
  client: Redis;
}

/** An admin connection to one node CLUSTER NODES listed. */
export async function connectAdminNode(info: ClusterNodeInfo, creds: Credentials, connectTimeoutMs = 3000): Promise<AdminNode> {
  return { info, address: hostPort(info), client: await connectNode(info, creds, connectTimeoutMs) };
}

/**
 * Admin access to a live cluster: a plain connection to EVERY node (ACL users are per node and a replica
 * may be promoted, so users go on replicas too), and a Cluster client for keys (it follows the slot map).
 */
export interface AdminSession {
  target: Target;
  nodes: AdminNode[];
  masters: AdminNode[];
  cluster: Cluster;
  close(): Promise<void>;
}

/** Discover the nodes live (CLUSTER NODES), connect to each; a failed or unreachable node is an error: users would be missing there. */
export async function openAdminSession(target: Target, connectTimeoutMs = 3000): Promise<AdminSession> {
  const infos = await discoverNodes(target);
  const failing = infos.filter((n) => n.flags.includes('fail') || n.flags.includes('noaddr') || n.flags.includes('handshake'));
  if (failing.length > 0) {
    throw new HarnessError(
      `node(s) ${failing.map((n) => `${hostPort(n)} (${n.flags.join(',')})`).join(', ')} are failing: ACL users must be written on every node`,
      'repair the cluster first (`cache-harness status`)',
    );
  }
  const creds = targetCredentials(target);
  const settled = await Promise.allSettled(infos.map((info) => connectAdminNode(info, creds, connectTimeoutMs)));
  const nodes = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(nodes.map((n) => closeNode(n.client)));
    throw failed.reason instanceof Error ? failed.reason : new HarnessError(String(failed.reason));
  }
  nodes.sort((a, b) => a.info.port - b.info.port || a.info.host.localeCompare(b.info.host));
  const masters = nodes.filter((n) => n.info.role === 'master' && n.info.slots.length > 0);
  let cluster: Cluster;
  try {
    // Auto-pipelined (the default): bulk meta writes rely on it.
    cluster = await connectClusterClient(
      masters.map((m) => m.info),
      creds,
      { connectTimeoutMs },
    );
  } catch (err) {
    await Promise.all(nodes.map((n) => closeNode(n.client)));
    throw err;
  }
  return {
    target,
    nodes,
    masters,
    cluster,
    close: async () => {
      await Promise.all([...nodes.map((n) => closeNode(n.client)), closeNode(cluster)]);
    },
  };
}

/** Run `fn` with an admin session, always closing it. */
export async function withAdminSession<T>(target: Target, fn: (s: AdminSession) => Promise<T>): Promise<T> {
  const s = await openAdminSession(target);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}
