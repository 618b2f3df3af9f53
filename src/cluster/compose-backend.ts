import { execFile, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HarnessError } from '../errors.js';
import { redact } from '../redact.js';
import { clusterLayout, type Spec } from '../spec/index.js';
import { renderCompose } from './compose.js';
import { connectWhenUp } from './container-readiness.js';
import { waitClusterReady } from './create-cluster.js';
import { assertImagePresent, commandFailure, REDIS_IMAGE_ENV, redisImage } from './docker-cli.js';
import { closeNode } from './node-client.js';
import { assertPortsFree } from './ports.js';
import type { Target } from './target.js';

const run = promisify(execFile);

/** `docker compose` (the v2 plugin) or `docker-compose` (v1, Debian's package): whichever answers. */
export interface ComposeTool {
  bin: string;
  pre: string[];
  version: string;
}

export async function detectComposeTool(): Promise<ComposeTool> {
  for (const t of [
    { bin: 'docker', pre: ['compose'] },
    { bin: 'docker-compose', pre: [] },
  ]) {
    try {
      const { stdout } = await run(t.bin, [...t.pre, 'version', '--short'], { timeout: 10_000 });
      return { ...t, version: stdout.trim() };
    } catch {
      // not this one
    }
  }
  throw new HarnessError(
    '--backend compose needs Docker Compose: neither `docker compose` (v2) nor `docker-compose` (v1) answers',
    'install one (Debian: apt-get install docker-compose), or use --backend containers (the engine only)',
  );
}

/** One compose cluster of this run: its project (named by the port base) and its rendered file. */
export interface ComposeCluster {
  tool: ComposeTool;
  project: string;
  dir: string;
  file: string;
  env: NodeJS.ProcessEnv;
  /** compose commands still running: `down` stops them first, so an `up` cut short by Ctrl-C creates nothing after it. */
  inflight: Set<ChildProcess>;
}

export interface ComposeUpOptions {
  portBase: number;
  password: string;
  log: (line: string) => void;
  /** Called before `up`: from then on the project is ours to take down, whatever happens. */
  onStarting: (cluster: ComposeCluster) => void;
  timeoutMs?: number;
}

/**
 * Render the compose file for --port-base into a private temp dir and start it (host networking on loopback,
 * a volume per node, the init service forming the cluster as the spec pairs nodes); then the same readiness
 * as the local backend: every node cluster_state:ok, every replica in sync. Call assertDockerEngine first.
 */
export async function upCompose(spec: Spec, opts: ComposeUpOptions): Promise<Target> {
  const tool = await detectComposeTool();
  const image = redisImage(spec.topology.image);
  await assertImagePresent(image);
  const layout = clusterLayout(spec, opts.portBase);
  await assertPortsFree(
    layout.map((n) => n.port),
    spec.topology.host,
  );
  const dir = mkdtempSync(join(tmpdir(), 'cache-harness-compose-'));
  const file = join(dir, 'docker-compose.yml');
  writeFileSync(file, renderCompose(spec, opts.portBase), { mode: 0o600 });
  const cluster: ComposeCluster = {
    tool,
    project: `cache-harness-${opts.portBase}`,
    dir,
    file,
    // The password reaches compose (and the containers' environment) this way, never on a command line.
    env: { ...process.env, REDIS_PASSWORD: opts.password, [REDIS_IMAGE_ENV]: image },
    inflight: new Set(),
  };
  opts.onStarting(cluster);
  opts.log(
    `${tool.bin} ${[...tool.pre].join(' ')} ${tool.version}: up -d, project ${cluster.project}, image ${image}, ports ${layout[0]?.port}-${layout.at(-1)?.port}`,
  );
  await compose(cluster, ['up', '-d'], 300_000);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const nodes = await connectWhenUp(layout, spec.topology.host, opts.password, timeoutMs, async (n) => exitedService(cluster, n.name));
  try {
    await waitClusterReady(nodes, timeoutMs).catch(async (err: unknown) => {
      const initLog = await compose(cluster, ['logs', '--no-color', '--tail', '20', 'cluster-init'], 30_000).catch((e: unknown) =>
        String(e),
      );
      throw new HarnessError(`${(err as Error).message}\ncluster-init's output:\n${redact(initLog, [opts.password])}`);
    });
  } finally {
    await Promise.all(nodes.map((n) => closeNode(n.client)));
  }
  opts.log('compose cluster: cluster_state:ok on every node, every replica in sync');
  const containers: Record<string, string> = {};
  for (const n of layout) containers[n.name] = (await compose(cluster, ['ps', '-q', n.name], 30_000)).trim();
  return {
    backend: 'compose',
    seeds: layout.map((n) => ({ host: spec.topology.host, port: n.port })),
    password: opts.password,
    nodeNames: Object.fromEntries(layout.map((n) => [String(n.port), n.name])),
    containers,
    destructive: true,
  };
}

/** null while the service's container runs (or is starting); else why it stopped, with its last log lines. */
async function exitedService(cluster: ComposeCluster, service: string): Promise<string | null> {
  const id = (await compose(cluster, ['ps', '-q', service], 30_000)).trim();
  if (id === '') return null;
  const { stdout } = await run('docker', ['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}', id], {
    timeout: 10_000,
  });
  const [status, code, restarts] = stdout.trim().split(' ');
  if (status === 'running' && restarts === '0') return null;
  if (status === 'created') return null;
  const logs = await compose(cluster, ['logs', '--no-color', '--tail', '10', service], 30_000).catch(() => '');
  return `container ${status} (exit ${code}, ${restarts} restarts). Its output:\n${redact(logs, [String(cluster.env.REDIS_PASSWORD)])}`;
}

/** Stop the project and drop its volumes and the rendered file. */
export async function downCompose(cluster: ComposeCluster): Promise<void> {
  for (const child of cluster.inflight) child.kill('SIGTERM');
  try {
    await compose(cluster, ['down', '-v', '--remove-orphans', '--timeout', '5'], 120_000);
  } finally {
    rmSync(cluster.dir, { recursive: true, force: true });
  }
}

/** The same, synchronously: for process 'exit' when the graceful path did not finish. */
export function downComposeSync(cluster: ComposeCluster): void {
  spawnSync(cluster.tool.bin, [...cluster.tool.pre, ...composeArgs(cluster, ['down', '-v', '--remove-orphans', '--timeout', '2'])], {
    env: cluster.env,
    stdio: 'ignore',
    timeout: 60_000,
  });
  rmSync(cluster.dir, { recursive: true, force: true });
}

function composeArgs(cluster: ComposeCluster, args: readonly string[]): string[] {
  return ['--project-name', cluster.project, '--file', cluster.file, ...args];
}

async function compose(cluster: ComposeCluster, args: readonly string[], timeoutMs: number): Promise<string> {
  const pending = run(cluster.tool.bin, [...cluster.tool.pre, ...composeArgs(cluster, args)], {
    env: cluster.env,
    timeout: timeoutMs,
    maxBuffer: 16 << 20,
  });
  cluster.inflight.add(pending.child);
  try {
    return (await pending).stdout;
  } catch (err) {
    throw new HarnessError(
      `${cluster.tool.bin} ${[...cluster.tool.pre, args[0]].join(' ')} (project ${cluster.project}) failed: ${redact(commandFailure(err), [String(cluster.env.REDIS_PASSWORD)])}`,
    );
  } finally {
    cluster.inflight.delete(pending.child);
  }
}
