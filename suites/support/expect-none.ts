import { expect } from 'vitest';

/** Assert a list of problems is empty; on failure the message lists every problem, one per line. */
export function expectNone<T>(problems: readonly T[], what: string, format: (p: T) => string): void {
  expect(problems.length === 0, `${problems.length} ${what}:\n${problems.map((p) => `  - ${format(p)}`).join('\n')}\n`).toBe(true);
}
