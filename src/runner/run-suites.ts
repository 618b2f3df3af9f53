import { relative } from 'node:path';
import type { TestCase, TestModule } from 'vitest/node';
import { startVitest } from 'vitest/node';
import { findingSchema, type CheckResult, type Finding, type SuiteResult } from '../report/index.js';
import { PROJECT_ROOT } from '../paths.js';

export interface RunSuitesOptions {
  suites: readonly string[];
  /** Environment for the suite workers (target, spec path). */
  env: Record<string, string>;
  log: (line: string) => void;
  timeoutMs?: number;
}

/** Run vitest conformance suites (suites/<name>/*.test.ts) against the live target and collect one result per suite. */
export async function runSuites(opts: RunSuitesOptions): Promise<SuiteResult[]> {
  const started = new Map<string, number>();
  const reporter = {
    onTestModuleStart(m: TestModule) {
      started.set(suiteNameOf(m), Date.now());
    },
    onTestCaseResult(tc: TestCase) {
      const r = tc.result();
      const mark = r.state === 'passed' ? '✔' : r.state === 'failed' ? '✘' : '–';
      opts.log(`  ${mark} ${suiteNameOf(tc.module)} › ${tc.fullName} (${Math.round(tc.diagnostic()?.duration ?? 0)} ms)`);
    },
  };
  const vitest = await startVitest('test', [], {
    root: PROJECT_ROOT,
    config: false,
    watch: false,
    include: opts.suites.map((s) => `suites/${s}/**/*.test.ts`),
    env: opts.env,
    reporters: [reporter],
    testTimeout: opts.timeoutMs ?? 120_000,
    hookTimeout: opts.timeoutMs ?? 120_000,
    fileParallelism: false,
    pool: 'forks',
    passWithNoTests: false,
  });
  try {
    const modules = vitest.state.getTestModules();
    const results = new Map<string, SuiteResult>();
    for (const m of modules) {
      const name = suiteNameOf(m);
      const suite = results.get(name) ?? { name, status: 'passed', duration_ms: 0, checks: [], errors: [] };
      suite.duration_ms += m.diagnostic().duration;
      for (const tc of m.children.allTests()) suite.checks.push(toCheck(tc));
      for (const e of m.errors()) suite.errors.push(e.stack ?? e.message);
      results.set(name, suite);
    }
    for (const name of opts.suites) {
      if (!results.has(name)) results.set(name, { name, status: 'failed', duration_ms: 0, checks: [], errors: [`no test file found under suites/${name}/`] });
    }
    for (const s of results.values()) s.status = suiteStatus(s);
    return opts.suites.map((n) => results.get(n)).filter((s): s is SuiteResult => s !== undefined);
  } finally {
    await vitest.close();
  }
}

function suiteNameOf(m: TestModule): string {
  const rel = relative(PROJECT_ROOT, m.moduleId);
  return rel.split(/[\\/]/)[1] ?? rel;
}

function toCheck(tc: TestCase): CheckResult {
  const r = tc.result();
  const status: CheckResult['status'] = r.state === 'passed' ? 'passed' : r.state === 'failed' ? 'failed' : 'skipped';
  const failure = r.state === 'failed' ? r.errors.map((e) => e.message).join('\n') : undefined;
  return {
    id: `${relative(PROJECT_ROOT, tc.module.moduleId)}#${tc.fullName}`,
    name: tc.fullName,
    status,
    duration_ms: tc.diagnostic()?.duration ?? 0,
    ...(failure !== undefined ? { failure } : {}),
    findings: findingsOf(tc.meta()),
  };
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

function suiteStatus(s: SuiteResult): SuiteResult['status'] {
  if (s.errors.length > 0 || s.checks.some((c) => c.status === 'failed')) return 'failed';
  if (s.checks.length > 0 && s.checks.every((c) => c.status === 'skipped')) return 'skipped';
  return 'passed';
}
