import { closeNode, discoverNodes, nodeLabel, targetCredentials, targetFromEnv, type Target } from '../../src/cluster/index.js';
import { connectAdminNode, type AdminNode } from '../../src/provision/index.js';
import { loadSpec, type Spec } from '../../src/spec/index.js';

export const SPEC_ENV = 'CACHE_HARNESS_SPEC';

/** A reachable node with an admin connection, and the name findings give it (spec name, else host:port). */
export type SuiteNode = AdminNode & { name: string };

/** What every suite needs: the spec, the target, and an admin connection per live node. */
export interface SuiteContext {
  spec: Spec;
  target: Target;
  nodes: SuiteNode[];
  close(): Promise<void>;
}

export async function openSuiteContext(): Promise<SuiteContext> {
  const spec = loadSpec(process.env[SPEC_ENV]);
  const target = targetFromEnv();
  const infos = await discoverNodes(target);
  // Unreachable nodes are left out here; the topology check names them.
  const settled = await Promise.allSettled(
    infos.map(async (info): Promise<SuiteNode> => ({
      ...(await connectAdminNode(info, targetCredentials(target), 1500)),
      name: nodeLabel(info, target.nodeNames),
    })),
  );
  const nodes = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  return {
    spec,
    target,
    nodes,
    close: async () => {
      await Promise.all(nodes.map((n) => closeNode(n.client)));
    },
  };
}
