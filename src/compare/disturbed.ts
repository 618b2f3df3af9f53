import type { ComparisonResult } from '../report/comparison-schema.js';
import type { BenchResult } from '../report/index.js';

/**
 * A bench whose measurement was disturbed (src/bench quality: other load, steal, forks, generator lag) in either
 * run cannot decide a comparison either way: a regression in it cannot be told from the disturbance, and the
 * disturbance can hide one (a slowed baseline, or the generator's lateness raising the latency floors). Every row
 * of such a bench says so, and the comparison is inconclusive — not failed, and never passed — as an SLO breach
 * on a disturbed machine is.
 */
export const DISTURBED_NOTE = 'measurement disturbed';

export function markDisturbed(
  rows: ComparisonResult['rows'],
  baseline: readonly BenchResult[],
  current: readonly BenchResult[],
): ComparisonResult['rows'] {
  const why = (side: string, benches: readonly BenchResult[], name: string) => {
    const q = benches.find((b) => b.name === name)?.quality;
    return q?.disturbed ? [`${side}: ${q.reasons.join('; ')}`] : [];
  };
  return rows.map((r) => {
    const reasons = [...why('baseline', baseline, r.bench), ...why('current', current, r.bench)];
    if (reasons.length === 0) return r;
    const note = `${DISTURBED_NOTE} (${reasons.join(' / ')}): inconclusive`;
    return { ...r, note: r.note ? `${r.note}; ${note}` : note };
  });
}

/** A row's note split into what it says apart from the disturbance (appended last by markDisturbed) and that. */
export function splitDisturbance(note: string | undefined): { rest: string; disturbed: string | undefined } {
  const text = note ?? '';
  const at = text.indexOf(DISTURBED_NOTE);
  if (at < 0) return { rest: text, disturbed: undefined };
  return { rest: text.slice(0, at).replace(/;\s*$/, ''), disturbed: text.slice(at) };
}

/**
 * What the rows say as a whole: 'regression' when a regression was measured on undisturbed runs; 'inconclusive'
 * when none was but some bench's measurement was disturbed; 'none' otherwise.
 */
export function comparisonVerdict(rows: ComparisonResult['rows']): 'regression' | 'inconclusive' | 'none' {
  const disturbed = (r: ComparisonResult['rows'][number]) => r.note?.includes(DISTURBED_NOTE) === true;
  if (rows.some((r) => r.verdict === 'regression' && !disturbed(r))) return 'regression';
  return rows.some(disturbed) ? 'inconclusive' : 'none';
}
