import { join, relative } from 'node:path';
import type { SerializedError, TestCase, TestModule, TestSuite } from 'vitest/node';
import { startVitest } from 'vitest/node';
import type { SuiteResult } from '../report/index.js';
import { PROJECT_ROOT } from '../paths.js';
import { checkOf, settleSuite, type ObservedTest } from './outcome.js';

export interface RunSuitesOptions {
  suites: readonly string[];
  /** Environment for the suite workers (target, spec path). */
  env: Record<string, string>;
  log: (line: string) => void;
  timeoutMs?: number;
  /** Project root vitest runs in (default: this project). */
  root?: string;
  /** Where suite directories live, relative to root (default `suites`): suites/<name>/*.test.ts. */
  suitesDir?: string;
}

/** Run vitest conformance suites (suites/<name>/*.test.ts) against the live target and collect one result per suite. */
export async function runSuites(opts: RunSuitesOptions): Promise<SuiteResult[]> {
  const root = opts.root ?? PROJECT_ROOT;
  const suitesDir = opts.suitesDir ?? 'suites';
  const nameOf = (m: TestModule) => suiteNameOf(join(root, suitesDir), m.moduleId);
  const reporter = {
    onTestCaseResult(tc: TestCase) {
      const c = checkOf(observe(tc));
      const mark = c.status === 'passed' ? '✔' : c.status === 'failed' ? '✘' : c.status === 'inconclusive' ? '?' : '–';
      opts.log(
        `  ${mark} ${nameOf(tc.module)} › ${tc.fullName} (${Math.round(c.duration_ms)} ms)${c.reason ? ` [${c.status}: ${c.reason}]` : ''}`,
      );
    },
    onTestModuleEnd(m: TestModule) {
      for (const e of suiteErrors(m)) opts.log(`  ✘ ${nameOf(m)} › ${firstLine(e)}`);
    },
  };
  const vitest = await startVitest('test', [], {
    root,
    config: false,
    watch: false,
    include: opts.suites.map((s) => `${suitesDir}/${s}/**/*.test.ts`),
    env: opts.env,
    reporters: [reporter],
    testTimeout: opts.timeoutMs ?? 120_000,
    hookTimeout: opts.timeoutMs ?? 120_000,
    fileParallelism: false,
    pool: 'forks',
    passWithNoTests: false,
  });
  try {
    const results = new Map<string, SuiteResult>();
    for (const m of vitest.state.getTestModules()) {
      const name = nameOf(m);
      const suite = results.get(name) ?? { name, status: 'passed', duration_ms: 0, checks: [], errors: [] };
      suite.duration_ms += m.diagnostic().duration;
      for (const tc of m.children.allTests()) suite.checks.push(checkOf(observe(tc)));
      suite.errors.push(...suiteErrors(m));
      results.set(name, suite);
    }
    for (const name of opts.suites) {
      if (!results.has(name))
        results.set(name, {
          name,
          status: 'failed',
          duration_ms: 0,
          checks: [],
          errors: [`no test file found under ${suitesDir}/${name}/`],
        });
    }
    attachUnhandled(vitest.state.getUnhandledErrors(), results, (path) => suiteNameOf(join(root, suitesDir), path));
    return opts.suites.flatMap((n) => {
      const s = results.get(n);
      return s ? [settleSuite(s)] : [];
    });
  } finally {
    await vitest.close();
  }
}

/** The suite directory a test file belongs to: <suitesRoot>/<name>/... */
function suiteNameOf(suitesRoot: string, moduleId: string): string {
  const rel = relative(suitesRoot, moduleId);
  return rel.split(/[\\/]/)[0] ?? rel;
}

/** What vitest knows of one test, including the enclosing describe (or file) whose beforeAll kept it from running. */
function observe(tc: TestCase): ObservedTest {
  const r = tc.result();
  return {
    id: `${tc.module.relativeModuleId}#${tc.fullName}`,
    name: tc.fullName,
    state: r.state,
    mode: tc.options.mode,
    note: r.state === 'skipped' ? r.note : undefined,
    errors: r.state === 'failed' ? r.errors.map((e) => e.message) : [],
    meta: tc.meta(),
    duration_ms: tc.diagnostic()?.duration ?? 0,
    blockedBy: blockedBy(tc),
  };
}

function blockedBy(tc: TestCase): ObservedTest['blockedBy'] {
  for (let p: TestSuite | TestModule = tc.parent; ; p = p.parent) {
    const e = p.errors()[0];
    if (e) return { where: p.type === 'module' ? `the file ${p.relativeModuleId}` : `describe '${p.fullName}'`, error: e.message };
    if (p.type === 'module') return undefined;
  }
}

/** Errors outside any test: the file's (import, top-level hooks) and every describe's (its hooks). */
function suiteErrors(m: TestModule): string[] {
  const out = m.errors().map(errorText);
  for (const s of m.children.allSuites())
    out.push(...s.errors().map((e) => `describe '${s.fullName}' (${m.relativeModuleId}): ${errorText(e)}`));
  return out;
}

/**
 * Uncaught exceptions and unhandled rejections fail the run in vitest; here they fail the suite whose file
 * raised them, or every suite when vitest cannot say which file did.
 */
function attachUnhandled(errors: unknown[], results: Map<string, SuiteResult>, nameOfPath: (path: string) => string): void {
  for (const raw of errors) {
    const e = raw as SerializedError & { VITEST_TEST_PATH?: string };
    const text = `unhandled error: ${errorText(e)}`;
    const owner = e.VITEST_TEST_PATH ? results.get(nameOfPath(e.VITEST_TEST_PATH)) : undefined;
    for (const s of owner ? [owner] : results.values()) s.errors.push(text);
  }
}

function errorText(e: SerializedError): string {
  return e.stack ?? e.message;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
