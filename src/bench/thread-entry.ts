import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HarnessError } from '../errors.js';
import { PROJECT_ROOT } from '../paths.js';

/** The compiled thread entries (src/bench/<name>.ts). */
export type ThreadEntryName = 'worker' | 'sender-thread' | 'paced-tenant-thread' | 'fault-traffic-thread';

/**
 * The compiled entry of a thread. Worker threads cannot load .ts under plain Node, so when this module runs
 * from sources (vitest) the build in dist/ is used, and refused when a source file is newer than it: the
 * thread would run (and measure) old code.
 */
export function threadEntry(name: ThreadEntryName): URL {
  const here = new URL(`./${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = join(PROJECT_ROOT, 'dist', 'bench', `${name}.js`);
  if (!existsSync(built)) throw new HarnessError(`the thread needs its compiled entry (dist/bench/${name}.js)`, 'run `npm run build`');
  const newer = newerSource(statSync(built).mtimeMs);
  if (newer !== undefined)
    throw new HarnessError(`dist/bench/${name}.js is older than src/${newer}: the thread would run stale code`, 'run `npm run build`');
  return pathToFileURL(built);
}

/** A source file modified after `builtMs`, if any. */
function newerSource(builtMs: number): string | undefined {
  const src = join(PROJECT_ROOT, 'src');
  return readdirSync(src, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('.ts') && statSync(join(src, f)).mtimeMs > builtMs);
}
