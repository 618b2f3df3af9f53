import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { harnessHome, stopLocalCluster } from '../../src/cluster/index.js';

/** After all tests: stop any local cluster a test left behind (a failed afterAll must not orphan redis-server). */
export async function teardown(): Promise<void> {
  const home = harnessHome();
  if (!existsSync(home)) return;
  for (const d of readdirSync(home)) {
    if (d.startsWith('cluster-')) await stopLocalCluster(join(home, d));
  }
  rmSync(home, { recursive: true, force: true });
}
