import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATE_SUITES } from '../../src/gate.js';
import { redisOnPorts, runCli } from '../support/cli.js';
import { gateResult } from '../support/gate-result.js';
import { testPortBase } from '../support/ports.js';

// The real gate CLI on a copy of the project whose `config` suite gained one file with a throwing
// describe-level beforeAll. The copy runs its own build (dist/ resolves the project root from its own
// location, so a symlinked dist would run the original suites); node_modules is shared. `--suites config`
// keeps it to one suite (~15 s): the other suites must still show up, as skipped.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BROKEN = join(ROOT, 'tests/fixtures/suites/hook-throws/hook.test.ts');

let copy: string;
beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'cache-harness-copy-'));
  for (const p of ['src', 'suites', 'fixtures', 'bin', 'package.json', 'tsconfig.json'])
    cpSync(join(ROOT, p), join(copy, p), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  cpSync(BROKEN, join(copy, 'suites/config/zz-broken-hook.test.ts'));
  // Type errors are tsc -p tsconfig.test.json's job (scripts/test.sh runs it first); here only the emit matters.
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(copy, 'tsconfig.json')], {
    encoding: 'utf8',
  });
  if (!existsSync(join(copy, 'dist/cli.js'))) throw new Error(`building the copy failed:\n${tsc.stdout}${tsc.stderr}`);
});
afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

/** The copy's CLI, as a user runs it; on time-out SIGTERM, so the gate tears its cluster down. */
const runCopyCli = (args: string[], timeoutMs = 90_000) =>
  runCli(args, { bin: join(copy, 'bin/cache-harness.js'), timeoutMs, timeoutSignal: 'SIGTERM' });

describe('gate fails closed (real CLI, local cluster, project copy)', () => {
  it('a suite file whose describe-level beforeAll throws: exit != 0, the suite failed (not skipped, not passed) in JSON, HTML and JUnit', async () => {
    const base = await testPortBase(40);
    const reports = mkdtempSync(join(tmpdir(), 'cache-harness-gate-reports-'));
    const g = await runCopyCli(['gate', '--port-base', String(base), '--suites', 'config', '--reports', reports], 150_000);
    expect(redisOnPorts(base)).toEqual([]);
    expect(g.code, g.stderr + g.stdout).not.toBe(0);
    expect(g.code).toBe(2); // a suite-level error
    expect(g.stdout).toContain('verdict: ERROR (exit 2)');

    const doc = gateResult(g);
    const json = /json:\s+(\S+)/.exec(g.stdout)?.[1] ?? '';
    expect(doc).toMatchObject({ schema_version: 2, verdict: 'error', exit_code: 2, errors: [] });
    const config = doc.suites.find((s) => s.name === 'config');
    expect(config?.status).toBe('failed');
    expect(config?.errors).toEqual([
      expect.stringContaining("describe 'provisioning' (suites/config/zz-broken-hook.test.ts): Error: cannot provision the fixture tenant"),
    ]);
    const blocked = config?.checks.filter((c) => c.id.startsWith('suites/config/zz-broken-hook.test.ts#provisioning'));
    expect(blocked?.map((c) => [c.status, c.failure])).toEqual([
      ['failed', "did not run: beforeAll in describe 'provisioning' failed: cannot provision the fixture tenant"],
      ['failed', "did not run: beforeAll in describe 'provisioning' failed: cannot provision the fixture tenant"],
    ]);
    // The real config checks still ran and passed: only the broken file fails the suite.
    expect(config?.checks.filter((c) => c.id.startsWith('suites/config/config.test.ts')).every((c) => c.status === 'passed')).toBe(true);
    // Every other gate suite is in the report, skipped with its reason.
    expect(doc.suites.map((s) => [s.name, s.status, s.skip_reason])).toEqual([
      ['config', 'failed', undefined],
      ...GATE_SUITES.filter((s) => s.name !== 'config').map((s) => [s.name, 'skipped', 'not selected (--suites config)']),
    ]);

    const html = readFileSync(json.replace('result.json', 'report.html'), 'utf8');
    expect(html).toContain('<header class="v-error"><h1>ERROR</h1>');
    expect(html).toContain('<td><a href="#suite-config">config</a></td><td class="failed">failed</td>');
    expect(html).toContain('<h2>Suite: config <span class="badge failed">failed</span></h2>');
    expect(html).toContain('did not run: beforeAll in describe &#39;provisioning&#39; failed: cannot provision the fixture tenant');
    expect(html).toContain('<p class="reason skipped"><b>suite skipped:</b> not selected (--suites config)</p>');

    const xml = readFileSync(json.replace('result.json', 'junit.xml'), 'utf8');
    expect(xml).toMatch(
      /<testsuite name="config" tests="\d+" failures="2" errors="1" skipped="0"[^>]*>\n {4}<properties>\n {6}<property name="status" value="failed"\/>/,
    );
    expect(xml).toContain(
      '<failure message="did not run: beforeAll in describe &#39;provisioning&#39; failed: cannot provision the fixture tenant">',
    );
    expect(xml).toContain(
      '<testcase classname="quota" name="(suite skipped)" time="0"><skipped message="suite skipped: not selected (--suites config)"/></testcase>',
    );
  }, 180_000);

  it('--suites with an unknown name: exit 2 before anything starts', async () => {
    const r = await runCopyCli([
      'gate',
      '--suites',
      'config,confg',
      '--reports',
      mkdtempSync(join(tmpdir(), 'cache-harness-gate-reports-')),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown suite(s): confg');
  });
});
