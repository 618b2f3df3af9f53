import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Root of all local runs: CACHE_HARNESS_HOME, else <tmp>/cache-harness. */
export function harnessHome(): string {
  return process.env.CACHE_HARNESS_HOME ?? join(tmpdir(), 'cache-harness');
}

/** One local cluster's run directory; the port base names it, so `status` and `down` find it. */
export function runDirFor(portBase: number): string {
  return join(harnessHome(), `cluster-${portBase}`);
}
