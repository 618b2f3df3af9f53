import { spawnSync } from 'node:child_process';
import type { StartedTestContainer } from 'testcontainers';
import { clusterLayout, type NodeLayout, type Spec } from '../spec/index.js';
import { initialAclFile } from './acl-file.js';
import { connectWhenUp } from './container-readiness.js';
import { createCluster } from './create-cluster.js';
import { assertImagePresent, docker, HARNESS_LABEL, redisImage } from './docker-cli.js';
import { closeNode } from './node-client.js';
import { assertPortsFree } from './ports.js';
import { CONTAINER_DATA_DIR, renderRedisConf } from './render-conf.js';
import type { Target } from './target.js';

/** The containers of one run, by spec node name; `names` is known before any starts, so teardown can find them all. */
export interface NodeContainers {
  names: Map<string, string>;
  started: Map<string, StartedTestContainer>;
}

export interface ContainersUpOptions {
  portBase: number;
  password: string;
  log: (line: string) => void;
  /** Called before the first container starts: from then on they are ours to remove, whatever happens. */
  onStarting: (c: NodeContainers) => void;
  timeoutMs?: number;
}

/** Container name of a node: the port base makes it unique on this engine, as the ports are. */
export function containerName(portBase: number, node: string): string {
  return `cache-harness-${portBase}-${node}`;
}

/**
 * One container per spec node with testcontainers, on this engine's image (never pulled), host networking on
 * loopback; its redis.conf and users.acl (the password as a hash) are copied in, not passed on a command line.
 * Then the local backend's own cluster formation and readiness (`createCluster`): slots and pairing as the spec says.
 */
export async function upContainers(spec: Spec, opts: ContainersUpOptions): Promise<Target> {
  const image = redisImage(spec.topology.image);
  await assertImagePresent(image);
  const layout = clusterLayout(spec, opts.portBase);
  const host = spec.topology.host;
  await assertPortsFree(
    layout.map((n) => n.port),
    host,
  );
  // Ryuk (testcontainers' reaper) is an image of its own, which no registry here can supply: the harness removes
  // its containers itself (teardown, signals, exit). Read by testcontainers when the first container starts.
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  const { GenericContainer, Wait } = await import('testcontainers');
  const owned: NodeContainers = { names: new Map(layout.map((n) => [n.name, containerName(opts.portBase, n.name)])), started: new Map() };
  opts.onStarting(owned);
  opts.log(`testcontainers: ${layout.length} containers of ${image}, host network, ports ${layout[0]?.port}-${layout.at(-1)?.port}`);
  const startOne = async (node: NodeLayout) => {
    const c = await new GenericContainer(image)
      .withName(owned.names.get(node.name) ?? containerName(opts.portBase, node.name))
      .withNetworkMode('host')
      .withLabels({ [HARNESS_LABEL]: 'containers' })
      .withCopyContentToContainer([
        {
          content: renderRedisConf(spec, node, { kind: 'container', password: opts.password }),
          target: `${CONTAINER_DATA_DIR}/redis.conf`,
          mode: 0o600,
        },
        { content: initialAclFile(opts.password), target: `${CONTAINER_DATA_DIR}/users.acl`, mode: 0o600 },
      ])
      .withCommand(['redis-server', `${CONTAINER_DATA_DIR}/redis.conf`])
      .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
      .withStartupTimeout(opts.timeoutMs ?? 60_000)
      .start();
    owned.started.set(node.name, c);
  };
  await Promise.all(layout.map(startOne));
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const nodes = await connectWhenUp(layout, host, opts.password, timeoutMs);
  try {
    opts.log('nodes answer; assigning slots and pairing replicas as the spec says');
    await createCluster(nodes, host, timeoutMs);
  } finally {
    await Promise.all(nodes.map((n) => closeNode(n.client)));
  }
  opts.log('containers cluster: cluster_state:ok on every node, every replica in sync');
  return {
    backend: 'containers',
    seeds: layout.map((n) => ({ host, port: n.port })),
    password: opts.password,
    nodeNames: Object.fromEntries(layout.map((n) => [String(n.port), n.name])),
    containers: Object.fromEntries(owned.names),
    destructive: true,
  };
}

/** Remove every container of the run (started or half-started: by name), with its anonymous volumes. */
export async function downContainers(c: NodeContainers): Promise<void> {
  const names = [...c.names.values()];
  c.started.clear();
  // `rm -f` of a name that never started fails for that name only; the others are removed.
  await docker(['rm', '--force', '--volumes', ...names], { timeoutMs: 60_000 }).catch((err: unknown) => {
    if (!String(err).includes('No such container')) throw err;
  });
}

/** The same, synchronously: for process 'exit' when the graceful path did not finish. */
export function downContainersSync(c: NodeContainers): void {
  spawnSync('docker', ['rm', '--force', '--volumes', ...c.names.values()], { stdio: 'ignore', timeout: 60_000 });
}
