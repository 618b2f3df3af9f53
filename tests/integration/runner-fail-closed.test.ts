import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  renderHtml,
  renderJUnit,
  resultSchema,
  verdictOf,
  writeReports,
  type ResultDocument,
  type SuiteResult,
} from '../../src/report/index.js';
import { NO_CHECKS } from '../../src/runner/outcome.js';
import { runSuites } from '../../src/runner/run-suites.js';

// The real runner (vitest's node API) on fixture suites under tests/fixtures/suites/<name>/: no cluster needed.
const SUITES_DIR = 'tests/fixtures/suites';
const NAMES = ['hook-throws', 'import-fails', 'no-tests', 'missing', 'policy-skip', 'bare-skip', 'inconclusive', 'passing'] as const;
const DIST_ISOLATED = fileURLToPath(new URL('../../dist/runner/run-suites-isolated.js', import.meta.url));

let results: SuiteResult[];
const logs: string[] = [];
const byName = (n: string): SuiteResult => {
  const s = results.find((r) => r.name === n);
  if (!s) throw new Error(`no result for ${n}`);
  return s;
};
const statusOf = (n: string) => Object.fromEntries(byName(n).checks.map((c) => [c.name, c.status]));

function docOf(suites: SuiteResult[]): ResultDocument {
  return {
    schema: 'cache-harness.result',
    schema_version: 2,
    run_id: 'fixture-run',
    harness_version: 'test',
    started_at: '2025-01-01T00:00:00.000Z',
    finished_at: '2025-01-01T00:00:01.000Z',
    duration_ms: 1000,
    ...verdictOf(suites, []),
    spec: { name: 'fixture', path: 'none' },
    target: { backend: 'local', nodes: [] },
    timings_ms: {},
    suites,
    errors: [],
  };
}

beforeAll(async () => {
  results = await runSuites({ suites: NAMES, env: {}, log: (l) => logs.push(l), suitesDir: SUITES_DIR, timeoutMs: 30_000 });
}, 120_000);

