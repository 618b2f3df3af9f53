import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HarnessError } from '../errors.js';
import { PROJECT_ROOT } from '../paths.js';

/**
 * The compiled entry of a bench thread (`worker`, `sender-thread`). Worker threads cannot load .ts under
 * plain Node, so when this module runs from sources (vitest) the build in dist/ is used.
 */
export function threadEntry(name: 'worker' | 'sender-thread'): URL {
  const here = new URL(`./${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = join(PROJECT_ROOT, 'dist', 'bench', `${name}.js`);
  if (existsSync(built)) return pathToFileURL(built);
  throw new HarnessError(`the bench needs its compiled thread entry (dist/bench/${name}.js)`, 'run `npm run build`');
}
