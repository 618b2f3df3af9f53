import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { harnessHome, stopLocalCluster, stopRedisServersUnder } from '../../src/cluster/index.js';

/** After all tests: stop any local cluster a test left behind (a failed afterAll must not orphan redis-server). */
export async function teardown(): Promise<void> {
  const home = harnessHome();
  if (!existsSync(home)) return;
  for (const d of readdirSync(home)) {
    if (d.startsWith('cluster-')) await stopLocalCluster(join(home, d));
  }
  // Belt and braces: nodes whose state.json was lost are still found by their working directory.
  const stray = await stopRedisServersUnder(home);
  if (stray > 0) process.stderr.write(`global teardown: stopped ${stray} stray redis-server process(es) under ${home}\n`);
  rmSync(home, { recursive: true, force: true });
}