describe('runSuites fails closed (fixture suites, real vitest)', () => {
  it('returns one result per requested suite, in order', () => {
    expect(results.map((r) => r.name)).toEqual([...NAMES]);
  });

  it('a throwing describe-level beforeAll: the suite fails, the hook error is a suite error, its tests fail with "did not run"', () => {
    const s = byName('hook-throws');
    expect(s.status).toBe('failed');
    expect(s.errors).toEqual([
      expect.stringMatching(
        /^describe 'provisioning' \(tests\/fixtures\/suites\/hook-throws\/hook\.test\.ts\): Error: cannot provision the fixture tenant/,
      ),
    ]);
    expect(statusOf('hook-throws')).toEqual({
      'outside the broken describe: passes': 'passed',
      'provisioning > reads the tenant back': 'failed',
      'provisioning > writes a key': 'failed',
    });
    for (const c of s.checks.filter((x) => x.status === 'failed'))
      expect(c.failure).toBe("did not run: beforeAll in describe 'provisioning' failed: cannot provision the fixture tenant");
    expect(logs.some((l) => l.includes('✘ hook-throws › provisioning > writes a key'))).toBe(true);
  });

  it('a suite file that fails to import: failed with the import error', () => {
    const s = byName('import-fails');
    expect(s.status).toBe('failed');
    expect(s.checks).toEqual([]);
    expect(s.errors[0]).toContain('suite module failed to load: missing fixture');
    expect(s.errors).toContain(NO_CHECKS);
  });

  it('zero tests, or no test file at all: failed, "no checks ran"', () => {
    expect(byName('no-tests')).toMatchObject({ status: 'failed', checks: [] });
    expect(byName('no-tests').errors).toContain(NO_CHECKS);
    expect(byName('missing')).toMatchObject({ status: 'failed', checks: [] });
    expect(byName('missing').errors[0]).toBe('no test file found under tests/fixtures/suites/missing/');
  });

  it('every check skipped by policy: the suite is skipped with the reason, not passed', () => {
    const s = byName('policy-skip');
    expect(s).toMatchObject({
      status: 'skipped',
      skip_reason: 'restarts a node: needs a destructive target (--allow-destructive)',
      errors: [],
    });
    expect(s.checks[0]).toMatchObject({ status: 'skipped', reason: 'restarts a node: needs a destructive target (--allow-destructive)' });
  });

  it('a policy skip next to a pass: the suite passes', () => {
    expect(byName('passing')).toMatchObject({ status: 'passed', errors: [] });
    expect(statusOf('passing')).toEqual({ passes: 'passed', 'needs a destructive target': 'skipped' });
  });

  it('bare it.skip, ctx.skip() without the helper and it.todo: each check fails, saying why', () => {
    const s = byName('bare-skip');
    expect(s.status).toBe('failed');
    const failure = (n: string) => s.checks.find((c) => c.name === n)?.failure;
    expect(statusOf('bare-skip')).toEqual({
      passes: 'passed',
      'skipped with it.skip': 'failed',
      'skipped with ctx.skip()': 'failed',
      'not written yet': 'failed',
    });
    expect(failure('skipped with it.skip')).toMatch(/^did not run: skipped with it\.skip/);
    expect(failure('skipped with ctx.skip()')).toMatch(/^did not run: skipped with ctx\.skip\("flaky here"\), not by the harness's policy/);
    expect(failure('not written yet')).toMatch(/^did not run: it\.todo/);
  });

  it('a check marked inconclusive: inconclusive with its reason, and so is its suite', () => {
    const s = byName('inconclusive');
    expect(s.status).toBe('inconclusive');
    expect(s.checks.find((c) => c.name === 'p99 under load')).toMatchObject({
      status: 'inconclusive',
      reason: 'the machine was too busy: 40% of the intended rate was reached',
    });
  });

  it('verdicts: suite errors → error 2; a failed check → fail 1; inconclusive → 3; nothing checked → fail 1; else pass 0', () => {
    expect(verdictOf(results, [])).toEqual({ verdict: 'error', exit_code: 2 });
    expect(verdictOf([byName('passing'), byName('bare-skip')], [])).toEqual({ verdict: 'fail', exit_code: 1 });
    expect(verdictOf([byName('passing'), byName('inconclusive')], [])).toEqual({ verdict: 'inconclusive', exit_code: 3 });
    expect(verdictOf([byName('policy-skip')], [])).toEqual({ verdict: 'fail', exit_code: 1 });
    expect(verdictOf([byName('passing'), byName('policy-skip')], [])).toEqual({ verdict: 'pass', exit_code: 0 });
  });

  it('the rendered JUnit shows failures, suite errors, policy skips and inconclusive checks', () => {
    const xml = renderJUnit(docOf(results));
    expect(xml).toMatch(/<testsuite name="hook-throws" tests="4" failures="2" errors="1" skipped="0"/);
    expect(xml).toContain(
      '<failure message="did not run: beforeAll in describe &#39;provisioning&#39; failed: cannot provision the fixture tenant">',
    );
    expect(xml).toMatch(/<testsuite name="import-fails" tests="2" failures="0" errors="2" skipped="0"/);
    expect(xml).toMatch(
      /<testsuite name="policy-skip" tests="1" failures="0" errors="0" skipped="1"[^]*?<property name="status" value="skipped"\/>/,
    );
    expect(xml).toContain('<skipped message="skipped by policy: restarts a node: needs a destructive target (--allow-destructive)"/>');
    expect(xml).toMatch(/<testsuite name="bare-skip" tests="4" failures="3" errors="0" skipped="0"/);
    expect(xml).toContain('<skipped message="inconclusive: the machine was too busy: 40% of the intended rate was reached"/>');
  });

  it('the rendered HTML shows each suite with its status and the reasons', () => {
    const html = renderHtml(docOf([byName('hook-throws'), byName('policy-skip'), byName('inconclusive')]));
    expect(html).toContain('<header class="v-error"><h1>ERROR</h1>');
    expect(html).toContain('<h2>Suite: hook-throws <span class="badge failed">failed</span></h2>');
    expect(html).toContain('did not run: beforeAll in describe &#39;provisioning&#39; failed: cannot provision the fixture tenant');
    expect(html).toContain(
      '<p class="reason skipped"><b>suite skipped:</b> restarts a node: needs a destructive target (--allow-destructive)</p>',
    );
    expect(html).toContain('<h2>Suite: inconclusive <span class="badge inconclusive">inconclusive</span></h2>');
    expect(renderHtml(docOf([byName('passing'), byName('inconclusive')]))).toContain(
      '<header class="v-inconclusive"><h1>INCONCLUSIVE</h1>',
    );
  });

  it('the results validate and write as result.json, report.html and junit.xml', () => {
    const doc = docOf(results);
    expect(resultSchema.safeParse(doc).success).toBe(true);
    const paths = writeReports(doc, mkdtempSync(join(tmpdir(), 'cache-harness-fail-closed-')));
    const back = JSON.parse(readFileSync(paths.json, 'utf8')) as ResultDocument;
    expect(back.suites.map((s) => [s.name, s.status])).toEqual(results.map((s) => [s.name, s.status]));
    expect(back).toMatchObject({ verdict: 'error', exit_code: 2, schema_version: 2 });
  });
});

// The gate runs suites through the child process of dist/ (runSuitesIsolated); it must carry the same results across.
describe('runSuitesIsolated (dist/, child process; `npm run build` first)', () => {
  it('gives the same statuses, errors and reasons as the in-process runner', async () => {
    const mod = (await import(DIST_ISOLATED)) as typeof import('../../src/runner/run-suites-isolated.js');
    const isolated = await mod.runSuitesIsolated({
      suites: NAMES,
      env: {},
      log: () => undefined,
      suitesDir: SUITES_DIR,
      timeoutMs: 30_000,
    });
    const shape = (rs: SuiteResult[]) =>
      rs.map((s) => ({
        ...s,
        duration_ms: 0,
        checks: s.checks.map((c) => ({ ...c, duration_ms: 0 })),
        errors: s.errors.map((e) => e.split('\n')[0]),
      }));
    expect(shape(isolated)).toEqual(shape(results));
  }, 120_000);
});
