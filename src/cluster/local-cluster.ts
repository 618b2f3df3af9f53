import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../errors.js';
import { redact } from '../redact.js';
import { clusterLayout, type NodeLayout, type Spec } from '../spec/index.js';
import { initialAclFile } from './acl-file.js';
import { hostPort } from './address.js';
import { redisServerVersion, requireBinary } from './binaries.js';
import { createCluster, type StartedNode } from './create-cluster.js';
import { closeNode, connectNode } from './node-client.js';
import { resolvePassword, savePassword, readPassword } from './password.js';
import { assertPortsFree } from './ports.js';
import { isAlive, isOurRedis, spawnRedisServer, stopProcesses, tailLog } from './processes.js';
import { stopRedisServersUnder } from './orphans.js';
import { renderRedisConf } from './render-conf.js';
import { runDirFor } from './run-dir.js';
import { waitUntil } from './wait.js';

/** What `up` leaves in the run dir so `status`, `down` and suites can find the cluster. */
export interface RunState {
  specName: string;
  specPath: string;
  host: string;
  portBase: number;
  startedAt: string;
  redisVersion: string;
  nodes: Array<{ name: string; port: number; pid: number; dir: string; role: 'master' | 'replica'; replicaOf?: string }>;
}

export interface UpOptions {
  portBase: number;
  specPath: string;
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
  timeoutMs?: number;
  /** Called once the checks pass and before the first process is spawned: from then on, the run dir is ours to stop. */
  onSpawning?: (runDir: string) => void;
}

export interface LocalCluster {
  runDir: string;
  password: string;
  state: RunState;
}

const STATE_FILE = 'state.json';

/** Start the spec's nodes as local redis-server processes and form the cluster. On any failure, what was started is stopped. */
export async function upLocalCluster(spec: Spec, opts: UpOptions): Promise<LocalCluster> {
  const log = opts.log ?? (() => undefined);
  const bin = requireBinary('redis-server');
  const host = spec.topology.host;
  const layout = clusterLayout(spec, opts.portBase);
  const runDir = runDirFor(opts.portBase);
  if (existsSync(join(runDir, STATE_FILE)) && liveNodes(readState(runDir)).length > 0) {
    throw new HarnessError(
      `a cluster of ours already runs on port base ${opts.portBase} (run dir ${runDir})`,
      `stop it with \`cache-harness down --port-base ${opts.portBase}\`, or choose another --port-base`,
    );
  }
  await assertPortsFree(
    layout.map((n) => n.port),
    host,
  );

  const password = resolvePassword(); // refuses a bad CACHE_HARNESS_PASSWORD before anything is written
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  savePassword(runDir, password);
  const state: RunState = {
    specName: spec.name,
    specPath: opts.specPath,
    host,
    portBase: opts.portBase,
    startedAt: new Date().toISOString(),
    redisVersion: redisServerVersion(bin),
    nodes: [],
  };

  opts.onSpawning?.(runDir);
  log(
    `starting ${layout.length} redis-server ${state.redisVersion} nodes on ${host}:${layout[0]?.port}-${layout.at(-1)?.port} (run dir ${runDir})`,
  );
  const clients: StartedNode[] = [];
  try {
    for (const node of layout) {
      const dir = join(runDir, node.name);
      // 0700, and redis-server runs with umask 077 (spawnRedisServer): users.acl, RDB, AOF, logs are 0600.
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const conf = join(dir, 'redis.conf');
      writeFileSync(conf, renderRedisConf(spec, node, { kind: 'local', dir, password }), { mode: 0o600 });
      writeFileSync(join(dir, 'users.acl'), initialAclFile(password), { mode: 0o600 });
      const pid = spawnRedisServer(bin, conf, join(dir, 'stdout.log'));
      state.nodes.push({
        name: node.name,
        port: node.port,
        pid,
        dir,
        role: node.role,
        ...(node.replicaOf ? { replicaOf: node.replicaOf } : {}),
      });
      writeState(runDir, state); // written after every spawn: `down` can stop a half-started cluster
    }
    for (const node of layout) clients.push({ layout: node, client: await waitNodeUp(node, state, host, password) });
    log('nodes answer; assigning slots and pairing replicas as the spec says');
    await createCluster(clients, host, opts.timeoutMs ?? 30_000);
    log('cluster_state:ok on every node, every replica in sync');
  } catch (err) {
    await Promise.all(clients.map((c) => closeNode(c.client)));
    await stopLocalCluster(runDir);
    throw err;
  }
  await Promise.all(clients.map((c) => closeNode(c.client)));
  return { runDir, password, state };
}

