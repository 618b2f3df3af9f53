import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { HarnessError } from './errors.js';

/** Read and parse a YAML file; an unreadable file or bad YAML is a HarnessError (exit 2) naming the file. */
export function readYamlFile(path: string, what: string, missingHint: string): unknown {
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
