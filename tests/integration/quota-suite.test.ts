import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TARGET_ENV } from '../../src/cluster/index.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// Runs suites/quota (a LIVE-target suite) the way the gate does, in its own vitest process, against a
// real local cluster: 152,000 quota writes, a real Prometheus, the exporter. Then checks that no
// prometheus process of the run is left behind.
let c: TestCluster;
let dir: string;

beforeAll(async () => {
  c = await startTestCluster(4);
  dir = mkdtempSync(join(tmpdir(), 'cache-harness-quota-suite-'));
});
afterAll(async () => {
  await c?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const report = z.object({
  numPassedTests: z.number(),
  numFailedTests: z.number(),
  testResults: z.array(
    z.object({
      assertionResults: z.array(
        z.object({
          title: z.string(),
          status: z.string(),
          failureMessages: z.array(z.string()),
          meta: z
            .object({ findings: z.array(z.object({ severity: z.string(), title: z.string() })).optional() })
            .passthrough()
            .optional(),
        }),
      ),
    }),
  ),
});

/** Prometheus processes whose command line names a path under `under` (their temp dir). */
function prometheusPids(under: string): Promise<string[]> {
  return new Promise((resolve) => {
    const ps = spawn('ps', ['-eo', 'pid,args'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    ps.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    ps.on('close', () =>
      resolve(
        out
          .split('\n')
          .filter((l) => l.includes(join(under, 'cache-harness-prometheus-')))
          .map((l) => l.trim().split(/\s+/)[0] ?? ''),
      ),
    );
  });
}

describe('suites/quota against a live local cluster', () => {
  it("passes, reports the seed's plan-blind quota rule, and leaves no Prometheus behind", async () => {
    const config = join(dir, 'vitest.quota-suite.config.mjs');
    const out = join(dir, 'report.json');
    writeFileSync(
      config,
      `export default { test: { root: ${JSON.stringify(PROJECT_ROOT)}, include: ['suites/quota/**/*.test.ts'], testTimeout: 200000, hookTimeout: 120000, pool: 'forks', fileParallelism: false } };\n`,
    );
    const vitestBin = join(PROJECT_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
    // Seen running under `dir` while the suite ran: proof that the "none left" check below looks at the right processes.
    let seen = false;
    const watch = setInterval(() => {
      void prometheusPids(dir).then((pids) => {
        seen ||= pids.length > 0;
      });
    }, 500);
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [vitestBin, 'run', '--config', config, '--reporter=json', `--outputFile=${out}`], {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          [TARGET_ENV]: JSON.stringify(c.target),
          CACHE_HARNESS_SPEC: join(PROJECT_ROOT, 'fixtures/kryonix.spec.yaml'),
          // This run's Prometheus makes its temp dir under `dir`: other test files (a whole gate) run
          // their own Prometheus at the same time, and only this one is ours to look for.
          TMPDIR: dir,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 420_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    clearInterval(watch);
    const doc = report.parse(JSON.parse(readFileSync(out, 'utf8')));
    const checks = doc.testResults.flatMap((t) => t.assertionResults);
    for (const a of checks) {
      console.log(`[quota-suite] ${a.status === 'passed' ? '✔' : '✘'} ${a.title}`);
      for (const f of a.meta?.findings ?? []) console.log(`[quota-suite]     ${f.severity}: ${f.title}`);
      for (const m of a.failureMessages) console.log(`[quota-suite]     ${m.split('\n').slice(0, 6).join('\n')}`);
    }
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    expect(doc.numFailedTests).toBe(0);
    expect(doc.numPassedTests).toBe(7);
    const findings = checks.flatMap((a) => a.meta?.findings ?? []);
    expect(findings.some((f) => f.severity === 'warning' && f.title === "seed's plan-blind quota rule misses basic and pro")).toBe(true);
    expect(seen, 'the suite ran a Prometheus under its own temp dir').toBe(true);
    expect(await prometheusPids(dir)).toEqual([]);
  }, 480_000);
});
