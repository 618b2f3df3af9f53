import { z } from 'zod';
import { benchResultSchema } from './perf-schema.js';

/** Bump on any breaking change to the document's keys; readers check it. */
export const RESULT_SCHEMA_VERSION = 1;

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
  status: z.enum(['passed', 'failed', 'skipped']),
  duration_ms: z.number(),
  failure: z.string().optional(),
  findings: z.array(findingSchema),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

export const suiteResultSchema = z.object({
  name: z.string(),
  status: z.enum(['passed', 'failed', 'skipped']),
  duration_ms: z.number(),
  checks: z.array(checkResultSchema),
  /** Errors outside any check (a suite file that failed to load...). */
  errors: z.array(z.string()),
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
  verdict: z.enum(['pass', 'fail', 'error']),
  exit_code: z.union([z.literal(0), z.literal(1), z.literal(2)]),
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
  errors: z.array(z.string()),
});
export type ResultDocument = z.infer<typeof resultSchema>;

/** Verdict and exit code from the suites and harness errors: 2 if the harness failed, 1 if a check failed. */
export function verdictOf(suites: SuiteResult[], errors: string[]): Pick<ResultDocument, 'verdict' | 'exit_code'> {
  if (errors.length > 0 || suites.some((s) => s.errors.length > 0)) return { verdict: 'error', exit_code: 2 };
  if (suites.some((s) => s.status === 'failed')) return { verdict: 'fail', exit_code: 1 };
  return { verdict: 'pass', exit_code: 0 };
}
