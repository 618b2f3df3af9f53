// Pure mapping from what vitest observed to check and suite results. The gate fails closed: a check
// passes only if its test passed; it is `skipped` only if the harness's policy skipped it
// (suites/support/outcome.ts `skipByPolicy`); every other test that did not pass is `failed`, saying why.
import { findingSchema, type CheckResult, type Finding, type SuiteResult } from '../report/index.js';

/** One vitest test case as the runner saw it, free of vitest's classes so the mapping is unit-testable. */
export interface ObservedTest {
  id: string;
  name: string;
  state: 'passed' | 'failed' | 'skipped' | 'pending';
  mode: 'run' | 'only' | 'skip' | 'todo';
  /** The note of `ctx.skip(note)`. */
  note?: string | undefined;
  /** Messages of the errors a failed test threw. */
  errors: string[];
  meta: object;
  duration_ms: number;
  /** The nearest enclosing describe (or the file) whose hook failed: `{ where: "describe 'x'", error }`. */
  blockedBy?: { where: string; error: string } | undefined;
}

export function checkOf(t: ObservedTest): CheckResult {
  const base = { id: t.id, name: t.name, duration_ms: t.duration_ms, findings: findingsOf(t.meta) };
  const meta = t.meta as { policySkip?: unknown; inconclusive?: unknown };
  if (t.state === 'passed') {
    const inconclusive = nonEmpty(meta.inconclusive);
    return inconclusive ? { ...base, status: 'inconclusive', reason: inconclusive } : { ...base, status: 'passed' };
  }
  if (t.state === 'failed') return { ...base, status: 'failed', failure: t.errors.join('\n') || 'failed (no error message)' };
  const policy = nonEmpty(meta.policySkip);
  if (t.state === 'skipped' && policy) return { ...base, status: 'skipped', reason: policy };
  return { ...base, status: 'failed', failure: whyNotRun(t) };
}

/** The failure text of a test that never ran and was not skipped by policy. */
export function whyNotRun(t: ObservedTest): string {
  if (t.mode === 'todo') return 'did not run: it.todo — an unwritten check is not a pass';
  if (t.mode === 'skip')
    return "did not run: skipped with it.skip/describe.skip, not by the harness's policy (use skipByPolicy(ctx, reason))";
  if (t.blockedBy) return `did not run: beforeAll in ${t.blockedBy.where} failed: ${t.blockedBy.error}`;
  if (t.state === 'skipped') {
    return t.note
      ? `did not run: skipped with ctx.skip(${JSON.stringify(t.note)}), not by the harness's policy (use skipByPolicy(ctx, reason))`
      : "did not run: skipped (ctx.skip() or .only elsewhere), not by the harness's policy";
  }
  return 'did not run: vitest left it pending (the run stopped before it)';
}

export const NO_CHECKS = 'no checks ran: the suite defines no test, or none could be collected';

/** Status (and skip reason) of a suite from its checks and suite-level errors; a suite with no check at all gets an error. */
export function settleSuite(s: SuiteResult): SuiteResult {
  const errors = s.checks.length === 0 ? [...s.errors, NO_CHECKS] : s.errors;
  const { skip_reason: _old, ...rest } = s;
  const settled: SuiteResult = { ...rest, errors, status: suiteStatus(s.checks, errors) };
  if (settled.status === 'skipped') settled.skip_reason = [...new Set(s.checks.map((c) => c.reason ?? 'skipped by policy'))].join('; ');
  return settled;
}

function suiteStatus(checks: CheckResult[], errors: string[]): SuiteResult['status'] {
  if (errors.length > 0 || checks.some((c) => c.status === 'failed')) return 'failed';
  if (checks.every((c) => c.status === 'skipped')) return 'skipped';
  if (checks.some((c) => c.status === 'inconclusive')) return 'inconclusive';
  return 'passed';
}

/** Suites put findings on `task.meta.findings` (see suites/support/findings.ts); validate what crosses the worker boundary. */
function findingsOf(meta: object): Finding[] {
  const raw = (meta as { findings?: unknown }).findings;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((f) => {
    const p = findingSchema.safeParse(f);
    return p.success ? [p.data] : [];
  });
}

function nonEmpty(x: unknown): string | undefined {
  return typeof x === 'string' && x.trim() !== '' ? x : undefined;
}
