import { z } from 'zod';
import { EXIT } from '../errors.js';
import { comparisonResultSchema } from './comparison-schema.js';
import { benchResultSchema } from './perf-schema.js';

/** Bump on any breaking change to the document's keys; readers check it. */
export const RESULT_SCHEMA_VERSION = 2; // 2: `inconclusive` statuses/verdict, exit code 3, `reason`, `skip_reason`

export const findingSchema = z.object({
  severity: z.enum(['info', 'warning', 'error']),
  title: z.string(),
  detail: z.string().optional(),
  /** Structured evidence (drift rows, counts...), rendered as a table when it is an array of flat objects. */
  data: z.unknown().optional(),
});
export type Finding = z.infer<typeof findingSchema>;

export const checkResultSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** `skipped` only for a skip the harness's policy made (skipByPolicy); any other check that did not pass is `failed`. */
  status: z.enum(['passed', 'failed', 'skipped', 'inconclusive']),
  duration_ms: z.number(),
  failure: z.string().optional(),
  /** Why the check was skipped by policy, or why its measurement is inconclusive. */
  reason: z.string().optional(),
  findings: z.array(findingSchema),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

export const suiteResultSchema = z.object({
  name: z.string(),
  /** `skipped`: not run by policy, or every check skipped by policy — never counted as passed. */
  status: z.enum(['passed', 'failed', 'skipped', 'inconclusive']),
  duration_ms: z.number(),
  checks: z.array(checkResultSchema),
  /** Errors outside any check: a suite file that failed to load, a describe-level hook, no checks at all... */
  errors: z.array(z.string()),
  /** Why the suite was skipped (set with status `skipped`). */
  skip_reason: z.string().optional(),
});
export type SuiteResult = z.infer<typeof suiteResultSchema>;

export const resultSchema = z.object({
  schema: z.literal('cache-harness.result'),
  schema_version: z.literal(RESULT_SCHEMA_VERSION),
  run_id: z.string(),
  harness_version: z.string(),
  started_at: z.string(),
  finished_at: z.string(),
  duration_ms: z.number(),
  verdict: z.enum(['pass', 'fail', 'error', 'inconclusive']),
  exit_code: z.literal([EXIT.pass, EXIT.fail, EXIT.harness, EXIT.inconclusive]),
  spec: z.object({ name: z.string(), path: z.string() }),
  target: z.object({
    backend: z.string(),
    redis_version: z.string().optional(),
    nodes: z.array(z.object({ name: z.string().optional(), address: z.string(), role: z.string() })),
  }),
  timings_ms: z.record(z.string(), z.number()),
  suites: z.array(suiteResultSchema),
  /** Benchmark runs (the perf suite), first-class so reports and compares read histograms, not findings. */
  benches: z.array(benchResultSchema).optional(),
  /** A baseline run held against this one (`gate --baseline`, `compare`). */
  comparison: comparisonResultSchema.optional(),
  errors: z.array(z.string()),
});
export type ResultDocument = z.infer<typeof resultSchema>;

/**
 * Verdict and exit code, failing closed: 2 on a harness or suite-level error; 1 on any failed check or
 * suite, or when nothing was checked at all (every suite skipped); 3 when something could not be judged; else 0.
 */
export function verdictOf(suites: SuiteResult[], errors: string[]): Pick<ResultDocument, 'verdict' | 'exit_code'> {
  if (errors.length > 0 || suites.some((s) => s.errors.length > 0)) return { verdict: 'error', exit_code: EXIT.harness };
  if (suites.some((s) => s.status === 'failed' || s.checks.some((c) => c.status === 'failed')))
    return { verdict: 'fail', exit_code: EXIT.fail };
  if (suites.every((s) => s.status === 'skipped')) return { verdict: 'fail', exit_code: EXIT.fail };
  if (suites.some((s) => s.status === 'inconclusive' || s.checks.some((c) => c.status === 'inconclusive')))
    return { verdict: 'inconclusive', exit_code: EXIT.inconclusive };
  return { verdict: 'pass', exit_code: EXIT.pass };
}

/** A suite the gate did not run, with the reason it logs. */
export function skippedSuite(name: string, reason: string): SuiteResult {
  return { name, status: 'skipped', duration_ms: 0, checks: [], errors: [], skip_reason: reason };
}
