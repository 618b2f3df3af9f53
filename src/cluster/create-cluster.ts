import type { Redis } from 'ioredis';
import type { NodeLayout } from '../spec/index.js';
import { parseClusterNodes, parseInfo } from './cluster-nodes.js';
import { waitUntil } from './wait.js';

/** A node the harness started and is forming into the cluster: its place in the spec and an admin connection. */
export interface StartedNode {
  layout: NodeLayout;
  client: Redis;
}

/**
 * Form the cluster exactly as the spec says: each master gets its slot ranges,
 * each replica replicates the master the spec names (not redis-cli's anti-affinity choice).
 */
export async function createCluster(nodes: readonly StartedNode[], host: string, timeoutMs = 30_000): Promise<void> {
  const [first] = nodes;
  if (!first) throw new Error('no nodes');
  // Distinct config epochs, as redis-cli does, so masters never collide on epoch at start.
  await Promise.all(nodes.map((n, i) => n.client.call('CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1))));
  for (const n of nodes) {
    for (const [a, b] of n.layout.slots) await n.client.call('CLUSTER', 'ADDSLOTSRANGE', String(a), String(b));
  }
  for (const n of nodes.slice(1)) await first.client.call('CLUSTER', 'MEET', host, String(n.layout.port));

  await waitUntil(
    'every node to know every other node',
    async () => {
      const states = await Promise.all(nodes.map(async (n) => parseClusterNodes(String(await n.client.call('CLUSTER', 'NODES')))));
      const bad = states.findIndex(
        (s) => s.length !== nodes.length || s.some((x) => x.flags.includes('handshake') || x.flags.includes('noaddr')),
      );
      return bad < 0 ? true : `${nodes[bad]?.layout.name} knows ${states[bad]?.length ?? 0}/${nodes.length}`;
    },
    timeoutMs,
  );

  const ids = new Map<string, string>();
  for (const n of nodes) ids.set(n.layout.name, String(await n.client.call('CLUSTER', 'MYID')));
  for (const n of nodes) {
    if (n.layout.role !== 'replica' || !n.layout.replicaOf) continue;
    const masterId = ids.get(n.layout.replicaOf);
    if (!masterId) throw new Error(`replica ${n.layout.name}: master ${n.layout.replicaOf} not found`);
    // The replica must see the master as a master before REPLICATE accepts it.
    await waitUntil(
      `${n.layout.name} to see ${n.layout.replicaOf} as a master`,
      async () => {
        const known = parseClusterNodes(String(await n.client.call('CLUSTER', 'NODES')));
        return known.some((k) => k.id === masterId && k.role === 'master');
      },
      timeoutMs,
    );
    await n.client.call('CLUSTER', 'REPLICATE', masterId);
  }
  await waitClusterReady(nodes, timeoutMs);
}

/**
 * Every node says cluster_state:ok with all slots assigned; every replica's link to its master is up;
 * and every node's CLUSTER NODES already shows each replica as a replica (gossip lags the replica's own view).
 */
export async function waitClusterReady(nodes: readonly StartedNode[], timeoutMs: number): Promise<void> {
  const replicaCount = nodes.filter((n) => n.layout.role === 'replica').length;
  await waitUntil(
    'cluster_state:ok on every node and every replica in sync',
    async () => {
      for (const n of nodes) {
        const seen = parseClusterNodes(String(await n.client.call('CLUSTER', 'NODES')));
        const replicas = seen.filter((x) => x.role === 'replica' && x.masterId !== null).length;
        if (replicas !== replicaCount) return `${n.layout.name} sees ${replicas}/${replicaCount} replicas`;
        const info = parseInfo(String(await n.client.call('CLUSTER', 'INFO')));
        if (info.get('cluster_state') !== 'ok') return `${n.layout.name}: cluster_state:${info.get('cluster_state')}`;
        if (info.get('cluster_slots_assigned') !== '16384') return `${n.layout.name}: ${info.get('cluster_slots_assigned')} slots assigned`;
        if (n.layout.role === 'replica') {
          const repl = parseInfo(await n.client.info('replication'));
          if (repl.get('role') !== 'slave' || repl.get('master_link_status') !== 'up') {
            return `${n.layout.name}: role ${repl.get('role')}, master_link_status ${repl.get('master_link_status') ?? 'n/a'}`;
          }
        }
      }
      return true;
    },
    timeoutMs,
    200,
  );
}
