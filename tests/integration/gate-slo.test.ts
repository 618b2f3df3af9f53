import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, specWith, tmp } from '../support/cli.js';
import { testPortBase } from '../support/ports.js';

// The gate's verdicts on SLO breaches, through the bin against an external target: its own file, so it
// runs beside the other gate tests (each gate run takes up to a minute here).
describe('cache-harness gate: SLO breaches (end to end)', () => {
  it('an SLO breach on a clean measurement exits 1; on a disturbed one it is measured again, then exit 3 (external target: quota skipped)', async () => {
    const base = await testPortBase(7);
    const up = await runCli(['up', '--port-base', String(base)]);
    expect(up.code, up.stderr).toBe(0);
    try {
      const runDir = /run dir: (\S+)/.exec(up.stdout)?.[1] ?? '';
      const password = readFileSync(join(runDir, 'password'), 'utf8');
      const target = `redis://:${encodeURIComponent(password)}@127.0.0.1:${base}`;
      const slo = { mobile: { p99Ms: 0.001, p999Ms: 0.001 }, web: { p99Ms: 0.001, p999Ms: 0.001 } };
      const perf = { rate: 500, durationSeconds: 1, warmupSeconds: 0.2 };
      // Nothing counts as a disturbance (other test files load this machine too): a breach is a breach.
      const neverDisturbed = { otherCpuPercent: 100_000, stealPercent: 100, forks: 100_000, sendLagP99Ms: 100_000 };
      const failing = specWith({ slo, perf: { ...perf, disturbance: neverDisturbed } });
      const g = await runCli(['gate', '--target', target, '--reports', tmp(), '--spec', failing, '--suites', 'config,quota,perf'], {
        timeoutMs: 180_000,
      });
      expect(g.code, g.stderr).toBe(1);
      expect(g.stdout).toContain('verdict: FAIL');
      expect(g.stderr).toMatch(/✘ perf ›/);
      expect(g.stderr).toContain('suite quota skipped');
      // Every run disturbed (a send-lag limit of 1 ns): each breach is measured again, once, then inconclusive.
      const alwaysDisturbed = { sendLagP99Ms: 0.000001 };
      const reports = tmp();
      const spec = specWith({ slo, perf: { ...perf, retries: 1, disturbance: alwaysDisturbed } });
      const i = await runCli(['gate', '--target', target, '--reports', reports, '--spec', spec, '--suites', 'config,perf'], {
        timeoutMs: 180_000,
      });
      expect(i.code, i.stderr).toBe(3);
      expect(i.stdout).toContain('verdict: INCONCLUSIVE');
      const doc = JSON.parse(readFileSync(join(reports, readdirSync(reports)[0] ?? '', 'result.json'), 'utf8')) as {
        exit_code: number;
        suites: Array<{ name: string; status: string; checks: Array<{ name: string; status: string; reason?: string }> }>;
        benches: Array<{ name: string; quality?: { disturbed: boolean } }>;
      };
      const perfSuite = doc.suites.find((x) => x.name === 'perf');
      expect(perfSuite?.status).toBe('inconclusive');
      const open = perfSuite?.checks.filter((c) => c.name.includes('open loop')) ?? [];
      expect(open.map((c) => c.status)).toEqual(['inconclusive', 'inconclusive']);
      expect(open[0]?.reason).toMatch(/SLO broken in 2 attempt\(s\), each on a disturbed machine .*late/);
      // Both attempts of each profile are in the report, each with its quality block.
      expect(doc.benches.filter((b) => / open loop/.test(b.name))).toHaveLength(4);
      expect(doc.benches.filter((b) => b.quality?.disturbed)).toHaveLength(4);
    } finally {
      await runCli(['down', '--port-base', String(base)]);
    }
  });
});
