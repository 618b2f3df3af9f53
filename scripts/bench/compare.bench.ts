import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openAdminCluster } from '../../src/bench/admin.js';
import { readTopology } from '../../src/bench/index.js';
import { closeNode } from '../../src/cluster/index.js';
import { comparisonResultSchema } from '../../src/report/comparison-schema.js';
import { benchResultSchema } from '../../src/report/perf-schema.js';
import { runCli, tmp } from '../../tests/support/cli.js';
import { startTestCluster, type TestCluster } from '../../tests/support/cluster.js';
import { keysLoopWhile, writeFiller } from '../../tests/support/keys-slowdown.js';

// How often `compare` cries wolf, and how often it finds a real slowdown (issue 12): PAIRS A/A pairs (two runs of
// the unchanged cluster, back to back) and PAIRS A/B pairs (B under `KEYS <no match>` on every master every
// COMPARE_KEYS_EVERY_MS (100) over the bench's own keys plus COMPARE_FILLER filler keys per master (0): p99
// about 4× here; COMPARE_ONLY=aa|ab runs one kind), interleaved, each run a 15 s open-loop `bench` at 2,000 ops/s (the mobile
// profile), each pair judged by `cache-harness compare` with the default thresholds. Printed: every pair's p99s,
// exit and regressions, then the counts (a false regression is an A/A exit 1; a detection is an A/B exit 1, or
// exit 3 with the p99 regression found in a disturbed run), and how long `compare` took. ~35 minutes at 20 pairs.
const PAIRS = Number(process.env.COMPARE_PAIRS ?? 20);
const BENCH = ['--rate', '2000', '--duration', '15s', '--warmup', '2s'];
const FILLER_PER_MASTER = Number(process.env.COMPARE_FILLER ?? 0);
const KEYS_EVERY_MS = Number(process.env.COMPARE_KEYS_EVERY_MS ?? 100);
/** `aa`, `ab` or both (default): which kind of pair to run. */
const ONLY = process.env.COMPARE_ONLY ?? 'both';

const benchFileSchema = z.object({ benches: z.array(benchResultSchema) });

let cluster: TestCluster | undefined;
let admin: Cluster | undefined;
const figure = (text: string) => console.log(`[bench:compare] ${text}`);

afterAll(async () => {
  if (admin) await closeNode(admin);
  await cluster?.stop();
});

interface Judged {
  /** Each run's overall p99 (µs) and whether its measurement was disturbed. */
  runs: string;
  exit: number | null;
  regressions: string[];
  p99Found: boolean;
  seconds: number;
}

async function judge(dir: string, a: string, b: string): Promise<Judged> {
  const out = join(dir, `${Date.now()}.cmp.json`);
  const t0 = performance.now();
  const c = await runCli(['compare', a, b, '--json', out]);
  const seconds = (performance.now() - t0) / 1000;
  const r = comparisonResultSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
  const reg = r.rows.filter((x) => x.verdict === 'regression');
  const run = (path: string) => {
    const first = benchFileSchema.parse(JSON.parse(readFileSync(path, 'utf8'))).benches[0];
    return `p99 ${first?.overall.p99_us ?? '?'} µs${first?.quality?.disturbed ? ' (disturbed)' : ''}`;
  };
  return {
    runs: `${run(a)} → ${run(b)}`,
    exit: c.code,
    regressions: reg.map(
      (x) => `${x.channel}/${x.op} ${x.metric} ${x.change_percent ?? '?'}%${x.note?.includes('disturbed') ? ' (disturbed)' : ''}`,
    ),
    p99Found: reg.some((x) => x.op === 'all' && x.metric === 'p99'),
    seconds,
  };
}

describe('compare: A/A false regressions and A/B detections', () => {
  it(
    `${PAIRS} A/A and ${PAIRS} A/B pairs`,
    async () => {
      cluster = await startTestCluster(60);
      admin = await openAdminCluster(cluster.target);
      await writeFiller(admin, await readTopology(cluster.target), FILLER_PER_MASTER);
      const dir = tmp();
      const c = cluster;
      const bench = async (json: string) => {
        const r = await runCli(['bench', '--port-base', String(c.portBase), ...BENCH, '--json', json], { timeoutMs: 90_000 });
        // Exit 1 is an SLO breach: measured and written all the same.
        if (r.code !== 0 && r.code !== 1) throw new Error(`bench failed (${r.code}): ${r.stderr}`);
      };
      const aa: Judged[] = [];
      const ab: Judged[] = [];
      for (let i = 1; i <= PAIRS; i++) {
        if (ONLY !== 'ab') {
          const [a1, a2] = [join(dir, `aa-${i}-a.json`), join(dir, `aa-${i}-b.json`)];
          await bench(a1);
          await bench(a2);
          const j = await judge(dir, a1, a2);
          aa.push(j);
          figure(`A/A ${i}: ${j.runs}; exit ${j.exit}; ${j.regressions.join(', ') || 'no regression'}`);
        }
        if (ONLY === 'aa') continue;
        const [b1, b2] = [join(dir, `ab-${i}-a.json`), join(dir, `ab-${i}-b.json`)];
        await bench(b1);
        const slow = bench(b2);
        const rounds = await keysLoopWhile(admin, slow, KEYS_EVERY_MS);
        await slow;
        const k = await judge(dir, b1, b2);
        ab.push(k);
        figure(`A/B ${i}: ${k.runs} (${rounds} KEYS rounds); exit ${k.exit}; ${k.regressions.join(', ') || 'no regression'}`);
      }
      const count = (xs: Judged[], f: (j: Judged) => boolean) => xs.filter(f).length;
      figure(
        `A/A: ${count(aa, (j) => j.exit === 1)} false regression(s), ${count(aa, (j) => j.exit === 3)} inconclusive, ${count(aa, (j) => j.exit === 0)} pass, of ${aa.length}`,
      );
      figure(
        `A/B: ${count(ab, (j) => j.exit === 1)} detected (exit 1), ${count(ab, (j) => j.exit === 3 && j.p99Found)} found but inconclusive (a run disturbed), ${count(ab, (j) => j.exit === 0)} missed, of ${ab.length}`,
      );
      const times = [...aa, ...ab].map((j) => j.seconds).sort((x, y) => x - y);
      figure(
        `compare took ${times[0]?.toFixed(2)}–${times.at(-1)?.toFixed(2)} s (median ${times[Math.floor(times.length / 2)]?.toFixed(2)} s), Node start included`,
      );
      expect(aa).toHaveLength(ONLY === 'ab' ? 0 : PAIRS);
      expect(ab).toHaveLength(ONLY === 'aa' ? 0 : PAIRS);
    },
    60 * 60_000,
  );
});
