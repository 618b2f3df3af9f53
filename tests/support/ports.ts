import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { harnessHome, isPortFree } from '../../src/cluster/index.js';

const BLOCK = 10;
const MAX_BLOCKS = 100;

/**
 * A free port block for one test file, from CACHE_HARNESS_TEST_PORT_BASE (default 7600). `slot` is only
 * where the search starts. Test files run in parallel workers, so a block is claimed with an atomic
 * mkdir under the run's harness home (shared by the workers) before its ports are checked free:
 * two files can never pick the same block, and a port something else holds is skipped.
 */
export async function testPortBase(slot: number, count = 6): Promise<number> {
  const base = Number(process.env.CACHE_HARNESS_TEST_PORT_BASE ?? 7600);
  const locks = join(harnessHome(), 'port-locks');
  mkdirSync(locks, { recursive: true });
  for (let i = 0; i < MAX_BLOCKS; i++) {
    const b = base + ((slot + i) % MAX_BLOCKS) * BLOCK;
    try {
      mkdirSync(join(locks, String(b)));
    } catch {
      continue; // claimed by another test file of this run
    }
    if (await blockFree(b, count)) return b;
  }
  throw new Error(`no free block of ${count} ports from ${base}`);
}

async function blockFree(b: number, count: number): Promise<boolean> {
  for (let p = b; p < b + count; p++) {
    if (!(await isPortFree(p)) || !(await isPortFree(p + 10_000))) return false;
  }
  return true;
}
