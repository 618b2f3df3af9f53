/** Exit codes a CI job gates on. */
/** Exit codes: 3 = inconclusive (nothing failed, but a measurement could not be judged: see the result document). */
export const EXIT = { pass: 0, fail: 1, harness: 2, inconclusive: 3 } as const;

/**
 * The harness could not do its job (bad input, missing binary, port in use...).
 * Always exit 2; `hint` tells the user what to do about it.
 */
export class HarnessError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'HarnessError';
  }
}

/** One line (or a few) for a terminal: the problem, then the fix. */
export function describeError(err: unknown): string {
  if (err instanceof HarnessError) return err.hint ? `${err.message}\n  fix: ${err.hint}` : err.message;
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}
