import type { Redis } from 'ioredis';
import { addressOf, closeNode, connectNode, discoverNodes, targetCredentials, targetFromEnv, type ClusterNodeInfo, type Target } from '../../src/cluster/index.js';
import { loadSpec, type Spec } from '../../src/spec/index.js';

export const SPEC_ENV = 'CACHE_HARNESS_SPEC';

/** What every suite needs: the spec, the target, and an admin connection per live node. */
export interface SuiteContext {
  spec: Spec;
  target: Target;
  nodes: Array<{ info: ClusterNodeInfo; name: string; client: Redis }>;
  close(): Promise<void>;
}

export async function openSuiteContext(): Promise<SuiteContext> {
  const spec = loadSpec(process.env[SPEC_ENV]);
  const target = targetFromEnv();
  const infos = await discoverNodes(target);
  // Unreachable nodes are left out here; the topology check names them.
  const settled = await Promise.allSettled(infos.map(async (info) => ({
    info,
    name: target.nodeNames?.[String(info.port)] ?? `${info.host}:${info.port}`,
    client: await connectNode(addressOf(info), targetCredentials(target), 1500),
  })));
  const nodes = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  return { spec, target, nodes, close: async () => { await Promise.all(nodes.map((n) => closeNode(n.client))); } };
}
