import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRedisImage,
  connectNode,
  dockerEngineAnswers,
  isOurRedis,
  nodeControlFor,
  REDIS_IMAGE_ENV,
  resolvePassword,
} from '../../src/cluster/index.js';
import { downContainers, upContainers, type NodeContainers } from '../../src/cluster/containers-backend.js';
import { loadSpec } from '../../src/spec/index.js';
import { runCli, tmp } from '../support/cli.js';
import { testPortBase } from '../support/ports.js';

// These start real containers: only where a Docker engine answers (.ci/run starts one as root). Elsewhere they
// are reported as skipped, with this reason, never as passed.
const ENGINE = dockerEngineAnswers();
const WHY_SKIPPED = 'no Docker engine answers (`docker info`); .ci/run starts dockerd as root';
if (!ENGINE) process.stderr.write(`container backends: skipped: ${WHY_SKIPPED}\n`);

/** Containers and volumes of ours still on the engine for this port base (compose project or testcontainers names). */
function leftovers(base: number): string[] {
  const project = `label=com.docker.compose.project=cache-harness-${base}`;
  const ls = (args: string[]) =>
    execFileSync('docker', args, { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l !== '');
  return [
    ...ls(['ps', '-a', '--filter', project, '--format', '{{.Names}}']),
    ...ls(['ps', '-a', '--filter', `name=cache-harness-${base}-`, '--format', '{{.Names}}']),
    ...ls(['volume', 'ls', '--filter', project, '--format', '{{.Name}}']).map((v) => `volume ${v}`),
  ];
}

/** Whether the node answers PING within a second (a paused node accepts the TCP connection, then answers nothing). */
async function answersPing(port: number, password: string): Promise<boolean> {
  let client: Awaited<ReturnType<typeof connectNode>> | undefined;
  const attempt = connectNode({ host: '127.0.0.1', port }, { password }, 500).then(async (c) => {
    client = c;
    await c.ping();
    return true;
  });
  const ok = await Promise.race([attempt.catch(() => false), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))]);
  client?.disconnect();
  return ok;
}

describe.skipIf(!ENGINE)(`container backends on a local image (skipped when ${WHY_SKIPPED})`, () => {
  let image = '';
  const env = () => ({ [REDIS_IMAGE_ENV]: image });

  beforeAll(async () => {
    image = (await buildRedisImage(undefined, () => undefined)).tag;
  }, 120_000);

  it('gate --backend compose --suites config passes on the image built here; down -v leaves no container or volume', async () => {
    const base = await testPortBase(61);
    const r = await runCli(['gate', '--backend', 'compose', '--port-base', String(base), '--suites', 'config', '--reports', tmp()], {
      env: env(),
      timeoutMs: 110_000,
      timeoutSignal: 'SIGTERM',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/docker(-compose| compose) .*up -d, project cache-harness-\d+, image /);
    expect(r.stderr).toContain('compose cluster: cluster_state:ok on every node, every replica in sync');
    expect(r.stdout).toMatch(/verdict: PASS \(exit 0\) · 4 passed, 0 failed/);
    expect(leftovers(base)).toEqual([]);
  });

  it('gate --backend compose: Ctrl-C while suites run → exit 130, nothing of the project left', async () => {
    await ctrlCLeavesNothing('compose', await testPortBase(63), env());
  });

  describe('containers backend (testcontainers)', () => {
    let base = 0;
    let owned: NodeContainers | undefined;
    afterAll(async () => {
      if (owned) await downContainers(owned);
    });

    it('one container per node forms the spec cluster; kill, start, pause and resume a node through NodeControl; removal leaves nothing (a paused node included)', async () => {
      base = await testPortBase(65);
      const base0 = loadSpec();
      const spec = { ...base0, topology: { ...base0.topology, image } };
      const password = resolvePassword({});
      const target = await upContainers(spec, {
        portBase: base,
        password,
        log: () => undefined,
        onStarting: (c) => {
          owned = c;
        },
      });
      expect(target.backend).toBe('containers');
      expect(Object.keys(target.containers ?? {})).toEqual(['redis-1', 'redis-2', 'redis-3', 'redis-4', 'redis-5', 'redis-6']);
      const control = nodeControlFor(target, spec);
      if (!control) throw new Error('no NodeControl for a containers target');
      const replica = control.node('redis-4');
      expect(replica).toMatchObject({ port: base + 3, role: 'replica', replicaOf: 'redis-1' });
      expect(isOurRedis(replica.pid, replica.port), 'the host sees the container redis-server by its pid').toBe(true);

      await control.kill('redis-4');
      expect(control.node('redis-4').pid).toBe(0);
      expect(await answersPing(base + 3, password)).toBe(false);
      const pid = await control.start('redis-4');
      expect(isOurRedis(pid, base + 3)).toBe(true);
      expect(await answersPing(base + 3, password)).toBe(true);

      await control.pause('redis-5');
      expect(await answersPing(base + 4, password), 'a paused node answers nothing').toBe(false);
      await control.resume('redis-5');
      expect(await answersPing(base + 4, password)).toBe(true);

      await control.pause('redis-6'); // left paused: removal must still take it
      if (owned) await downContainers(owned);
      owned = undefined;
      expect(leftovers(base)).toEqual([]);
    }, 110_000);

    it('gate --backend containers: Ctrl-C while suites run → exit 130, nothing left', async () => {
      await ctrlCLeavesNothing('containers', await testPortBase(67), env());
    });
  });
});

/** `gate --backend <backend>` interrupted by SIGINT once its suites run: exit 130 and no container or volume of that port base left. */
async function ctrlCLeavesNothing(backend: 'compose' | 'containers', base: number, env: NodeJS.ProcessEnv): Promise<void> {
  let sent = false;
  const r = await runCli(['gate', '--backend', backend, '--port-base', String(base), '--suites', 'config,isolation', '--reports', tmp()], {
    env,
    timeoutMs: 110_000,
    timeoutSignal: 'SIGTERM',
    onStderr: (text, pid) => {
      if (!sent && text.includes('running suites:')) {
        sent = true;
        process.kill(pid, 'SIGINT');
      }
    },
  });
  expect(sent, r.stderr).toBe(true);
  expect(r.code, r.stderr).toBe(130);
  expect(leftovers(base)).toEqual([]);
}
