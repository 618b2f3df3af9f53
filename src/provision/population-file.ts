import { statSync } from 'node:fs';
import { z } from 'zod';
import { HarnessError } from '../errors.js';
import { invalidDocument, readYamlFile } from '../read-yaml.js';
import type { Spec } from '../spec/index.js';
import { TENANT_ID_RULE } from '../tenancy/index.js';
import { validateTenantInputs, type TenantInput } from './input.js';
import { generatePopulation } from './population.js';

/**
 * What one population file may hold, checked before any work. Tenants: every tenant is an ACL user on
 * every node (~360 bytes each in each users.acl, rewritten by every ACL SAVE), so 100,000 tenants are
 * ~36 MB of ACL file per node and ~40 s of provisioning at the ~2,600/s measured (10x the bench's 10,000).
 * Bytes: 100,000 listed tenants in block style with short ids are ~6.3 MB; the YAML parser takes ~0.6 s
 * and ~85 MB of memory per MB (8.4 MB measured: 5.3 s, 0.7 GB), so 8 MiB keeps a mistaken file cheap.
 * Bigger populations: `generate:`, or several files (provision leaves existing tenants as they are).
 */
export const POPULATION_LIMITS = { bytes: 8 * 1024 * 1024, tenants: 100_000 } as const;

const LIMIT_FIX =
  'use `generate:` for a large synthetic population, or split the file and run `provision` once per part ' +
  '(tenants that already exist are left as they are)';
/** Problems listed in one error; the rest are counted. */
const MAX_LISTED = 50;

const unknownPlan = (spec: Spec, plan: string) =>
  `plan ${JSON.stringify(plan)} is not in the spec; known plans: ${Object.keys(spec.plans).join(', ')}`;

const tenantEntry = (spec: Spec) =>
  z.strictObject({
    id: z.string().regex(TENANT_ID_RULE, `tenant id must match ${TENANT_ID_RULE.source}`),
    plan: z.string().refine((p) => Object.hasOwn(spec.plans, p), { error: (iss) => unknownPlan(spec, String(iss.input)) }),
    channel: z.enum(['mobile', 'web']).default('mobile'),
  });

const generated = (spec: Spec) =>
  z.strictObject({
    count: z.number().int().min(1).max(POPULATION_LIMITS.tenants),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]{0,40}$/, 'prefix must be 0-40 letters, digits, "_" or "-"')
      .default('t'),
    planMix: z
      .record(z.string(), z.number().nonnegative())
      .superRefine((mix, ctx) => {
        for (const p of Object.keys(mix))
          if (!Object.hasOwn(spec.plans, p)) ctx.addIssue({ code: 'custom', path: [p], message: unknownPlan(spec, p) });
        if (!Object.values(mix).some((w) => w > 0))
          ctx.addIssue({ code: 'custom', message: 'no plan has a weight above 0: give at least one plan a positive weight' });
      })
      .optional(),
    webPercent: z.number().min(0).max(100).optional(),
  });

/** The population file's schema for a spec (plans are checked against it): listed tenants, generated ones, or both (listed first). */
export const populationFileSchema = (spec: Spec) =>
  z
    .strictObject({
      version: z.literal(1),
      description: z.string().optional(),
      tenants: z
        .array(tenantEntry(spec))
        .max(POPULATION_LIMITS.tenants, `at most ${POPULATION_LIMITS.tenants} tenants per file`)
        .default([]),
      generate: generated(spec).optional(),
    })
    .refine((f) => f.tenants.length > 0 || f.generate !== undefined, { message: 'a population needs `tenants` or `generate`' });
export type PopulationFile = z.output<ReturnType<typeof populationFileSchema>>;

interface Problem {
  path: ReadonlyArray<PropertyKey>;
  message: string;
}

/** Ids listed twice: found in the raw document, so they are reported beside the schema's own problems. */
function duplicateIds(tenants: unknown): Problem[] {
  if (!Array.isArray(tenants)) return [];
  const first = new Map<string, number>();
  const out: Problem[] = [];
  tenants.forEach((t: unknown, i) => {
    const id = (t as { id?: unknown } | null | undefined)?.id;
    if (typeof id !== 'string') return;
    const j = first.get(id);
    if (j === undefined) first.set(id, i);
    else out.push({ path: ['tenants', i, 'id'], message: `tenant id ${JSON.stringify(id)} appears twice (first at tenants.${j})` });
  });
  return out;
}

