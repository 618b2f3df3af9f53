import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { dockerEngineAnswers, harnessHome, stopLocalCluster, stopRedisServersUnder } from '../../src/cluster/index.js';

/**
 * Containers and compose volumes a failed container test left on the port blocks this run claimed
 * (tests/support/ports.ts): names and projects carry the port base, so nothing of another run is touched.
 */
function removeLeftContainers(home: string): void {
  const locks = join(home, 'port-locks');
  if (!existsSync(locks) || !dockerEngineAnswers()) return;
  for (const base of readdirSync(locks)) {
    const ls = (args: string[]) => (spawnSync('docker', args, { encoding: 'utf8' }).stdout ?? '').split('\n').filter((l) => l !== '');
    const project = `label=com.docker.compose.project=cache-harness-${base}`;
    const containers = [...ls(['ps', '-aq', '--filter', project]), ...ls(['ps', '-aq', '--filter', `name=^cache-harness-${base}-`])];
    if (containers.length > 0) spawnSync('docker', ['rm', '--force', '--volumes', ...containers], { stdio: 'ignore' });
    const volumes = ls(['volume', 'ls', '-q', '--filter', project]);
    if (volumes.length > 0) spawnSync('docker', ['volume', 'rm', '--force', ...volumes], { stdio: 'ignore' });
    if (containers.length + volumes.length > 0)
      process.stderr.write(
        `global teardown: removed ${containers.length} container(s), ${volumes.length} volume(s) of port base ${base}\n`,
      );
  }
}

/** After all tests: stop any local cluster a test left behind (a failed afterAll must not orphan redis-server). */
export async function teardown(): Promise<void> {
  const home = harnessHome();
  if (!existsSync(home)) return;
  removeLeftContainers(home);
  for (const d of readdirSync(home)) {
    if (d.startsWith('cluster-')) await stopLocalCluster(join(home, d));
  }
  // Belt and braces: nodes whose state.json was lost are still found by their working directory.
  const stray = await stopRedisServersUnder(home);
  if (stray > 0) process.stderr.write(`global teardown: stopped ${stray} stray redis-server process(es) under ${home}\n`);
  rmSync(home, { recursive: true, force: true });
}
