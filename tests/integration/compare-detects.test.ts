import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { closeNode } from '../../src/cluster/index.js';
import { openAdminCluster } from '../../src/bench/admin.js';
import { readTopology } from '../../src/bench/index.js';
import { comparisonResultSchema } from '../../src/report/comparison-schema.js';
import { benchResultSchema } from '../../src/report/perf-schema.js';
import { runCli, tmp } from '../support/cli.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { keysLoopWhile, writeFiller } from '../support/keys-slowdown.js';

// The A/B, small and bounded: two 10 s open-loop `bench` runs of one cluster, the second while an admin
// client runs `KEYS <no match>` on every master every 100 ms over its bench keys and 20k filler keys (~1.5 ms of
// blocked server per call: p99 about 6× on a quiet machine, so the test holds on a busy CI machine too).
// `compare` must find the p99 regression and name it. The 20 A/A + 20 A/B figures at a 2× slowdown come from
// `npm run bench:compare` (docs/decisions.md).

const FILLER_PER_MASTER = 20_000;
const KEYS_EVERY_MS = 100;
const BENCH = ['--rate', '2000', '--duration', '10s', '--warmup', '1s'];

const benchFile = z.object({ benches: z.array(benchResultSchema) });

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
  it('a run under a KEYS loop: the p99 regression is found and named (exit 1); a disturbed run is inconclusive (exit 3), never a pass', async () => {
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
    // A disturbed run (a busy CI machine: the generator late by milliseconds) can neither pass nor fail: exit 3.
    // On clean runs the slowdown must be found and named.
    const disturbed = [a, b].some((f) => benchFile.parse(JSON.parse(readFileSync(f, 'utf8'))).benches.some((x) => x.quality?.disturbed));
    if (disturbed) {
      expect(c.code, c.stdout + c.stderr).toBe(3);
      expect(result.verdict).toBe('inconclusive');
      expect(c.stdout).toContain('verdict: INCONCLUSIVE');
      return;
    }
    const p99 = result.rows.filter((r) => r.op === 'all' && r.metric === 'p99' && r.verdict === 'regression');
    expect(
      p99.map((r) => r.channel),
      c.stdout,
    ).toContain('mobile');
    // Each regression is named on stdout: bench, channel, metric, change.
    expect(c.stdout).toMatch(/mobile open-loop.*mobile.*p99/);
    expect(c.code, c.stdout + c.stderr).toBe(1);
    expect(result.verdict).toBe('regression');
  }, 150_000);
});
