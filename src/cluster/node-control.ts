import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError, errorMessage } from '../errors.js';
import { hostPort } from './address.js';
import { requireBinary } from './binaries.js';
import { parseInfo } from './cluster-nodes.js';
import type { RunState } from './local-cluster.js';
import { readState } from './local-cluster.js';
import { closeNode, connectNode } from './node-client.js';
import { isAlive, isOurRedis, spawnRedisServer, stopProcesses } from './processes.js';
import { waitUntil } from './wait.js';

/**
 * Process-level faults and restarts of one node of a local cluster we started, by node name. state.json is
 * the truth about pids: a restart records the new pid there, so `down`, the gate's teardown and the orphan
 * sweep still stop it. Other backends (containers: docker kill/pause/restart) implement the same verbs.
 */
export interface NodeControl {
  /** The node's entry in state.json (read fresh: another restart may have changed its pid). */
  node(name: string): RunNode;
  /** SIGKILL: no shutdown, no final save; resolves once the process is gone. */
  kill(name: string): Promise<void>;
  /** SIGSTOP: the process holds its sockets but answers nothing (a hung node, a long GC pause, a frozen VM). */
  pause(name: string): Promise<void>;
  /** SIGCONT a paused node. */
  resume(name: string): Promise<void>;
  /** SIGTERM (redis-server's clean shutdown: a final save when persistence is on); SIGKILL after graceMs. */
  stop(name: string, graceMs?: number): Promise<void>;
  /** Spawn the node again on its own redis.conf and data dir; resolves once it answers PING. */
  start(name: string, timeoutMs?: number): Promise<number>;
}

export type RunNode = RunState['nodes'][number];

/**
 * Paused pids of this process. A node left SIGSTOPped would hold its ports and never see `down`'s SIGTERM
 * (a stopped process only takes SIGKILL), so every exit path resumes them, synchronously.
 */
const paused = new Set<number>();
let exitHookInstalled = false;

/** SIGCONT every node this process paused and has not resumed (for exit and signal handlers: synchronous). */
export function resumeAllPaused(): void {
  for (const pid of paused) signal(pid, 'SIGCONT');
  paused.clear();
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export function localNodeControl(runDir: string, password: string): NodeControl {
  const node = (name: string): RunNode => {
    const n = readState(runDir).nodes.find((x) => x.name === name);
    if (!n) {
      const names = readState(runDir)
        .nodes.map((x) => x.name)
        .join(', ');
      throw new HarnessError(`no node ${name} in this cluster`, `use one of: ${names}`);
    }
    return n;
  };
  const running = (name: string): RunNode => {
    const n = node(name);
    if (!isOurRedis(n.pid, n.port)) throw new HarnessError(`${name} (pid ${n.pid}) is not our running redis-server on port ${n.port}`);
    return n;
  };
  return {
    node,
    async kill(name) {
      const n = running(name);
      paused.delete(n.pid);
      signal(n.pid, 'SIGKILL');
      while (isAlive(n.pid)) await sleep(5);
    },
    pause(name) {
      const n = running(name);
      if (!exitHookInstalled) {
        process.once('exit', resumeAllPaused);
        exitHookInstalled = true;
      }
      paused.add(n.pid);
      signal(n.pid, 'SIGSTOP');
      return Promise.resolve();
    },
    resume(name) {
      const n = node(name);
      paused.delete(n.pid);
      signal(n.pid, 'SIGCONT');
      return Promise.resolve();
    },
    async stop(name, graceMs = 10_000) {
      const n = running(name);
      paused.delete(n.pid);
      await stopProcesses([n.pid], graceMs);
    },
    async start(name, timeoutMs = 15_000) {
      const state = readState(runDir);
      const n = state.nodes.find((x) => x.name === name);
      if (!n) throw new HarnessError(`no node ${name} in this cluster`);
      if (isOurRedis(n.pid, n.port)) throw new HarnessError(`${name} is already running (pid ${n.pid})`);
      n.pid = spawnRedisServer(requireBinary('redis-server'), join(n.dir, 'redis.conf'), join(n.dir, 'stdout.log'));
      writeFileSync(join(runDir, 'state.json'), JSON.stringify(state, null, 2), { mode: 0o600 });
      const addr = { host: state.host, port: n.port };
      await waitUntil(
        `${name} (${hostPort(addr)}) to accept connections after start`,
        async () => {
          if (!isAlive(n.pid)) throw new HarnessError(`${name} exited at start (see ${join(n.dir, 'stdout.log')})`);
          const c = await connectNode(addr, { password }, 500).catch(() => null);
          if (c === null) return false;
          // A node loading a big RDB/AOF answers LOADING: not started yet.
          const pong = await c.ping().then(
            () => true,
            (err: unknown) => errorMessage(err),
          );
          await closeNode(c);
          return pong;
        },
        timeoutMs,
        50,
      );
      return n.pid;
    },
  };
}

/**
 * Wait until a node is back in the cluster: cluster_state:ok from its own view, and for a replica its link to
 * the master up. Returns the ms it took. (A restarted master of a cluster that failed over meanwhile comes back
 * as a replica: pass the role it should have now.)
 */
export async function waitRejoined(
  addr: { host: string; port: number },
  password: string,
  role: 'master' | 'replica' | 'any',
  timeoutMs = 30_000,
): Promise<number> {
  const t0 = performance.now();
  await waitUntil(
    `${hostPort(addr)} to rejoin the cluster`,
    async () => {
      // connectNode's errors are final for waitUntil; while the node boots, "refused" just means "not yet".
      const c = await connectNode(addr, { password }, 500).catch((err: unknown) => errorMessage(err));
      if (typeof c === 'string') return c;
      try {
        const info = parseInfo(String(await c.call('CLUSTER', 'INFO')));
        if (info.get('cluster_state') !== 'ok') return `cluster_state:${info.get('cluster_state')}`;
        const repl = parseInfo(await c.info('replication'));
        const isReplica = repl.get('role') === 'slave';
        if (role === 'master' && isReplica) return 'role:replica (expected master)';
        if (role === 'replica' && !isReplica) return 'role:master (expected replica)';
        if (isReplica && repl.get('master_link_status') !== 'up') return `master_link_status:${repl.get('master_link_status')}`;
        return true;
      } finally {
        await closeNode(c);
      }
    },
    timeoutMs,
    100,
  );
  return performance.now() - t0;
}
