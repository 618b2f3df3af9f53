import { redact } from './redact.js';
import { TenancyError } from './tenancy/errors.js';

/** Exit codes a CI job gates on: 3 = inconclusive (nothing failed, but a measurement could not be judged). */
export const EXIT = { pass: 0, fail: 1, harness: 2, inconclusive: 3 } as const;

const EXIT_MEANING: Record<keyof typeof EXIT, string> = {
  pass: 'every check passed',
  fail: 'a check or suite failed (a check that did not run fails)',
  harness: 'the harness could not run (bad input, a missing tool, a suite error)',
  inconclusive: 'nothing failed, but a measurement could not be judged',
};

/** "Exit codes: 0 every check passed, 1 ...": the one wording of --help (and the README's table says the same). */
export const EXIT_CODES_HELP = `Exit codes: ${(Object.keys(EXIT) as Array<keyof typeof EXIT>).map((k) => `${EXIT[k]} ${EXIT_MEANING[k]}`).join(', ')}.`;

/**
 * The harness could not do its job (bad input, missing binary, port in use...).
 * Always exit 2; `hint` tells the user what to do about it.
 */
export class HarnessError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'HarnessError';
  }
}

/** One line (or a few) for a terminal: the problem, then the fix. */
export function describeError(err: unknown): string {
  // Everything shown to a person (terminal, log, result document) passes here: secrets never leave.
  return redact(rawDescription(err));
}

function rawDescription(err: unknown): string {
  if (err instanceof HarnessError) return err.hint ? `${err.message}\n  fix: ${err.hint}` : err.message;
  // A tenancy rule the input broke (bad id, missing or invalid meta): the message says it all, no stack.
  if (err instanceof TenancyError) return `${err.name}: ${err.message}`;
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}

/** The message of anything thrown: an Error's message, else its string form. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
