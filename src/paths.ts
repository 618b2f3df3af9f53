import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The project root: src/ and dist/ are both one level below it. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function harnessVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
