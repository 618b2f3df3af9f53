import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { redisOnPorts, runCli, specWith, tmp } from '../support/cli.js';
import { GATE_SUITES } from '../../src/gate.js';
import { gateResult } from '../support/gate-result.js';
import { testPortBase } from '../support/ports.js';

// The whole gate through the bin: its own file, so it runs beside the other CLI tests (each gate takes a minute here).
// Every suite but the long destructive ones, which run on their own clusters in their own files, in parallel
// (tests/integration/<name>-suite.test.ts). A new gate suite runs here unless it is named below.
const OWN_TEST_FILE = new Set(['blast-radius', 'failover', 'persistence', 'rolling-restart', 'backup']);
const SUITES = GATE_SUITES.map((s) => s.name).filter((n) => !OWN_TEST_FILE.has(n));
describe('cache-harness gate (end to end)', () => {
  it('gate on a local cluster passes and writes JSON, HTML and JUnit', async () => {
    const base = await testPortBase(2);
    const reports = tmp();
    // The gate's mechanics, not this machine's speed: SLOs as loose as the spec rules allow (the brief's 200 ms), a short perf run (tests run in parallel here).
    const loose = { p99Ms: 200, p999Ms: 200 };
    const g = await runCli(
      [
        'gate',
        '--port-base',
        String(base),
        '--reports',
        reports,
        '--spec',
        specWith({ slo: { mobile: loose, web: loose }, perf: { rate: 500, durationSeconds: 2, warmupSeconds: 0.5 } }),
        '--suites',
        SUITES.join(','),
      ],
      { timeoutMs: 240_000 },
    );
    expect(g.code, g.stderr + g.stdout).toBe(0);
    const doc = gateResult(g);
    const json = /json:\s+(\S+)/.exec(g.stdout)?.[1] ?? '';
    expect(doc.verdict).toBe('pass');
    expect(doc.schema_version).toBe(2);
    const suites = doc.suites;
    expect(suites.map((s) => s.name)).toEqual(GATE_SUITES.map((s) => s.name));
    for (const s of suites.filter((x) => !SUITES.includes(x.name)))
      expect(s, s.name).toMatchObject({ status: 'skipped', skip_reason: `not selected (--suites ${SUITES.join(',')})` });
    for (const s of suites.filter((x) => SUITES.includes(x.name))) {
      expect(s.status, s.name).toBe('passed');
      expect(
        s.checks.filter((c) => c.status === 'skipped'),
        `${s.name}: no skipped check on an owned cluster`,
      ).toEqual([]);
    }
    expect(doc.benches?.map((b) => b.name)).toEqual(expect.arrayContaining(['mobile open loop', 'web open loop']));
    expect(readFileSync(json.replace('result.json', 'junit.xml'), 'utf8')).toContain('<testsuite name="config"');
    expect(readFileSync(json.replace('result.json', 'report.html'), 'utf8')).toContain('data:image/png;base64,');
    expect(redisOnPorts(base)).toEqual([]);
  });
});
