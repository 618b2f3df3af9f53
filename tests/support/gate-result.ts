import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { resultSchema, type ResultDocument } from '../../src/report/result.js';

/**
 * The result document a gate run wrote (its path is on stdout as `json: <path>`), parsed with the product's own
 * schema, so a test reads exactly what a user of the JSON gets. Fails the test, with the run's output, when there
 * is none.
 */
export function gateResult(run: { stdout: string; stderr: string }): ResultDocument {
  const path = /json:\s+(\S+)/.exec(run.stdout)?.[1] ?? '';
  expect(path, run.stderr + run.stdout).not.toBe('');
  return resultSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

/** Each suite as [name, 'ran' | its skip reason]: what `--suites` selected, in gate order. */
export function suitesRun(doc: ResultDocument): Array<[string, string | undefined]> {
  return doc.suites.map((s) => [s.name, s.status === 'skipped' ? s.skip_reason : 'ran']);
}
