import { fileURLToPath } from 'node:url';
import { invalidDocument, readYamlFile, schemaProblems } from '../read-yaml.js';
import { specSchema, type Spec } from './schema.js';
import { checkControlCharacters, checkSpecRules } from './rules.js';

/** The spec shipped with the harness: the KRYONIX target. */
export const DEFAULT_SPEC_PATH = fileURLToPath(new URL('../../fixtures/kryonix.spec.yaml', import.meta.url));

/** Validate an already-parsed document; throws HarnessError (exit 2) naming every broken field and rule. */
export function parseSpec(doc: unknown, source = 'spec'): Spec {
  const res = specSchema.safeParse(doc);
  const problems = [
    ...checkControlCharacters(doc).map((p) => `${p.path}: ${p.message}`),
    ...(res.success ? checkSpecRules(res.data).map((p) => `${p.path}: ${p.message}`) : schemaProblems(res.error)),
  ];
  if (!res.success || problems.length > 0)
    throw invalidDocument(source, 'spec', problems, 'fix the fields above (see fixtures/kryonix.spec.yaml for a valid spec)');
  return res.data as Spec;
}

/** Read, parse and validate a spec file. */
export function loadSpec(path: string = DEFAULT_SPEC_PATH): Spec {
  return parseSpec(readYamlFile(path, 'spec file', 'pass an existing file with --spec'), path);
}
