import { fileURLToPath } from 'node:url';
import { HarnessError } from '../errors.js';
import { readYamlFile } from '../read-yaml.js';
import { specSchema, type Spec } from './schema.js';
import { checkSpecRules } from './rules.js';

/** The spec shipped with the harness: the KRYONIX target. */
export const DEFAULT_SPEC_PATH = fileURLToPath(new URL('../../fixtures/kryonix.spec.yaml', import.meta.url));

/** Validate an already-parsed document; throws HarnessError (exit 2) naming every broken field and rule. */
export function parseSpec(doc: unknown, source = 'spec'): Spec {
  const res = specSchema.safeParse(doc);
  const problems = res.success
    ? checkSpecRules(res.data)
    : res.error.issues.map((i) => ({ path: i.path.length ? i.path.join('.') : '(root)', message: i.message }));
  if (!res.success || problems.length > 0) {
    const lines = problems.map((p) => `  ${p.path}: ${p.message}`);
    throw new HarnessError(`${source}: invalid spec\n${lines.join('\n')}`, 'fix the fields above (see fixtures/kryonix.spec.yaml for a valid spec)');
  }
  return res.data as Spec;
}

/** Read, parse and validate a spec file. */
export function loadSpec(path: string = DEFAULT_SPEC_PATH): Spec {
  return parseSpec(readYamlFile(path, 'spec file', 'pass an existing file with --spec'), path);
}
