import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError, errorMessage } from '../errors.js';
import { hostPort } from './address.js';
import { docker } from './docker-cli.js';
import type { Spec } from '../spec/index.js';
import type { NodeControl, RunNode } from './node-control.js';
import { closeNode, connectNode } from './node-client.js';
import type { Target } from './target.js';
import { waitUntil } from './wait.js';

/**
 * The fault verbs for a cluster of containers (compose or containers backend): docker kill / pause / unpause /
 * stop / start of the node's container. A container keeps its data across kill and start, as a process's run dir
 * does. `node()` reports the host pid of the container's redis-server (0 when it is not running), so the checks
 * written for local processes (`isOurRedis`) hold for containers too; there is no host data dir.
 */
export function containerNodeControl(target: Target, spec: Spec): NodeControl {
  const host = target.seeds[0]?.host ?? spec.topology.host;
  // The spec's role of each node (what `node()` reports for a local process too: state.json holds the spec's).
  const replicaOf = new Map(spec.topology.replicas.map((r) => [r.name, r.of]));
  const containers = target.containers ?? {};
  const password = target.password ?? '';
  const ports = new Map(Object.entries(target.nodeNames ?? {}).map(([port, name]) => [name, Number(port)]));
  const containerOf = (name: string): string => {
    const c = containers[name];
    if (c === undefined) throw new HarnessError(`no container for node ${name}`, `use one of: ${Object.keys(containers).join(', ')}`);
    return c;
  };
  const pidOf = (container: string): number => {
    // Synchronous: node() is (callers read it between awaits); docker inspect answers in milliseconds.
    const r = spawnSync('docker', ['inspect', '--format', '{{.State.Pid}}', container], { encoding: 'utf8', timeout: 10_000 });
    return r.status === 0 ? Number(r.stdout.trim()) : 0;
  };
  const running = async (container: string) => (await docker(['inspect', '--format', '{{.State.Running}}', container])).trim() === 'true';
  return {
    node(name): RunNode {
      const port = ports.get(name);
      if (port === undefined) throw new HarnessError(`no node ${name} in this cluster`, `use one of: ${[...ports.keys()].join(', ')}`);
      const of = replicaOf.get(name);
      return {
        name,
        port,
        pid: pidOf(containerOf(name)),
        dir: '',
        ...(of !== undefined ? { role: 'replica', replicaOf: of } : { role: 'master' }),
      };
    },
    async kill(name) {
      const c = containerOf(name);
      await docker(['kill', '--signal', 'KILL', c]);
      while (await running(c)) await sleep(20);
    },
    async pause(name) {
      // The cgroup freezer: the process holds its sockets and answers nothing, as SIGSTOP does.
      await docker(['pause', containerOf(name)]);
    },
    async resume(name) {
      const c = containerOf(name);
      const state = (await docker(['inspect', '--format', '{{.State.Paused}}', c])).trim();
      if (state === 'true') await docker(['unpause', c]);
    },
    async stop(name, graceMs = 10_000) {
      const c = containerOf(name);
      await this.resume(name);
      await docker(['stop', '--time', String(Math.max(1, Math.ceil(graceMs / 1000))), c], { timeoutMs: graceMs + 30_000 });
    },
    async start(name, timeoutMs = 15_000) {
      const c = containerOf(name);
      if (await running(c)) throw new HarnessError(`${name} is already running (container ${c})`);
      await docker(['start', c]);
      const port = ports.get(name) ?? 0;
      const addr = { host, port };
      await waitUntil(
        `${name} (${hostPort(addr)}) to accept connections after start`,
        async () => {
          if (!(await running(c))) throw new HarnessError(`${name} exited at start (see docker logs ${c})`);
          const client = await connectNode(addr, { password }, 500).catch(() => null);
          if (client === null) return false;
          const pong = await client.ping().then(
            () => true,
            (err: unknown) => errorMessage(err),
          );
          await closeNode(client);
          return pong;
        },
        timeoutMs,
        50,
      );
      return pidOf(c);
    },
  };
}
