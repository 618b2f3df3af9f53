import type { BenchResult } from '../report/index.js';

/** What one perf measurement says: its SLO held, broke on a clean measurement, or broke while disturbed. */
export type AttemptVerdict = 'pass' | 'fail' | 'disturbed-breach';
/** The check's verdict after its attempts. */
export type PerfVerdict = 'pass' | 'fail' | 'inconclusive';

/** SLO breaches of one run, in words (with where the limit comes from). */
export function sloBreaches(r: BenchResult): string[] {
  return r.slo.filter((s) => s.status === 'fail').map((s) => `${s.channel}: ${s.detail} (limits from spec slo.${s.channel})`);
}

/**
 * One attempt. Errors fail whatever the machine did (a disturbed machine slows Redis, it does not make
 * it answer wrongly). A breach counts only if nothing disturbed the measurement; a breach measured on a
 * busy machine says nothing about the cluster, so it is measured again.
 */
export function judgeAttempt(r: BenchResult): AttemptVerdict {
  if (r.totals.errors > 0 || r.totals.completed === 0) return 'fail';
  if (sloBreaches(r).length === 0) return 'pass';
  return r.quality?.disturbed ? 'disturbed-breach' : 'fail';
}

/** Whether to measure again: only a disturbed breach, within the spec's perf.retries. */
export function shouldRetry(attempts: readonly BenchResult[], retries: number): boolean {
  const last = attempts.at(-1);
  return last !== undefined && judgeAttempt(last) === 'disturbed-breach' && attempts.length <= retries;
}

/** The check's verdict: the last attempt's, a breach that stayed disturbed being inconclusive (never a pass, never a fail). */
export function perfVerdict(attempts: readonly BenchResult[]): PerfVerdict {
  const last = attempts.at(-1);
  if (!last) return 'fail';
  const v = judgeAttempt(last);
  return v === 'disturbed-breach' ? 'inconclusive' : v;
}
