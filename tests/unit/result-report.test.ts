import { describe, it, expect } from 'vitest';
import {
  renderHtml,
  renderJUnit,
  RESULT_SCHEMA_VERSION,
  resultSchema,
  verdictOf,
  type CheckResult,
  type ResultDocument,
  type SuiteResult,
} from '../../src/report/index.js';
import { skippedSuite } from '../../src/report/result.js';

const suite = (over: Partial<SuiteResult> = {}): SuiteResult => ({
  name: 'config',
  status: 'passed',
  duration_ms: 1200,
  checks: [],
  errors: [],
  ...over,
});

function doc(): ResultDocument {
  return {
    schema: 'cache-harness.result',
    schema_version: 2,
    run_id: '20250101T000000Z-abc',
    harness_version: '0.1.0',
    started_at: '2025-01-01T00:00:00.000Z',
    finished_at: '2025-01-01T00:00:05.000Z',
    duration_ms: 5000,
    verdict: 'fail',
    exit_code: 1,
    spec: { name: 'kryonix', path: 'fixtures/kryonix.spec.yaml' },
    target: { backend: 'local', redis_version: '7.2.4', nodes: [{ name: 'redis-1', address: '127.0.0.1:7001', role: 'master' }] },
    timings_ms: { cluster_up: 3000 },
    suites: [
      suite({
        name: 'config',
        status: 'failed',
        checks: [
          {
            id: 'c1',
            name: 'maxmemory <= "2gb" & co',
            status: 'failed',
            duration_ms: 12,
            failure: 'drift on redis-1\n<script>alert(1)</script>',
            findings: [
              {
                severity: 'error',
                title: 'drift <maxmemory>',
                detail: 'a & b',
                data: [{ node: 'redis-1', key: 'maxmemory', actual: '<5gb>' }],
              },
            ],
          },
          { id: 'c2', name: 'save rules', status: 'passed', duration_ms: 3, findings: [] },
          { id: 'c3', name: 'listpack', status: 'skipped', duration_ms: 0, reason: 'needs --allow-destructive', findings: [] },
        ],
      }),
    ],
    errors: [],
  };
}

const check = (status: CheckResult['status'], over: Partial<CheckResult> = {}): CheckResult => ({
  id: status,
  name: status,
  status,
  duration_ms: 1,
  findings: [],
  ...over,
});

describe('verdictOf', () => {
  it('passes when every suite passed or was skipped, and at least one ran', () => {
    expect(verdictOf([suite(), suite({ status: 'skipped' })], [])).toEqual({ verdict: 'pass', exit_code: 0 });
  });

  it('fails (1) when nothing was checked: no suite, or every suite skipped', () => {
    expect(verdictOf([], [])).toEqual({ verdict: 'fail', exit_code: 1 });
    expect(verdictOf([skippedSuite('quota', 'changes the cluster')], [])).toEqual({ verdict: 'fail', exit_code: 1 });
  });

  it('fails (1) when a suite failed, or a check failed whatever its suite says', () => {
    expect(verdictOf([suite(), suite({ status: 'failed' })], [])).toEqual({ verdict: 'fail', exit_code: 1 });
    expect(verdictOf([suite({ checks: [check('passed'), check('failed')] })], [])).toEqual({ verdict: 'fail', exit_code: 1 });
  });

  it('is inconclusive (3) when nothing failed but a suite or check is inconclusive', () => {
    expect(verdictOf([suite(), suite({ status: 'inconclusive' })], [])).toEqual({ verdict: 'inconclusive', exit_code: 3 });
    expect(verdictOf([suite({ checks: [check('inconclusive', { reason: 'noisy' })] })], [])).toEqual({
      verdict: 'inconclusive',
      exit_code: 3,
    });
  });

  it('a failure outranks inconclusive', () => {
    expect(verdictOf([suite({ status: 'inconclusive' }), suite({ status: 'failed' })], [])).toEqual({ verdict: 'fail', exit_code: 1 });
  });

  it('is an error (2) on a harness or suite error, even with failures', () => {
    expect(verdictOf([suite({ status: 'failed' })], ['redis-server not found'])).toEqual({ verdict: 'error', exit_code: 2 });
    expect(verdictOf([suite({ errors: ['suite file failed to load'] })], [])).toEqual({ verdict: 'error', exit_code: 2 });
  });
});

