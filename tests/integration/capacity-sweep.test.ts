import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopology, type BenchTopology } from '../../src/bench/topology.js';
import { buildWorkload } from '../../src/bench/workload.js';
import { sweepSchema, type Sweep } from '../../src/capacity/schema.js';
import { runSweep } from '../../src/capacity/sweep.js';
import { closeNode, connectNode, parseInfo, targetCredentials } from '../../src/cluster/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// One short sweep of the whole cluster and one of a single master, on a local cluster: low rates, 1 s steps (a
// test may go below the 10 s floor with allowShortSteps; the capacity command cannot), no persistence settling.
// What is checked is the sweep's shape and where its load goes, never a speed.

let tc: TestCluster;
let topology: BenchTopology;
const lines: string[] = [];
const log = (l: string) => lines.push(l);

beforeAll(async () => {
  tc = await startTestCluster(80);
  topology = await readTopology(tc.target);
});
afterAll(async () => {
  console.log(lines.map((l) => `[capacity-sweep] ${l}`).join('\n'));
  await tc?.stop();
});

/** Per master: GET and SET calls so far (INFO commandstats) and its key count. */
async function perMaster(): Promise<Array<{ get: number; set: number; keys: number }>> {
  return Promise.all(
    topology.masters.map(async (m) => {
      const c = await connectNode(m, targetCredentials(tc.target));
      try {
        const stats = parseInfo(await c.info('commandstats'));
        const calls = (cmd: string) => Number(/calls=(\d+)/.exec(stats.get(`cmdstat_${cmd}`) ?? '')?.[1] ?? 0);
        return { get: calls('get'), set: calls('set'), keys: await c.dbsize() };
      } finally {
        await closeNode(c);
      }
    }),
  );
}

const common = () => ({
  spec: tc.spec,
  target: tc.target,
  workload: buildWorkload(tc.spec, 'mobile'),
  topology,
  stepSeconds: 1,
  warmupSeconds: 0.25,
  allowShortSteps: true,
  settle: false,
  tableSize: 4096,
  log,
});

/** The rates up to the first failed step: each the double of the one before, capped at maxRate. */
function doublingRates(s: Sweep): number[] {
  const out: number[] = [];
  for (const step of s.steps) {
    out.push(step.offered_ops_per_s);
    if (!step.ok) break;
  }
  return out;
}

describe('capacity sweep on a live cluster', () => {
  it('the steps rise, the knee is the highest ok step, a failure is confirmed, a master alone gets only its own ops, Ctrl-C stops after the step, and no key is left', async () => {
    const before = await perMaster();
    const cluster = sweepSchema.parse(
      await runSweep({ ...common(), scope: 'cluster', startRate: 250, maxRate: 1000, maxSteps: 4, bisections: 1 }),
    );
    expect(cluster.scope).toBe('cluster');
    const rates = doublingRates(cluster);
    expect(rates.length, cluster.stopped).toBeGreaterThanOrEqual(2);
    rates.slice(1).forEach((r, i) => expect(r).toBe(Math.min(2 * (rates[i] ?? 0), 1000)));
    const ok = cluster.steps.filter((s) => s.ok);
    expect(ok.length, JSON.stringify(cluster.steps.map((s) => s.reasons))).toBeGreaterThan(0);
    expect(cluster.knee?.ops_per_s).toBe(Math.max(...ok.map((s) => s.offered_ops_per_s)));
    for (const s of cluster.steps) {
      expect(s.ok).toBe(s.reasons.length === 0);
      expect(s.ok).toBe(s.errors === 0 && s.slo_met && s.achieved_ops_per_s >= 0.99 * s.offered_ops_per_s);
    }
    const afterCluster = await perMaster();
    // The whole-cluster sweep loads every master that serves the workload, and removes its keys.
    expect(afterCluster.filter((m, i) => m.get > (before[i]?.get ?? 0)).length).toBeGreaterThanOrEqual(2);
    expect(afterCluster.map((m) => m.keys)).toEqual(before.map((m) => m.keys));

    const alone = 1;
    const name = topology.masters[alone]?.name ?? '';
    // Ctrl-C during the first step: the sweep stops after it (no second step) and still removes its keys.
    const ctrlC = new AbortController();
    const master = sweepSchema.parse(
      await runSweep({
        ...common(),
        scope: { master: alone },
        startRate: 300,
        maxRate: 600,
        signal: ctrlC.signal,
        log: (l) => {
          log(l);
          if (l.includes('open-loop run')) ctrlC.abort();
        },
      }),
    );
    expect(master.scope).toBe(name);
    expect(master.steps.map((s) => s.offered_ops_per_s)).toEqual([300]);
    expect(master.stopped).toMatch(/interrupted/);
    const afterMaster = await perMaster();
    afterMaster.forEach((m, i) => {
      const gets = m.get - (afterCluster[i]?.get ?? 0);
      const sets = m.set - (afterCluster[i]?.set ?? 0);
      if (i === alone) expect(gets + sets, `${name}: ops`).toBeGreaterThan(500);
      else expect({ master: topology.masters[i]?.name, gets, sets }).toEqual({ master: topology.masters[i]?.name, gets: 0, sets: 0 });
    });
    expect(afterMaster.map((m) => m.keys)).toEqual(before.map((m) => m.keys));

    // A step that fails is confirmed once at the same rate; failed twice at the first rate: no knee.
    const strict = { p99Ms: 0.01, p999Ms: 0.01 };
    const failing = sweepSchema.parse(
      await runSweep({
        ...common(),
        spec: { ...tc.spec, slo: { mobile: strict, web: strict } },
        scope: 'cluster',
        startRate: 200,
        maxRate: 800,
      }),
    );
    expect(failing.steps.map((s) => [s.offered_ops_per_s, s.ok, s.slo_met])).toEqual([
      [200, false, false],
      [200, false, false],
    ]);
    expect(failing.steps[0]?.reasons.join()).toMatch(/mobile: p99 .* > 0.01 ms/);
    expect(failing.knee).toBeNull();
    expect(failing.stopped).toMatch(/failed twice/);
    expect((await perMaster()).map((m) => m.keys)).toEqual(before.map((m) => m.keys));
  }, 45_000);
});
