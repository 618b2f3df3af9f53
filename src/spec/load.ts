import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { HarnessError } from '../errors.js';
import { specSchema, type Spec } from './schema.js';
import { checkSpecRules } from './rules.js';

/** The spec shipped with the harness: the KRYONIX target. */
export const DEFAULT_SPEC_PATH = fileURLToPath(new URL('../../fixtures/kryonix.spec.yaml', import.meta.url));

/** Validate an already-parsed document; throws HarnessError (exit 2) naming every broken field and rule. */
export function parseSpec(doc: unknown, source = 'spec'): Spec {
  const res = specSchema.safeParse(doc);
  if (!res.success) {
    const lines = res.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new HarnessError(`${source}: invalid spec\n${lines.join('\n')}`, 'fix the fields above (see fixtures/kryonix.spec.yaml for a valid spec)');
  }
  const violations = checkSpecRules(res.data);
  if (violations.length > 0) {
    const lines = violations.map((v) => `  ${v.path}: ${v.message}`);
    throw new HarnessError(`${source}: invalid spec\n${lines.join('\n')}`, 'fix the fields above (see fixtures/kryonix.spec.yaml for a valid spec)');
  }
  return res.data as Spec;
}

/** Read, parse and validate a spec file. */
export function loadSpec(path: string = DEFAULT_SPEC_PATH): Spec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HarnessError(`cannot read spec file ${path}: ${(err as Error).message}`, 'pass an existing file with --spec');
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const msg = err instanceof YAMLParseError ? err.message : String(err);
    throw new HarnessError(`${path}: not valid YAML: ${msg}`, 'fix the YAML syntax');
  }
  return parseSpec(doc, path);
}