async function waitNodeUp(node: NodeLayout, state: RunState, host: string, password: string) {
  const entry = state.nodes.find((n) => n.name === node.name);
  if (!entry) throw new Error(`no state for ${node.name}`);
  // tailLog redacts (redis-server echoes a refused `requirepass` line); the password is named again in case.
  const logs = () =>
    redact(
      `${tailLog(join(entry.dir, 'stdout.log'))}\n${tailLog(join(entry.dir, 'redis.log'))}`.replace(/\(no log written\)\n?/g, '').trim(),
      [password],
    ) || '(no output)';
  await waitUntil(
    `${node.name} (${hostPort({ host, port: node.port })}) to accept connections`,
    async () => {
      if (!isAlive(entry.pid)) {
        throw new HarnessError(
          `${node.name} (port ${node.port}) exited at start. Its output:\n${logs()}`,
          'fix the config line named above, or free the port',
        );
      }
      try {
        const c = await connectNode({ host, port: node.port }, { password }, 500);
        await closeNode(c);
        return true;
      } catch {
        return false;
      }
    },
    10_000,
    50,
  ).catch((err: unknown) => {
    if (err instanceof HarnessError && err.message.includes('exited at start')) throw err;
    throw new HarnessError(`${node.name} (port ${node.port}) did not start. Its output:\n${logs()}`);
  });
  return connectNode({ host, port: node.port }, { password });
}

/** Stop exactly the processes this run started (checked by pid and port), then remove the run dir unless kept. */
export async function stopLocalCluster(runDir: string, opts: { keepRunDir?: boolean } = {}): Promise<number> {
  if (!existsSync(join(runDir, STATE_FILE))) return 0;
  const alive = liveNodes(readState(runDir));
  await stopProcesses(alive.map((n) => n.pid));
  // Also any node of this run dir the state file no longer names (a restart helper, a lost write).
  const stray = await stopRedisServersUnder(runDir);
  if (!opts.keepRunDir) rmSync(runDir, { recursive: true, force: true });
  return alive.length + stray;
}

/** Synchronous SIGKILL of the run's live nodes: for process 'exit' handlers, where nothing async runs. */
export function killLocalClusterSync(runDir: string): void {
  if (!existsSync(join(runDir, STATE_FILE))) return;
  for (const n of liveNodes(readState(runDir))) {
    try {
      process.kill(n.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(runDir, { recursive: true, force: true });
}

/** The run's nodes whose pid is still that node's redis-server. */
export function liveNodes(state: RunState): RunState['nodes'] {
  return state.nodes.filter((n) => isOurRedis(n.pid, n.port));
}

export function readState(runDir: string): RunState {
  return JSON.parse(readFileSync(join(runDir, STATE_FILE), 'utf8')) as RunState;
}

function writeState(runDir: string, state: RunState): void {
  writeFileSync(join(runDir, STATE_FILE), JSON.stringify(state, null, 2));
  chmodSync(join(runDir, STATE_FILE), 0o600);
}

/** Find a running local cluster by port base, with its admin password. */
export function openLocalRun(portBase: number): LocalCluster {
  const runDir = runDirFor(portBase);
  if (!existsSync(join(runDir, STATE_FILE))) {
    throw new HarnessError(
      `no local cluster of ours on port base ${portBase} (no ${join(runDir, STATE_FILE)})`,
      `start one with \`cache-harness up --port-base ${portBase}\``,
    );
  }
  return { runDir, password: readPassword(runDir), state: readState(runDir) };
}
