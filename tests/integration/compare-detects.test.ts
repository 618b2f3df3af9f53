import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeNode } from '../../src/cluster/index.js';
import { openAdminCluster } from '../../src/bench/admin.js';
import { readTopology } from '../../src/bench/index.js';
import { DISTURBED_NOTE } from '../../src/compare/disturbed.js';
import { comparisonResultSchema } from '../../src/report/comparison-schema.js';
import { runCli, tmp } from '../support/cli.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { keysLoopWhile, writeFiller } from '../support/keys-slowdown.js';

// The A/B, small and bounded: two 10 s open-loop `bench` runs of one cluster, the second while an admin
// client runs `KEYS <no match>` on every master every 100 ms over ~100k filler keys each (a few ms of blocked
// server per call). `compare` must find the p99 regression and name it. The full 20 A/A + 20 A/B figures are
// in docs/decisions.md (a bench script, not a test: 15 minutes).

const FILLER_PER_MASTER = 100_000;
const KEYS_EVERY_MS = 100;
const BENCH = ['--rate', '2000', '--duration', '10s', '--warmup', '1s'];

let tc: TestCluster;
let admin: Cluster;
beforeAll(async () => {
  tc = await startTestCluster(14);
  admin = await openAdminCluster(tc.target);
  await writeFiller(admin, await readTopology(tc.target), FILLER_PER_MASTER);
}, 60_000);
afterAll(async () => {
  if (admin) await closeNode(admin);
  await tc?.stop();
});

describe('compare finds a real slowdown', () => {
  it('a run under a KEYS loop: the p99 regression is found and named (exit 1; 3 when a run was disturbed)', async () => {
    const dir = tmp();
    const [a, b] = [join(dir, 'a.json'), join(dir, 'b.json')];
    const bench = (json: string) => runCli(['bench', '--port-base', String(tc.portBase), ...BENCH, '--json', json], { timeoutMs: 60_000 });
    // Exit 1 is an SLO breach (the slowdown may cause one): the run is measured and written all the same.
    const ra = await bench(a);
    expect([0, 1], ra.stderr).toContain(ra.code);

    const run = bench(b);
    const calls = await keysLoopWhile(admin, run, KEYS_EVERY_MS);
    const rb = await run;
    expect([0, 1], rb.stderr).toContain(rb.code);
    expect(calls, 'the KEYS loop ran through the run').toBeGreaterThan(50);

    const out = join(dir, 'cmp.json');
    const c = await runCli(['compare', a, b, '--json', out]);
    console.log(`[compare-detects] ${c.stdout}`);
    const result = comparisonResultSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    const p99 = result.rows.filter((r) => r.op === 'all' && r.metric === 'p99' && r.verdict === 'regression');
    expect(
      p99.map((r) => r.channel),
      c.stdout,
    ).toContain('mobile');
    // Each regression is named on stdout: bench, channel, metric, change.
    expect(c.stdout).toMatch(/mobile open-loop.*mobile.*p99/);
    const disturbed = p99.every((r) => r.note?.includes(DISTURBED_NOTE));
    expect(c.code, c.stdout + c.stderr).toBe(disturbed ? 3 : 1);
    expect(result.verdict).toBe(disturbed ? 'inconclusive' : 'regression');
  }, 150_000);
});
