import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { harnessHome, localNodeControl, resumeAllPaused } from '../../src/cluster/index.js';
import { failoverViolations, restoreNode, runFailover, type FailoverResult, type FaultKind } from '../../src/faults/failover.js';
import { readYamlFile } from '../../src/read-yaml.js';
import { DEFAULT_SPEC_PATH } from '../../src/spec/index.js';
import { startTestCluster, type TestCluster } from '../../tests/support/cluster.js';

// The failover window at the spec's cluster-node-timeout (5000) and at the seed's (15000), measured, not quoted
// (issue 11). For each node-timeout: a fresh local cluster (the 15000 one from a spec variant written here,
// otherwise the fixture unchanged), then SIGKILL of the first master and SIGSTOP of the second, each under
// open-loop traffic over every shard (600 ops/s, 1 s op timeout) with acked-write recorders on the faulted
// shard, each failed back before the next. Different masters: a master votes for a replica of the same shard
// at most once per 2 × node-timeout, so a second fault of the same shard would measure that lockout.
// Printed per fault: the client-visible window (max over shards, and per shard), promotion and recovery times,
// acked writes lost with and without WAIT, errors by kind. Figures only; the test checks the work was done.
const NODE_TIMEOUTS = [5000, 15_000] as const;
const FAULTS: ReadonlyArray<{ fault: FaultKind; master: number }> = [
  { fault: 'kill', master: 0 },
  { fault: 'pause', master: 1 },
];

let cluster: TestCluster | undefined;
let faulted: string | undefined;
const rows: string[] = [];
const figure = (text: string) => {
  console.log(`[bench:failover] ${text}`);
};

afterAll(async () => {
  resumeAllPaused();
  if (cluster && faulted !== undefined) await restoreNode(localNodeControl(cluster.run.runDir, cluster.run.password), faulted);
  await cluster?.stop();
  for (const r of rows) figure(r);
});

/** The fixture with another cluster-node-timeout, as a spec file (the cluster's redis.conf is rendered from it). */
function specWithNodeTimeout(ms: number): string {
  if (ms === 5000) return DEFAULT_SPEC_PATH;
  const doc = readYamlFile(DEFAULT_SPEC_PATH) as { redis: Record<string, unknown> };
  doc.redis['cluster-node-timeout'] = ms;
  const dir = join(harnessHome(), 'bench-failover');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `spec-node-timeout-${ms}.yaml`);
  writeFileSync(path, stringify(doc));
  return path;
}

const s = (v: number | null) => (v === null ? '-' : `${(v / 1000).toFixed(2)} s`);

function row(r: FailoverResult): string {
  return (
    `node-timeout ${r.node_timeout_ms} | ${r.fault} ${r.node} | window ${s(r.window_ms)} | promoted ${r.promoted ?? '-'} after ${s(r.promotion_ms)} | ` +
    `recovered ${s(r.recovered_ms)} | acked lost: WAIT ${r.acked_writes_lost ?? '-'}/${r.acked_writes.wait?.acked ?? '-'}, plain ${r.acked_writes_lost_no_wait ?? '-'}/${r.acked_writes.plain?.acked ?? '-'} | ` +
    `per shard ${r.shards.map((x) => `${x.name} ${s(x.windowMs)}`).join(', ')} | errors ${Object.entries(r.errors)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`
  );
}

describe('failover window by cluster-node-timeout', () => {
  for (const nodeTimeout of NODE_TIMEOUTS) {
    it(`cluster-node-timeout ${nodeTimeout}: kill and pause`, async () => {
      cluster = await startTestCluster(60, specWithNodeTimeout(nodeTimeout));
      const c = cluster;
      const control = localNodeControl(c.run.runDir, c.run.password);
      for (const { fault, master } of FAULTS) {
        const node = c.spec.topology.masters[master]?.name;
        if (node === undefined) throw new Error(`the spec has no master #${master + 1}`);
        faulted = node;
        const r = await runFailover(c.target, control, c.spec, { node, fault, log: (l) => figure(`  ${l}`) });
        faulted = undefined;
        rows.push(row(r));
        figure(row(r));
        for (const n of r.notes) figure(`  note: ${n}`);
        if (r.layout_diff_end.length > 0) figure(`  at the end: ${r.layout_diff_end.join('; ')}`);
        const v = failoverViolations(r, c.spec.failover.maxWindowMs);
        if (v.length > 0) figure(`  against failover.maxWindowMs ${c.spec.failover.maxWindowMs}: ${v.join('; ')}`);
        // The work was done: the node faulted was taken over, came back and the traffic ran.
        expect(r.node_timeout_ms).toBe(nodeTimeout);
        expect(r.promoted).not.toBeNull();
        expect(r.rejoined).toBe(true);
        expect(r.shards.every((x) => x.ops > 0)).toBe(true);
      }
      await c.stop();
      cluster = undefined;
    });
  }
});
