import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { HarnessError } from './errors.js';

/**
 * The one reader of YAML input files (spec, workload, population...), and the one shape of their errors:
 * a HarnessError (exit 2) that names the file, says what is wrong, and carries the fix as its hint.
 */

/** Read and parse a YAML file; an unreadable file or bad YAML is a HarnessError naming the file. */
export function readYamlFile(path: string, what = 'YAML file', missingHint = 'pass an existing, readable file'): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HarnessError(`cannot read ${what} ${path}: ${(err as Error).message}`, missingHint);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new HarnessError(`${path}: not valid YAML: ${err instanceof YAMLParseError ? err.message : String(err)}`, 'fix the YAML syntax');
  }
}

/** A schema's issues as "path: message" lines ("(root)" for the document itself). */
export function schemaProblems(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/** "<source>: invalid <what>", then one indented line per problem; `fix` is the hint. */
export function invalidDocument(source: string, what: string, problems: readonly string[], fix: string): HarnessError {
  return new HarnessError(`${source}: invalid ${what}\n${problems.map((p) => `  ${p}`).join('\n')}`, fix);
}
