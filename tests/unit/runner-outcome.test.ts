import { describe, expect, it } from 'vitest';
import { assertGateSuites, GATE_SUITES, planSuites } from '../../src/gate.js';
import type { CheckResult, SuiteResult } from '../../src/report/index.js';
import { checkOf, NO_CHECKS, settleSuite, type ObservedTest } from '../../src/runner/outcome.js';

const test = (over: Partial<ObservedTest> = {}): ObservedTest => ({
  id: 'x.test.ts#t',
  name: 't',
  state: 'passed',
  mode: 'run',
  errors: [],
  meta: {},
  duration_ms: 3,
  ...over,
});
const check = (status: CheckResult['status'], reason?: string): CheckResult => ({
  id: status,
  name: status,
  status,
  duration_ms: 1,
  findings: [],
  ...(reason ? { reason } : {}),
});
const suite = (checks: CheckResult[], errors: string[] = []): SuiteResult => ({
  name: 's',
  status: 'passed',
  duration_ms: 5,
  checks,
  errors,
});
/** A check that failed, with a failure text matching `why`. */
function expectFailed(c: CheckResult, why: RegExp): void {
  expect(c.status).toBe('failed');
  expect(c.failure).toMatch(why);
}

describe('checkOf: a check passes only if its test passed', () => {
  it('passed → passed; failed → failed with the error messages', () => {
    expect(checkOf(test()).status).toBe('passed');
    expect(checkOf(test({ state: 'failed', errors: ['expected 1 to be 2', 'and more'] }))).toMatchObject({
      status: 'failed',
      failure: 'expected 1 to be 2\nand more',
    });
  });

  it('a policy skip (skipByPolicy) is skipped, with its reason', () => {
    const c = checkOf(test({ state: 'skipped', note: 'needs --allow-destructive', meta: { policySkip: 'needs --allow-destructive' } }));
    expect(c).toMatchObject({ status: 'skipped', reason: 'needs --allow-destructive' });
    expect(c.failure).toBeUndefined();
  });

  it('a test never run because a describe-level beforeAll threw is failed, naming the describe and the error', () => {
    const c = checkOf(test({ state: 'skipped', blockedBy: { where: "describe 'provisioning'", error: 'cannot provision' } }));
    expect(c).toMatchObject({ status: 'failed', failure: "did not run: beforeAll in describe 'provisioning' failed: cannot provision" });
    expect(checkOf(test({ state: 'pending', blockedBy: { where: "describe 'p'", error: 'e' } })).status).toBe('failed');
  });

  it('bare it.skip, ctx.skip() without the helper, it.todo and pending are failed, saying why', () => {
    expectFailed(checkOf(test({ state: 'skipped', mode: 'skip' })), /^did not run: skipped with it\.skip.*skipByPolicy/);
    expectFailed(
      checkOf(test({ state: 'skipped', note: 'flaky' })),
      /^did not run: skipped with ctx\.skip\("flaky"\), not by the harness's policy/,
    );
    expectFailed(checkOf(test({ state: 'skipped', mode: 'todo' })), /^did not run: it\.todo/);
    expectFailed(checkOf(test({ state: 'pending' })), /^did not run: vitest left it pending/);
  });

  it('a skip marked as policy but on a test that failed stays failed; an empty policy reason is no policy', () => {
    expect(checkOf(test({ state: 'failed', errors: ['boom'], meta: { policySkip: 'x' } })).status).toBe('failed');
    expect(checkOf(test({ state: 'skipped', meta: { policySkip: '  ' } })).status).toBe('failed');
  });

  it('a passed test marked inconclusive is inconclusive with its reason; a failed one stays failed', () => {
    expect(checkOf(test({ meta: { inconclusive: 'machine too busy' } }))).toMatchObject({
      status: 'inconclusive',
      reason: 'machine too busy',
    });
    expect(checkOf(test({ state: 'failed', errors: ['p99 over SLO'], meta: { inconclusive: 'x' } })).status).toBe('failed');
  });

  it('keeps valid findings from the meta and drops malformed ones', () => {
    const c = checkOf(test({ meta: { findings: [{ severity: 'info', title: 'ok' }, { severity: 'bogus' }] } }));
    expect(c.findings).toEqual([{ severity: 'info', title: 'ok' }]);
  });
});

describe('settleSuite: a suite with no passed check is not a pass', () => {
  it('zero checks → failed, "no checks ran"', () => {
    expect(settleSuite(suite([]))).toMatchObject({ status: 'failed', errors: [NO_CHECKS] });
    expect(NO_CHECKS).toMatch(/^no checks ran/);
  });

  it('an import error (no checks) → failed with that error first', () => {
    expect(settleSuite(suite([], ['Error: cannot load']))).toMatchObject({ status: 'failed', errors: ['Error: cannot load', NO_CHECKS] });
  });

  it('a describe-level hook error fails the suite even when every check passed', () => {
    expect(settleSuite(suite([check('passed')], ["describe 'x': boom"])).status).toBe('failed');
  });

  it('every check policy-skipped → skipped with the reasons, not passed', () => {
    const s = settleSuite(suite([check('skipped', 'a'), check('skipped', 'b'), check('skipped', 'a')]));
    expect(s).toMatchObject({ status: 'skipped', skip_reason: 'a; b' });
  });

  it('passed + policy-skipped → passed; inconclusive and no failure → inconclusive; any failure → failed', () => {
    expect(settleSuite(suite([check('passed'), check('skipped', 'a')])).status).toBe('passed');
    expect(settleSuite(suite([check('passed'), check('inconclusive', 'noisy')])).status).toBe('inconclusive');
    expect(settleSuite(suite([check('inconclusive', 'noisy'), check('failed')])).status).toBe('failed');
    expect(settleSuite(suite([check('skipped', 'a'), check('inconclusive', 'n')])).status).toBe('inconclusive');
  });
});

describe('planSuites: every gate suite is either run or skipped with a reason', () => {
  it('owned cluster: all run', () => {
    expect(planSuites(true)).toEqual({ run: GATE_SUITES.map((s) => s.name), skipped: new Map() });
  });

  it('external target without --allow-destructive: quota and blast-radius skipped with the reason the gate logs', () => {
    const p = planSuites(false);
    for (const destructive of ['quota', 'blast-radius']) {
      expect(p.run).not.toContain(destructive);
      expect(p.skipped.get(destructive)).toMatch(/changes the cluster; pass --allow-destructive/);
    }
    expect(p.run).toEqual(['config', 'isolation', 'sharding', 'ttl', 'perf']);
  });

  it('--suites: the others are skipped as not selected; unknown names are a harness error', () => {
    const p = planSuites(true, ['config']);
    expect(p.run).toEqual(['config']);
    expect(p.skipped.get('perf')).toBe('not selected (--suites config)');
    expect(() => assertGateSuites(['config', 'confg'])).toThrow(/unknown suite\(s\): confg/);
    expect(() => assertGateSuites([])).toThrow(/names no suite/);
  });
});