describe('renderJUnit', () => {
  const xml = renderJUnit(doc());

  it('counts tests, failures and skips per suite, with the suite status as a property', () => {
    expect(xml).toContain('<testsuite name="config" tests="3" failures="1" errors="0" skipped="1" time="1.200">');
    expect(xml).toContain('<property name="status" value="failed"/>');
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml).toContain('<skipped message="skipped by policy: needs --allow-destructive"/>');
  });

  it('shows an inconclusive check as skipped with its reason and a note, not as a pass', () => {
    const d = {
      ...doc(),
      suites: [
        suite({
          name: 'perf',
          status: 'inconclusive',
          checks: [check('passed'), check('inconclusive', { name: 'p99', reason: 'machine too busy' })],
        }),
      ],
    };
    const out = renderJUnit(d);
    expect(out).toContain('<testsuite name="perf" tests="2" failures="0" errors="0" skipped="1"');
    expect(out).toContain('<property name="status" value="inconclusive"/>');
    expect(out).toMatch(
      /<testcase classname="perf" name="p99" [^>]*><skipped message="inconclusive: machine too busy"\/><system-out>INCONCLUSIVE \(not a pass\): machine too busy<\/system-out><\/testcase>/,
    );
  });

  it('lists a suite the gate did not run as one skipped case with the reason', () => {
    const out = renderJUnit({ ...doc(), suites: [skippedSuite('quota', 'it changes the cluster; pass --allow-destructive')] });
    expect(out).toContain('<testsuite name="quota" tests="1" failures="0" errors="0" skipped="1" time="0.000">');
    expect(out).toContain('<property name="skip_reason" value="it changes the cluster; pass --allow-destructive"/>');
    expect(out).toContain(
      '<testcase classname="quota" name="(suite skipped)" time="0"><skipped message="suite skipped: it changes the cluster; pass --allow-destructive"/></testcase>',
    );
  });

  it('adds one error case per suite-level error (a describe-level hook, an import error)', () => {
    const out = renderJUnit({
      ...doc(),
      suites: [suite({ name: 'broken', status: 'failed', errors: ["describe 'x' (a.test.ts): Error: boom\n    at a.test.ts:3"] })],
    });
    expect(out).toContain('<testsuite name="broken" tests="1" failures="0" errors="1" skipped="0"');
    expect(out).toContain('<error message="describe &#39;x&#39; (a.test.ts): Error: boom">');
  });

  it('escapes < & " in names, messages and bodies', () => {
    expect(xml).toContain('name="maxmemory &lt;= &quot;2gb&quot; &amp; co"');
    expect(xml).toContain('<failure message="drift on redis-1">drift on redis-1\n&lt;script&gt;alert(1)&lt;/script&gt;</failure>');
    expect(xml).toContain('[error] drift &lt;maxmemory&gt;: a &amp; b');
    expect(xml).not.toContain('<script>');
  });

  it('adds a harness suite with one error per harness error', () => {
    const d = { ...doc(), errors: ['port 7001 in use', 'no "redis-server"'] };
    const out = renderJUnit(d);
    expect(out).toContain('<testsuite name="harness" tests="2" failures="0" errors="2"');
    expect(out).toContain('<error message="no &quot;redis-server&quot;">');
  });
});

