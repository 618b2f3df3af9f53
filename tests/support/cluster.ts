import { loadSpec, DEFAULT_SPEC_PATH, type Spec } from '../../src/spec/index.js';
import { stopLocalCluster, targetFromLocal, upLocalCluster, type LocalCluster, type Target } from '../../src/cluster/index.js';
import { testPortBase } from './ports.js';

export interface TestCluster {
  spec: Spec;
  run: LocalCluster;
  target: Target;
  portBase: number;
  stop(): Promise<void>;
}

/** A real 6-node local cluster for one integration test file. */
export async function startTestCluster(slot: number, specPath = DEFAULT_SPEC_PATH): Promise<TestCluster> {
  const spec = loadSpec(specPath);
  const portBase = await testPortBase(slot);
  const run = await upLocalCluster(spec, { portBase, specPath });
  return {
    spec,
    run,
    target: targetFromLocal(run),
    portBase,
    stop: async () => {
      await stopLocalCluster(run.runDir);
    },
  };
}
