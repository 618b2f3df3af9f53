/**
 * Rank statistics for `compare`, hand-written: simple-statistics has `wilcoxonRankSum` (the rank sum only: no tie
 * correction, no p-value) and `cumulativeStdNormalProbability` (a table at 0.01 steps of z), not enough for a
 * p-value near alpha = 0.01; what is missing is small.
 */

/** Φ(z), the standard normal CDF, from erfc (W. J. Cody's rational Chebyshev fit via Numerical Recipes' erfcc: |ε| < 1.2e-7). */
export function normalCdf(z: number): number {
  return 1 - 0.5 * erfc(z / Math.SQRT2);
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export interface MannWhitney {
  /** U of the first sample (`x`): the number of (x, y) pairs with x > y, ties counting ½. */
  u: number;
  /** One-sided p-values, tie-corrected normal approximation with continuity correction (R's wilcox.test(exact = FALSE)). */
  pGreater: number;
  pLess: number;
}

/**
 * Mann-Whitney U test of x against y. `pGreater` tests "x tends to be larger than y", `pLess` the opposite.
 * Normal approximation: mean n₁n₂/2, variance n₁n₂/12 · ((N+1) − Σ(t³−t)/(N(N−1))) over tie groups of size t.
 * With no variation at all (every value equal) both p-values are 1.
 */
export function mannWhitney(x: readonly number[], y: readonly number[]): MannWhitney {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return { u: 0, pGreater: 1, pLess: 1 };
  const all = [...x.map((v) => ({ v, fromX: true })), ...y.map((v) => ({ v, fromX: false }))].sort((a, b) => a.v - b.v);
  const n = all.length;
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && all[j + 1]?.v === all[i]?.v) j++;
    const t = j - i + 1;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (all[k]?.fromX) rankSumX += rank;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const u = rankSumX - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(variance > 0)) return { u, pGreater: 1, pLess: 1 };
  const sd = Math.sqrt(variance);
  return {
    u,
    pGreater: 1 - normalCdf((u - mean - 0.5) / sd),
    pLess: normalCdf((u - mean + 0.5) / sd),
  };
}

/**
 * One-sided two-proportion z-test (pooled): p-value of "rate 1 (e1/n1) is higher than rate 2 (e2/n2)".
 * 1 when either side has no trials or nothing varies (no errors on either side).
 */
export function twoProportionGreater(e1: number, n1: number, e2: number, n2: number): number {
  if (n1 <= 0 || n2 <= 0) return 1;
  const pooled = (e1 + e2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (!(se > 0)) return 1;
  return 1 - normalCdf((e1 / n1 - e2 / n2) / se);
}
