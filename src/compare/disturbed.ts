import type { ComparisonResult } from '../report/comparison-schema.js';
import type { BenchResult } from '../report/index.js';

/**
 * A regression in a bench whose measurement was disturbed (src/bench quality: other load, steal, forks, generator
 * lag) in either run cannot be told from the disturbance: its row says so, and it makes the gate inconclusive,
 * not failed — as an SLO breach on a disturbed machine does.
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
    if (r.verdict !== 'regression') return r;
    const reasons = [...why('baseline', baseline, r.bench), ...why('current', current, r.bench)];
    if (reasons.length === 0) return r;
    const note = `${DISTURBED_NOTE} (${reasons.join(' / ')}): inconclusive, not a fail`;
    return { ...r, note: r.note ? `${r.note}; ${note}` : note };
  });
}

/**
 * What the rows say as a whole: 'regression' when a regression was measured on undisturbed runs, 'inconclusive'
 * when every regression is in a disturbed measurement, 'none' otherwise.
 */
export function comparisonVerdict(rows: ComparisonResult['rows']): 'regression' | 'inconclusive' | 'none' {
  const regressions = rows.filter((r) => r.verdict === 'regression');
  if (regressions.length === 0) return 'none';
  return regressions.some((r) => !r.note?.includes(DISTURBED_NOTE)) ? 'regression' : 'inconclusive';
}
