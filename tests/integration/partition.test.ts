import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/paths.js';
import { openPartition, partitionLeftovers, partitionUnsupported, removePartition } from '../../src/faults/partition.js';
import { readState } from '../../src/cluster/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// The partition's own cleanup (root only): nothing (chain, cgroups) is left behind, after a heal, a leftover of an
// earlier run, or a SIGTERM in the middle of a measurement. The measurements themselves run in the persistence
// suite (tests/integration/persistence-suite.test.ts).

const unsupported = partitionUnsupported();
let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster(50);
}, 60_000);

afterAll(async () => {
  if (c && !unsupported) removePartition(c.portBase);
  await c?.stop();
});

describe('partition', () => {
  if (unsupported) {
    it(`cannot partition here, and says why: ${unsupported}`, () => {
      expect(unsupported).toMatch(/root|iptables|cgroup/);
    });
    return;
  }

  it('a leftover chain of the same name is removed and named; heal leaves nothing behind', () => {
    const nodes = readState(c.run.runDir).nodes;
    const [iso, ...others] = nodes;
    if (!iso) throw new Error('no nodes');
    const first = openPartition(c.portBase, iso, others);
    expect(first.leftover).toEqual([]);
    expect(partitionLeftovers(c.portBase).length).toBe(3);
    // As if the process had died with the partition in place: the next one finds and removes it.
    const second = openPartition(c.portBase, iso, others);
    expect(second.leftover).toContain(`chain ${first.plan.chain}`);
    second.heal();
    expect(partitionLeftovers(c.portBase)).toEqual([]);
  });

  // Last: it leaves the shard failed over. Uses the build in dist/ (npx tsc -p tsconfig.json).
  it('SIGTERM in the middle of a partition removes the chain and the cgroups', async () => {
    const script = `import { measurePartitionLoss } from ${JSON.stringify(join(PROJECT_ROOT, 'dist', 'faults', 'partition.js'))};
      await measurePartitionLoss({ target: JSON.parse(process.env.T), portBase: Number(process.env.PB), minReplicasToWrite: 0, log: (l) => console.log(l) });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, T: JSON.stringify(c.target), PB: String(c.portBase) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no partition within 20 s: ${out}`)), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('partitioning')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(partitionLeftovers(c.portBase)).toHaveLength(3);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(partitionLeftovers(c.portBase)).toEqual([]);
  });
});
