import { describe, it, expect } from 'vitest';
import { renderHtml, renderJUnit, resultSchema, verdictOf, type ResultDocument, type SuiteResult } from '../../src/report/index.js';

const suite = (over: Partial<SuiteResult> = {}): SuiteResult => ({ name: 'config', status: 'passed', duration_ms: 1200, checks: [], errors: [], ...over });

function doc(): ResultDocument {
  return {
    schema: 'cache-harness.result',
    schema_version: 1,
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
    suites: [suite({
      name: 'config',
      status: 'failed',
      checks: [
        { id: 'c1', name: 'maxmemory <= "2gb" & co', status: 'failed', duration_ms: 12, failure: 'drift on redis-1\n<script>alert(1)</script>', findings: [
          { severity: 'error', title: 'drift <maxmemory>', detail: 'a & b', data: [{ node: 'redis-1', key: 'maxmemory', actual: '<5gb>' }] },
        ] },
        { id: 'c2', name: 'save rules', status: 'passed', duration_ms: 3, findings: [] },
        { id: 'c3', name: 'listpack', status: 'skipped', duration_ms: 0, findings: [] },
      ],
    })],
    errors: [],
  };
}

describe('verdictOf', () => {
  it('passes when every suite passed or was skipped', () => {
    expect(verdictOf([suite(), suite({ status: 'skipped' })], [])).toEqual({ verdict: 'pass', exit_code: 0 });
    expect(verdictOf([], [])).toEqual({ verdict: 'pass', exit_code: 0 });
  });

  it('fails (1) when a suite failed', () => {
    expect(verdictOf([suite(), suite({ status: 'failed' })], [])).toEqual({ verdict: 'fail', exit_code: 1 });
  });

  it('is an error (2) on a harness or suite error, even with failures', () => {
    expect(verdictOf([suite({ status: 'failed' })], ['redis-server not found'])).toEqual({ verdict: 'error', exit_code: 2 });
    expect(verdictOf([suite({ errors: ['suite file failed to load'] })], [])).toEqual({ verdict: 'error', exit_code: 2 });
  });
});

describe('renderJUnit', () => {
  const xml = renderJUnit(doc());

  it('counts tests, failures and skips per suite', () => {
    expect(xml).toContain('<testsuite name="config" tests="3" failures="1" errors="0" skipped="1" time="1.200">');
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml).toContain('<skipped/>');
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

  it('shows the verdict and the suite counts', () => {
    expect(html).toContain('<header class="v-fail"><h1>FAIL</h1>');
    expect(html).toContain('<td class="failed">failed</td><td>1</td><td>1</td><td>1</td><td>1</td>');
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

  it('rejects another schema version', () => {
    expect(resultSchema.safeParse({ ...doc(), schema_version: 2 }).success).toBe(false);
  });
});