describe('renderHtml', () => {
  const html = renderHtml(doc());

  it('is self-contained: no external scripts, styles or images', () => {
    expect(html).not.toMatch(/src="http/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('<style>');
  });

  it('escapes names, failures, findings and data cells', () => {
    expect(html).toContain('maxmemory &lt;= &quot;2gb&quot; &amp; co');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('drift &lt;maxmemory&gt;');
    expect(html).toContain('<td>&lt;5gb&gt;</td>');
  });

  it('shows one wide record as field | value rows, and several wide rows in a scrolling block', () => {
    const wide = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`field_${i}`, i]));
    const withData = (data: unknown[]) => {
      const d = doc();
      d.suites[0]?.checks[0]?.findings.push({ severity: 'warning', title: 'wide', detail: 'line 1\nline 2', data });
      return renderHtml(d);
    };
    const one = withData([wide]);
    expect(one).toContain('<tr><th>field</th><th>value</th></tr><tr><td>field_0</td><td>0</td></tr>');
    expect(one).not.toContain('<th>field_0</th>');
    const two = withData([wide, wide]);
    expect(two).toContain('<div class="wide"><table><tr><th>field_0</th>');
    // Narrow records stay rows: the config drift table keeps its columns.
    expect(html).toContain('<th>node</th><th>key</th><th>actual</th>');
  });

  it('shows the verdict and the suite counts', () => {
    expect(html).toContain('<header class="v-fail"><h1>FAIL</h1>');
    expect(html).toContain('<td class="failed">failed</td><td>1</td><td>1</td><td>1</td><td>0</td><td>1</td>');
  });

  it('shows a policy skip with its reason', () => {
    expect(html).toContain('<span class="badge skipped">skipped</span>');
    expect(html).toContain('<p class="reason skipped"><b>skipped by policy:</b> needs --allow-destructive</p>');
  });

  it('gives inconclusive its own verdict color, badge and reason', () => {
    const d: ResultDocument = {
      ...doc(),
      verdict: 'inconclusive',
      exit_code: 3,
      suites: [
        suite({ name: 'perf', status: 'inconclusive', checks: [check('inconclusive', { name: 'p99', reason: 'machine <too> busy' })] }),
      ],
    };
    const out = renderHtml(d);
    expect(out).toContain('<header class="v-inconclusive"><h1>INCONCLUSIVE</h1>');
    expect(out).toMatch(/header\.v-inconclusive\{background:#[0-9a-f]{6}\}/);
    expect(out).toContain('<td class="inconclusive">inconclusive</td><td>0</td><td>0</td><td>0</td><td>1</td>');
    expect(out).toContain('<h2>Suite: perf <span class="badge inconclusive">inconclusive</span></h2>');
    expect(out).toContain('<p class="reason inconclusive"><b>inconclusive:</b> machine &lt;too&gt; busy</p>');
  });

  it('shows a suite the gate did not run as skipped, with the reason', () => {
    const out = renderHtml({ ...doc(), suites: [suite(), skippedSuite('quota', 'it changes the cluster')] });
    expect(out).toContain(
      '<td class="skipped">skipped</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0.00 s</td><td>it changes the cluster</td>',
    );
    expect(out).toContain('<p class="reason skipped"><b>suite skipped:</b> it changes the cluster</p>');
  });
});

describe('resultSchema', () => {
  it('accepts a complete document', () => {
    expect(resultSchema.safeParse(doc()).success).toBe(true);
  });

  it('rejects a document missing schema_version', () => {
    const { schema_version: _, ...rest } = doc();
    const res = resultSchema.safeParse(rest);
    expect(res.success).toBe(false);
    expect(res.error?.issues.map((i) => i.path.join('.'))).toEqual(['schema_version']);
  });

  it('is at version 2 and rejects another schema version', () => {
    expect(RESULT_SCHEMA_VERSION).toBe(2);
    expect(resultSchema.safeParse({ ...doc(), schema_version: 1 }).success).toBe(false);
  });

  it('accepts the inconclusive verdict with exit code 3, and skip reasons', () => {
    const d = {
      ...doc(),
      verdict: 'inconclusive',
      exit_code: 3,
      suites: [skippedSuite('quota', 'r'), suite({ status: 'inconclusive', checks: [check('inconclusive', { reason: 'noisy' })] })],
    };
    expect(resultSchema.safeParse(d).success).toBe(true);
  });
});
