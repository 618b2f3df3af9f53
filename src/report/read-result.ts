import { readFileSync } from 'node:fs';
import { HarnessError } from '../errors.js';
import { schemaProblems } from '../read-yaml.js';
import { RESULT_SCHEMA_VERSION, resultSchema, type ResultDocument } from './result.js';

/** The fix for any bad result.json: what the harness reads, and where one comes from. */
const FIX = `pass a result.json that a gate of this harness wrote (schema cache-harness.result, version ${RESULT_SCHEMA_VERSION})`;

/**
 * Read and validate a stored result document (a gate's result.json). Anything wrong is a HarnessError
 * (exit 2) naming the file and the problem: unreadable, not JSON, not a result document, another schema
 * version, or the fields that do not match the schema.
 */
export function readResultFile(path: string): ResultDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HarnessError(`cannot read ${path}: ${(err as Error).message}`, FIX);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new HarnessError(`${path} is not JSON: ${(err as Error).message}`, FIX);
  }
  const head = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  if (head.schema !== 'cache-harness.result')
    throw new HarnessError(`${path} is not a cache-harness result document (schema ${JSON.stringify(head.schema) ?? 'missing'})`, FIX);
  if (head.schema_version !== RESULT_SCHEMA_VERSION)
    throw new HarnessError(
      `${path} has result schema version ${JSON.stringify(head.schema_version) ?? 'missing'}; this harness reads version ${RESULT_SCHEMA_VERSION}`,
      `${FIX}, or read it with the harness version that wrote it`,
    );
  const res = resultSchema.safeParse(raw);
  if (!res.success) {
    const problems = schemaProblems(res.error);
    const shown = problems.slice(0, 5).map((p) => `  ${p}`);
    if (problems.length > 5) shown.push(`  … and ${problems.length - 5} more`);
    throw new HarnessError(`${path}: invalid result document\n${shown.join('\n')}`, FIX);
  }
  return res.data;
}
