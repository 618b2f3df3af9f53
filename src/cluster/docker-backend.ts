import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { HarnessError } from '../errors.js';
import type { Spec } from '../spec/index.js';
import { clusterLayout } from '../spec/index.js';
import type { Target } from './target.js';
import { connectNode, closeNode } from './node-client.js';
import { parseInfo } from './cluster-nodes.js';
import { waitUntil } from './wait.js';

const run = promisify(execFile);
const COMPOSE_FILE = fileURLToPath(new URL('../../docker-compose.cluster.yml', import.meta.url));

/** Fail within about a second, with the engine's own words, when no Docker engine answers. */
export async function assertDockerEngine(timeoutMs = 1500): Promise<void> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: timeoutMs });
  } catch (err) {
    const e = err as { stderr?: string; code?: string | number; killed?: boolean };
    const why =
      e.code === 'ENOENT'
        ? 'the docker CLI is not installed'
        : e.killed
          ? `docker info did not answer within ${timeoutMs} ms`
          : ((e.stderr ?? String(err)).trim().split('\n').at(-1) ?? 'docker info failed');
    throw new HarnessError(
      `--backend compose needs a Docker engine: ${why}`,
      'start Docker, or use the default local backend (no Docker needed): drop --backend',
    );
  }
}

/**
 * Start docker-compose.cluster.yml (the same nodes and configs as the local backend, host networking)
 * and wait for cluster_state:ok. The compose file is rendered for port base 7001. Call assertDockerEngine first.
 */
export async function upCompose(spec: Spec, password: string, log: (l: string) => void): Promise<Target> {
  const env = { ...process.env, REDIS_PASSWORD: password };
  log(`docker compose -f ${COMPOSE_FILE} up -d`);
  await run('docker', ['compose', '-f', COMPOSE_FILE, 'up', '-d'], { env, timeout: 300_000 });
  const layout = clusterLayout(spec, 7001);
  await waitUntil(
    'the compose cluster to report cluster_state:ok',
    async () => {
      for (const n of layout) {
        const c = await connectNode({ host: spec.topology.host, port: n.port }, { password }, 1000);
        try {
          if (parseInfo(String(await c.call('CLUSTER', 'INFO'))).get('cluster_state') !== 'ok') return `${n.name} not ok`;
        } finally {
          await closeNode(c);
        }
      }
      return true;
    },
    120_000,
    500,
  );
  return {
    backend: 'compose',
    seeds: layout.map((n) => ({ host: spec.topology.host, port: n.port })),
    password,
    nodeNames: Object.fromEntries(layout.map((n) => [String(n.port), n.name])),
    destructive: true,
  };
}

/** Stop the compose cluster and drop its volumes. */
export async function downCompose(): Promise<void> {
  await run('docker', ['compose', '-f', COMPOSE_FILE, 'down', '-v'], { timeout: 120_000 });
}
