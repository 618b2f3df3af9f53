import { z } from 'zod';
import { HarnessError } from '../errors.js';
import { invalidDocument, readYamlFile, schemaProblems } from '../read-yaml.js';
import type { Spec } from '../spec/index.js';
import { TENANT_ID_RULE } from '../tenancy/index.js';
import { validateTenantInputs, type TenantInput } from './input.js';
import { generatePopulation } from './population.js';

const tenantEntry = z.strictObject({
  id: z.string().regex(TENANT_ID_RULE, `tenant id must match ${TENANT_ID_RULE.source}`),
  plan: z.string().min(1),
  channel: z.enum(['mobile', 'web']).default('mobile'),
});

const generated = z.strictObject({
  count: z.number().int().min(1).max(1_000_000),
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]{0,40}$/, 'prefix must be 0-40 letters, digits, "_" or "-"')
    .default('t'),
  planMix: z.record(z.string(), z.number().nonnegative()).optional(),
  webPercent: z.number().min(0).max(100).optional(),
});

/** A population file: listed tenants, generated ones, or both (listed first). */
export const populationFileSchema = z
  .strictObject({
    version: z.literal(1),
    description: z.string().optional(),
    tenants: z.array(tenantEntry).default([]),
    generate: generated.optional(),
  })
  .refine((f) => f.tenants.length > 0 || f.generate !== undefined, { message: 'a population needs `tenants` or `generate`' });
export type PopulationFile = z.output<typeof populationFileSchema>;

/** Validate a parsed population against the schema and the spec (plans, duplicates); exit 2 naming every problem. */
export function parsePopulation(doc: unknown, spec: Spec, source = 'population'): TenantInput[] {
  const res = populationFileSchema.safeParse(doc);
  if (!res.success) throw invalidDocument(source, 'population', schemaProblems(res.error), 'see fixtures/tenants.yaml for a valid file');
  const f = res.data;
  const all: TenantInput[] = [...f.tenants, ...(f.generate ? generatePopulation({ ...f.generate }) : [])];
  try {
    validateTenantInputs(spec, all);
  } catch (err) {
    if (err instanceof HarnessError) throw new HarnessError(`${source}: ${err.message}`, err.hint);
    throw err;
  }
  return all;
}

export function loadPopulation(path: string, spec: Spec): TenantInput[] {
  return parsePopulation(readYamlFile(path, 'population file', 'pass an existing file with --from'), spec, path);
}
