/**
 * How a duration reads, in the terminal and the HTML report alike. Latencies are µs in the result
 * document; a reader sees 3 significant digits in the unit that fits.
 */

/** µs → "850 µs", "1.23 ms", "12.3 ms", "123 ms" (whole µs below 1 ms, 3 significant digits above). */
export function formatUs(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  const ms = us / 1000;
  return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/** ms → "2.5 s": wall-clock spans (runs, warm-ups, suites), one decimal unless told otherwise. */
export function formatSeconds(ms: number, decimals = 1): string {
  return `${(ms / 1000).toFixed(decimals)} s`;
}
