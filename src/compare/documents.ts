import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { HarnessError } from '../errors.js';
import { schemaProblems } from '../read-yaml.js';
import { benchResultSchema, type BenchResult } from '../report/perf-schema.js';
import { readResultFile } from '../report/read-result.js';
import { RESULT_SCHEMA_VERSION } from '../report/result.js';

/** What `bench --json` writes (src/commands/bench.ts `BenchFile`): the same bench entries as a result document's `benches`. */
const benchFileSchema = z.object({
  schema: z.literal('cache-harness.bench'),
  schema_version: z.literal(1),
  benches: z.array(benchResultSchema),
  micro: z.unknown().optional(),
});

/** One side of a comparison: its benches, and what names the run. */
export interface ComparedDocument {
  path: string;
  kind: 'result' | 'bench';
  run_id?: string;
  started_at?: string;
  benches: BenchResult[];
}

const FIX = `pass a gate result.json (schema cache-harness.result, version ${RESULT_SCHEMA_VERSION}) or a \`bench --json\` file (schema cache-harness.bench, version 1)`;

/** Read either document a comparison takes; anything else is a HarnessError (exit 2) naming the file and the problem. */
export function readComparedDocument(path: string): ComparedDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new HarnessError(`cannot read ${path}: ${(err as Error).message}`, FIX);
  }
  const head = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  if (head.schema === 'cache-harness.result') {
    const doc = readResultFile(path);
    return { path, kind: 'result', run_id: doc.run_id, started_at: doc.started_at, benches: doc.benches ?? [] };
  }
  if (head.schema !== 'cache-harness.bench')
    throw new HarnessError(
      `${path} is not a cache-harness result or bench document (schema ${JSON.stringify(head.schema) ?? 'missing'})`,
      FIX,
    );
  if (head.schema_version !== 1)
    throw new HarnessError(
      `${path} has bench schema version ${JSON.stringify(head.schema_version) ?? 'missing'}; this harness reads version 1`,
      `${FIX}, or compare with the harness version that wrote it`,
    );
  const res = benchFileSchema.safeParse(raw);
  if (!res.success) {
    const problems = schemaProblems(res.error);
    const shown = problems.slice(0, 5).map((p) => `  ${p}`);
    if (problems.length > 5) shown.push(`  … and ${problems.length - 5} more`);
    throw new HarnessError(`${path}: invalid bench document\n${shown.join('\n')}`, FIX);
  }
  return { path, kind: 'bench', started_at: res.data.benches[0]?.started_at, benches: res.data.benches };
}
