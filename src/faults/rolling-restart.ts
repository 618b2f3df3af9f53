import { checkTopology } from '../checks/topology.js';
import { collectTopology } from '../checks/collect-topology.js';
import {
  isOurRedis,
  manualFailover,
  readState,
  targetCredentials,
  waitRejoined,
  type ClusterEndpoint,
  type NodeControl,
  type Target,
} from '../cluster/index.js';
import { HarnessError, errorMessage } from '../errors.js';
import { formatSeconds } from '../format/index.js';
import { restartLocalNode } from '../provision/index.js';
import type { Spec } from '../spec/index.js';

// A rolling restart done the safe way, on a local cluster the harness started: every replica in turn (stop,
// start, back in sync, quota scripts reloaded), then for each master a graceful `CLUSTER FAILOVER` from its
// replica (the replica waits until it has the master's whole replication stream, so no acknowledged write is
// lost), a restart of the old master (now a replica), and `CLUSTER FAILOVER` on it to fail back. Every wait is
// bounded; on a failure or an abort, every node is left running and the report says where it stopped.

export type RollingAction = 'restart replica' | 'failover to replica' | 'restart demoted master' | 'fail back';

export interface RollingStep {
  /** The node restarted, or the node promoted by a failover. */
  node: string;
  action: RollingAction;
  ms: number;
  detail: string;
}

export interface RollingRestartReport {
  steps: RollingStep[];
  /** Every planned step done. */
  completed: boolean;
  /** When not completed: the step it stopped at and why. */
  stoppedAt?: string;
  /** Nodes found stopped after a failed step and started again. */
  startedAgain: string[];
  /** How the cluster differs from the spec at the end (`rule node: message`); empty when it is as the spec describes. */
  topologyProblems: string[];
  ms: number;
}

export interface RollingRestartOptions {
  /** Progress lines. */
  log?: (line: string) => void;
  /** The bound of each step's waits (stop, start, rejoin, role switch). Default 30 s. */
  stepTimeoutMs?: number;
  /** Checked before each step: once aborted, no new step starts (the one in flight finishes, bounded). */
  signal?: AbortSignal;
}

interface PlannedStep {
  node: string;
  action: RollingAction;
  run: () => Promise<string>;
}

type Endpoint = ClusterEndpoint;

/** How the cluster differs from the spec now (`rule node: message`). */
export async function topologyDifferences(target: Target, spec: Spec): Promise<string[]> {
  const problems = checkTopology(spec, await collectTopology(target), target.nodeNames);
  return problems.map((p) => `${p.rule}${p.node ? ` ${p.node}` : ''}: ${p.message}`);
}

/**
 * Restart every node of the local cluster in turn without losing the service: replicas first, then each master
 * through a failover to its replica and back. Refuses to start on a cluster that is not as the spec describes.
 */
export async function rollingRestart(
  target: Target,
  control: NodeControl,
  spec: Spec,
  opts: RollingRestartOptions = {},
): Promise<RollingRestartReport> {
  const log = opts.log ?? (() => undefined);
  const timeoutMs = opts.stepTimeoutMs ?? 30_000;
  const { runDir, password } = target;
  if (target.backend !== 'local' || !runDir || password === undefined)
    throw new HarnessError('a rolling restart needs process control of the nodes: a local cluster started by the harness');
  const before = await topologyDifferences(target, spec);
  if (before.length > 0)
    throw new HarnessError(
      `the cluster is not as the spec describes, so a rolling restart could lose the service:\n  ${before.join('\n  ')}`,
      'repair it first (`cache-harness status` shows the nodes)',
    );
  const host = readState(runDir).host;
  const endpoint = (name: string): Endpoint => ({ name, port: control.node(name).port });
  const creds = targetCredentials(target);
  const all = [...spec.topology.masters.map((m) => m.name), ...spec.topology.replicas.map((r) => r.name)].map(endpoint);

  const restart = async (name: string, role: 'master' | 'replica') => {
    const r = await restartLocalNode(runDir, name, password, timeoutMs, role);
    return `pid ${r.oldPid} → ${r.newPid}, back as ${role} in ${formatSeconds(r.downMs, 2)}`;
  };
  const failover = async (promote: Endpoint, demote: Endpoint) => {
    const { attempts, ms } = await manualFailover({ host, creds, nodes: all, promote, demote, timeoutMs, log });
    const tries = attempts > 1 ? ` (attempt ${attempts})` : '';
    return `${promote.name} master, ${demote.name} its replica in sync, on every node's view, ${formatSeconds(ms, 2)} after CLUSTER FAILOVER${tries}`;
  };

  const plan: PlannedStep[] = spec.topology.replicas.map((r) => ({
    node: r.name,
    action: 'restart replica',
    run: () => restart(r.name, 'replica'),
  }));
  for (const m of spec.topology.masters) {
    const r = spec.topology.replicas.find((x) => x.of === m.name);
    if (!r) throw new HarnessError(`master ${m.name} has no replica in the spec: it cannot be restarted without losing its slots`);
    const master = endpoint(m.name);
    const replica = endpoint(r.name);
    plan.push(
      { node: r.name, action: 'failover to replica', run: () => failover(replica, master) },
      { node: m.name, action: 'restart demoted master', run: () => restart(m.name, 'replica') },
      { node: m.name, action: 'fail back', run: () => failover(master, replica) },
    );
  }

  const t0 = performance.now();
  const report: RollingRestartReport = { steps: [], completed: false, startedAgain: [], topologyProblems: [], ms: 0 };
  try {
    for (const [i, step] of plan.entries()) {
      const where = `step ${i + 1}/${plan.length} (${step.action} ${step.node})`;
      if (opts.signal?.aborted) {
        report.stoppedAt = `${where}: interrupted before it started`;
        break;
      }
      log(`${where}...`);
      const ts = performance.now();
      try {
        const detail = await step.run();
        report.steps.push({ node: step.node, action: step.action, ms: Math.round(performance.now() - ts), detail });
        log(`${where}: ${detail}`);
      } catch (err) {
        report.stoppedAt = `${where}: ${errorMessage(err)}`;
        break;
      }
    }
    report.completed = report.steps.length === plan.length;
  } finally {
    // Whatever happened, every node runs again (a step may have stopped one and failed to start it).
    for (const n of all) {
      const s = control.node(n.name);
      if (isOurRedis(s.pid, s.port)) continue;
      log(`${n.name} is not running: starting it again`);
      try {
        await control.start(n.name, timeoutMs);
        await waitRejoined({ host, port: n.port }, password, 'any', timeoutMs);
        report.startedAgain.push(n.name);
      } catch (err) {
        report.stoppedAt = `${report.stoppedAt ?? 'after the last step'}; ${n.name} could not be started again: ${errorMessage(err)}`;
      }
    }
  }
  report.topologyProblems = await topologyDifferences(target, spec).catch((err: unknown) => [
    `topology: could not be read: ${errorMessage(err)}`,
  ]);
  report.ms = Math.round(performance.now() - t0);
  if (report.stoppedAt) log(`stopped at ${report.stoppedAt}`);
  return report;
}