function overLimit(source: string, listed: number, generated: number): HarnessError {
  return new HarnessError(
    `${source}: ${listed + generated} tenants (${listed} listed + ${generated} generated) is over the limit of ${POPULATION_LIMITS.tenants} per file; nothing was provisioned`,
    LIMIT_FIX,
  );
}

/** Entry problems in entry order (a stable sort: one entry's fields keep the schema's order), then the others. */
const entryIndex = (p: Problem) => {
  const i = p.path.find((x) => typeof x === 'number');
  return typeof i === 'number' ? i : Infinity;
};
const byEntry = (a: Problem, b: Problem) => entryIndex(a) - entryIndex(b) || 0;

const formatProblem = (p: Problem) => `${p.path.length ? p.path.map(String).join('.') : '(root)'}: ${p.message}`;

/**
 * Validate a parsed population against the schema and the spec (ids, plans, channels, duplicates, limits);
 * one exit-2 error lists every problem, each with its entry's index and field.
 */
export function parsePopulation(doc: unknown, spec: Spec, source = 'population'): TenantInput[] {
  const raw = (doc as { tenants?: unknown } | null | undefined)?.tenants;
  if (Array.isArray(raw) && raw.length > POPULATION_LIMITS.tenants) throw overLimit(source, raw.length, 0); // before checking each entry
  const res = populationFileSchema(spec).safeParse(doc);
  const problems: Problem[] = [...(res.success ? [] : res.error.issues), ...duplicateIds(raw)];
  let all: TenantInput[] = [];
  if (res.success) {
    const f = res.data;
    const generated = f.generate?.count ?? 0;
    if (f.tenants.length + generated > POPULATION_LIMITS.tenants) throw overLimit(source, f.tenants.length, generated);
    const listed = new Map(f.tenants.map((t, i) => [t.id, i]));
    const made = f.generate ? generatePopulation({ ...f.generate }) : [];
    for (const g of made) {
      const i = listed.get(g.id);
      if (i !== undefined)
        problems.push({
          path: ['generate'],
          message: `generated id ${JSON.stringify(g.id)} is also listed at tenants.${i}: change the prefix`,
        });
    }
    all = [...f.tenants, ...made];
  }
  if (problems.length > 0) {
    const lines = problems.sort(byEntry).map(formatProblem);
    const listed = lines.slice(0, MAX_LISTED);
    if (lines.length > MAX_LISTED) listed.push(`... and ${lines.length - MAX_LISTED} more`);
    throw invalidDocument(
      source,
      `population (${problems.length} problem(s); nothing was provisioned)`,
      listed,
      'see fixtures/tenants.yaml for a valid file',
    );
  }
  try {
    validateTenantInputs(spec, all); // the same rules as `tenant create`: a second line of defence
  } catch (err) {
    if (err instanceof HarnessError) throw new HarnessError(`${source}: ${err.message}`, err.hint);
    throw err;
  }
  return all;
}

/** Read a population file, refusing one over POPULATION_LIMITS.bytes before reading or parsing it. */
export function loadPopulation(path: string, spec: Spec): TenantInput[] {
  let size: number | undefined;
  try {
    const st = statSync(path);
    if (st.isFile()) size = st.size;
  } catch {
    // readYamlFile names the problem
  }
  if (size !== undefined && size > POPULATION_LIMITS.bytes) {
    throw new HarnessError(
      `${path}: ${(size / 1024 / 1024).toFixed(1)} MiB is over the population file limit of ${POPULATION_LIMITS.bytes / 1024 / 1024} MiB ` +
        `(about ${POPULATION_LIMITS.tenants} tenants); it was not read and nothing was provisioned`,
      LIMIT_FIX,
    );
  }
  return parsePopulation(readYamlFile(path, 'population file', 'pass an existing file with --from'), spec, path);
}
