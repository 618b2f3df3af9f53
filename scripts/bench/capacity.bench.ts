import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopology, type BenchTopology } from '../../src/bench/topology.js';
import { buildWorkload } from '../../src/bench/workload.js';
import { sweepSchema, type Sweep } from '../../src/capacity/schema.js';
import { runSweep, SWEEP_DEFAULTS } from '../../src/capacity/sweep.js';
import { closeNode, connectNode, targetCredentials } from '../../src/cluster/index.js';
import { formatUs } from '../../src/format/duration.js';
import { startTestCluster, type TestCluster } from '../../tests/support/cluster.js';

// Issue 13 part 1, the throughput knee by a real sweep: the whole cluster, then each master alone (only the ops of
// its own slots), each an open-loop sweep of the mobile profile with the capacity command's settings: 10 s steps
// after the spec's warm-up, persistence settled before each step, doubling from 1,000 ops/s, the first failure
// confirmed, 3 bisections, at most 14 steps (SWEEP_DEFAULTS). Printed: every step (offered, achieved, p50/p99/p99.9,
// errors, SLO, ok or why not, disturbed) and each sweep's knee. Checked: only that the steps ran and no bench key was
// left, never a speed. The generator's threads run from dist/: `npm run build` first. ~12 minutes here (at most 14
// steps of ~12-15 s each per sweep, more when persistence takes long to settle). `cache-harness capacity` runs the
// same sweeps with the memory measurement and the projection; this script is the sweeps alone.
let c: TestCluster;
let topology: BenchTopology;
const sweeps: Sweep[] = [];
const figure = (text: string) => console.log(`[bench:capacity] ${text}`);

async function keysPerMaster(): Promise<number[]> {
  return Promise.all(
    topology.masters.map(async (m) => {
      const n = await connectNode(m, targetCredentials(c.target));
      try {
        return await n.dbsize();
      } finally {
        await closeNode(n);
      }
    }),
  );
}

beforeAll(async () => {
  c = await startTestCluster(85);
  topology = await readTopology(c.target);
}, 120_000);
afterAll(async () => {
  for (const s of sweeps) {
    figure(
      `${s.scope}: ${s.steps.length} step(s), knee ${s.knee ? `${s.knee.ops_per_s} ops/s (p99 ${formatUs(s.knee.p99_us)}, p99.9 ${formatUs(s.knee.p99_9_us)})` : 'none'}; ${s.stopped}`,
    );
  }
  await c?.stop();
});

/** 14 steps, each at most 1 + 10 s, a 5 s drain and a 30 s wait for persistence to settle: ~10 min in the worst case. */
const SWEEP_TIMEOUT_MS = 12 * 60_000;

describe('capacity sweep (10 s steps)', () => {
  // The spec's three masters; a cluster with fewer fails the missing one's sweep by name.
  for (const scope of ['cluster', { master: 0 }, { master: 1 }, { master: 2 }] as const) {
    it(
      scope === 'cluster' ? 'the whole cluster' : `master ${scope.master} alone`,
      async () => {
        const before = await keysPerMaster();
        const s = sweepSchema.parse(
          await runSweep({
            spec: c.spec,
            target: c.target,
            workload: buildWorkload(c.spec, 'mobile'),
            topology,
            scope,
            stepSeconds: SWEEP_DEFAULTS.stepSeconds,
            log: figure,
          }),
        );
        sweeps.push(s);
        expect(s.steps.length).toBeGreaterThan(0);
        expect(await keysPerMaster()).toEqual(before);
      },
      SWEEP_TIMEOUT_MS,
    );
  }
});
