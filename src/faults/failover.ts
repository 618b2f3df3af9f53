import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import {
  closeNode,
  connectNode,
  isOurRedis,
  manualFailover,
  parseClusterNodes,
  parseInfo,
  resumeAllPaused,
  targetCredentials,
  waitRejoined,
  waitUntil,
  type ClusterNodeInfo,
  type NodeControl,
  type Target,
} from '../cluster/index.js';
import { errorMessage, HarnessError } from '../errors.js';
import type { Spec } from '../spec/index.js';
import { startAckedWriter, verifyAckedWrites, type AckedWriteCheck, type AckedWriteLog, type AckedWriter } from './acked-writes.js';
import { FaultTraffic, keysForShards, summarizeTraffic, type ShardTraffic, type TrafficRecord } from './traffic.js';

// One fault injected into one master of a local cluster under open-loop traffic over every shard, measured the
// way clients see it (issue 11): the client-visible window per shard, errors by kind, time to promotion and
// which replica was promoted, time until the whole cluster is ok with every replica in sync, acknowledged
// writes lost with and without WAIT, and whether the cluster ends as the spec describes.

export const FAULTS = ['kill', 'pause', 'restart'] as const;
export type FaultKind = (typeof FAULTS)[number];

export interface FailoverOptions {
  /** The master to fault (spec node name); default: the spec's first master. */
  node?: string;
  fault: FaultKind;
  /** Traffic over all shards, ops/s. Default 600. */
  ratePerSec?: number;
  /** An op without a reply after this long is a TIMEOUT; an op slower than this is stalled. Default 1000. */
  opTimeoutMs?: number;
  /** Acked-write recorders on the faulted master's slots, ops/s each. Default 100. */
  ackedRatePerSec?: number;
  /** Traffic before the fault (ms). Default 1500. */
  warmupMs?: number;
  /** After the cluster is ok again, how long traffic goes on (ms), so every shard's window can close. Default 2000. */
  tailMs?: number;
  /** Bound for promotion and for recovery (ms). Default max(30 s, 4 × cluster-node-timeout). */
  timeoutMs?: number;
  /** CLUSTER FAILOVER back to the original master afterwards, so the cluster ends in the spec's layout. Default true. */
  failBack?: boolean;
  log?: (line: string) => void;
}

export interface FailoverResult {
  fault: FaultKind;
  node: string;
  /** cluster-node-timeout as the faulted node's CONFIG GET said before the fault (ms). */
  node_timeout_ms: number;
  /** Max over shards of the client-visible window (ms). */
  window_ms: number;
  /** Every shard's window closed (a good op after its last bad one) before the traffic stopped. */
  windows_closed: boolean;
  shards: ShardTraffic[];
  /** Failed traffic ops by kind, all shards. */
  errors: Record<string, number>;
  /** The node that took over the faulted master's slots (spec name), or null when none did (e.g. a quick restart). */
  promoted: string | null;
  /** The spec's replica of the faulted master. */
  expected_promoted: string | null;
  promotion_ms: number | null;
  /** From the fault until every node said cluster_state:ok and every replica was linked and in sync. */
  recovered_ms: number | null;
  /** The faulted node rejoined (as a replica after a failover). */
  rejoined: boolean;
  rejoined_as: 'master' | 'replica' | null;
  acked_writes_lost: number | null;
  acked_writes_lost_no_wait: number | null;
  acked_writes: { wait: AckedSummary | null; plain: AckedSummary | null };
  /** How the cluster differed from the spec's layout after the fault (before any fail-back); [] = as the spec. */
  layout_diff_after_fault: string[];
  failed_back: boolean;
  /** Differences from the spec's layout at the end; [] = as the spec describes. */
  layout_diff_end: string[];
  traffic: { rate_per_sec: number; op_timeout_ms: number; duration_ms: number; send_lag_p99_ms: number; undrained: number };
  /** Problems met on the way (a step that failed, a bound that ran out). */
  notes: string[];
}

export interface AckedSummary {
  attempted: number;
  acked: number;
  errors: Record<string, number>;
  lost: number;
  stale: number;
  lost_sample: string[];
}

interface LiveNode {
  name: string;
  port: number;
}

const SYNC_OFFSET_SLACK = 1024 * 1024;

/** Spec node names by port, as the harness that started the cluster recorded them (local processes or containers). */
function namesByPort(target: Target): Map<number, string> {
  if (!target.nodeNames)
    throw new HarnessError('the failover measurement needs a cluster the harness started (its node names): not --target');
  return new Map(Object.entries(target.nodeNames).map(([port, name]) => [Number(port), name]));
}

async function withNode<T>(host: string, port: number, password: string | undefined, fn: (c: Redis) => Promise<T>): Promise<T> {
  const c = await connectNode({ host, port }, password !== undefined ? { password } : {}, 1000);
  try {
    return await fn(c);
  } finally {
    await closeNode(c);
  }
}

/** CLUSTER NODES as one node sees it (null when it does not answer within ~1 s). */
async function clusterNodesFrom(host: string, port: number, password: string | undefined): Promise<ClusterNodeInfo[] | null> {
  const attempt = withNode(host, port, password, async (c) => parseClusterNodes(String(await c.call('CLUSTER', 'NODES'))));
  const timer = sleep(1500).then(() => null);
  return Promise.race([attempt.catch(() => null), timer]);
}

/** How the live layout differs from the spec's: masters with their slots, replicas with their master. */
export function layoutDiff(spec: Spec, nodes: readonly ClusterNodeInfo[], nameOf: (port: number) => string | undefined): string[] {
  const diff: string[] = [];
  const byName = new Map(nodes.map((n) => [nameOf(n.port) ?? `${n.host}:${n.port}`, n]));
  const idName = new Map(nodes.map((n) => [n.id, nameOf(n.port) ?? `${n.host}:${n.port}`]));
  for (const m of spec.topology.masters) {
    const n = byName.get(m.name);
    if (!n) diff.push(`${m.name}: not in the cluster`);
    else if (n.role !== 'master') diff.push(`${m.name}: replica of ${idName.get(n.masterId ?? '') ?? '?'} (spec: master)`);
    else if (JSON.stringify(n.slots) !== JSON.stringify(m.slots))
      diff.push(`${m.name}: slots ${JSON.stringify(n.slots)} (spec: ${JSON.stringify(m.slots)})`);
  }
  for (const r of spec.topology.replicas) {
    const n = byName.get(r.name);
    if (!n) diff.push(`${r.name}: not in the cluster`);
    else if (n.role !== 'replica') diff.push(`${r.name}: master of ${JSON.stringify(n.slots)} (spec: replica of ${r.of})`);
    else if (idName.get(n.masterId ?? '') !== r.of)
      diff.push(`${r.name}: replica of ${idName.get(n.masterId ?? '') ?? '?'} (spec: of ${r.of})`);
  }
  return diff;
}

/** Every running node says cluster_state:ok, and every replica's link is up with its offset near its master's. '' when so, else why not. */
async function clusterSettled(host: string, nodes: readonly LiveNode[], password: string | undefined): Promise<string> {
  const offsets = new Map<number, number>();
  const replicas: Array<{ name: string; masterPort: number; offset: number }> = [];
  for (const n of nodes) {
    const why = await withNode(host, n.port, password, async (c) => {
      const state = parseInfo(String(await c.call('CLUSTER', 'INFO'))).get('cluster_state');
      if (state !== 'ok') return `${n.name}: cluster_state:${state}`;
      const repl = parseInfo(await c.info('replication'));
      if (repl.get('role') === 'master') offsets.set(n.port, Number(repl.get('master_repl_offset') ?? 0));
      else {
        if (repl.get('master_link_status') !== 'up') return `${n.name}: master_link_status:${repl.get('master_link_status')}`;
        replicas.push({ name: n.name, masterPort: Number(repl.get('master_port')), offset: Number(repl.get('slave_repl_offset') ?? 0) });
      }
      return '';
    }).catch((err: unknown) => `${n.name}: ${errorMessage(err)}`);
    if (why) return why;
  }
  for (const r of replicas) {
    const m = offsets.get(r.masterPort);
    if (m !== undefined && m - r.offset > SYNC_OFFSET_SLACK) return `${r.name}: ${m - r.offset} bytes behind its master`;
  }
  return '';
}

/** Bring a faulted node back if this process left it down or paused (Ctrl-C, an error mid-run). */
export async function restoreNode(control: NodeControl, name: string): Promise<void> {
  resumeAllPaused();
  await control.resume(name); // a paused container is not resumed by the line above (it is not our process)
  const n = control.node(name);
  if (!isOurRedis(n.pid, n.port)) await control.start(name);
}

function ackedSummary(log: AckedWriteLog | null, check: AckedWriteCheck | null): AckedSummary | null {
  if (!log || !check) return null;
  return {
    attempted: log.attempted,
    acked: log.acked,
    errors: log.errors,
    lost: check.lost,
    stale: check.stale,
    lost_sample: check.lostSample,
  };
}

/**
 * Inject `fault` into one master of the local cluster `control` drives, under traffic, and measure (see
 * FailoverResult). The node is brought back in every case (finally); with failBack, the original master is
 * made master again by CLUSTER FAILOVER so the cluster ends in the spec's layout.
 */
export async function runFailover(target: Target, control: NodeControl, spec: Spec, opts: FailoverOptions): Promise<FailoverResult> {
  const log = opts.log ?? (() => undefined);
  const host = target.seeds[0]?.host ?? spec.topology.host;
  const { password } = targetCredentials(target);
  const ports = namesByPort(target);
  const nameOf = (port: number) => ports.get(port);
  const nodeName = opts.node ?? spec.topology.masters[0]?.name;
  if (nodeName === undefined) throw new HarnessError('the spec has no master');
  const faulted = control.node(nodeName);
  const others: LiveNode[] = [...ports].filter(([, name]) => name !== nodeName).map(([port, name]) => ({ name, port }));
  const all: LiveNode[] = [...others, { name: nodeName, port: faulted.port }];
  const notes: string[] = [];

  const before = await clusterNodesFrom(host, faulted.port, password);
  const me = before?.find((n) => n.flags.includes('myself'));
  if (!before || !me) throw new HarnessError(`${nodeName} does not answer CLUSTER NODES`, 'check the cluster with `cache-harness status`');
  if (me.role !== 'master' || me.slots.length === 0) {
    throw new HarnessError(
      `${nodeName} is not a master with slots now`,
      `fault one of the current masters: ${before
        .filter((n) => n.role === 'master' && n.slots.length > 0)
        .map((n) => nameOf(n.port))
        .join(', ')}`,
    );
  }
  const nodeTimeoutMs = await withNode(host, faulted.port, password, async (c) => {
    const reply: unknown = await c.config('GET', 'cluster-node-timeout');
    return Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
  });
  if (!Number.isFinite(nodeTimeoutMs)) throw new HarnessError(`${nodeName} did not answer CONFIG GET cluster-node-timeout`);
  const timeoutMs = opts.timeoutMs ?? Math.max(30_000, 4 * nodeTimeoutMs);
  const expected = spec.topology.replicas.find((r) => r.of === nodeName)?.name ?? null;
  const slots = me.slots;
  const firstSlot = slots[0]?.[0] ?? 0;
  const masters = before
    .filter((n) => n.role === 'master' && n.slots.length > 0)
    .map((n) => ({ name: nameOf(n.port) ?? `${n.host}:${n.port}`, slots: n.slots }));

  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const rate = opts.ratePerSec ?? 600;
  const opTimeoutMs = opts.opTimeoutMs ?? 1000;
  const traffic = await FaultTraffic.start({
    seeds: target.seeds,
    ...targetCredentials(target),
    shards: keysForShards(`failover:${run}:`, masters, 200),
    ratePerSec: rate,
    opTimeoutMs,
    maxMs: opts.timeoutMs !== undefined ? 3 * opts.timeoutMs : 6 * timeoutMs,
    slotsRefreshIntervalMs: 1000,
  });
  const writers: Array<{ mode: 'plain' | 'wait'; w: AckedWriter }> = [];
  let record: TrafficRecord | null;
  let restored = false;
  let promoted: string | null = null;
  let promotionMs: number | null = null;
  let recoveredMs: number | null = null;
  let rejoinedAs: 'master' | 'replica' | null = null;
  let layoutAfterFault: string[] = [];
  let failedBack = false;
  const logs: { plain: AckedWriteLog | null; wait: AckedWriteLog | null } = { plain: null, wait: null };
  let faultAtEpoch: number | undefined;
  let t0Epoch: number | undefined;
  try {
    t0Epoch = await traffic.begin();
    const ackedRate = opts.ackedRatePerSec ?? 100;
    for (const mode of ['plain', 'wait'] as const) {
      writers.push({
        mode,
        w: startAckedWriter({
          target,
          mode,
          keyPrefix: `acked:${run}:${mode}:`,
          ratePerSec: ackedRate,
          maxWrites: Math.ceil((ackedRate * 3 * timeoutMs) / 1000),
          onlySlots: slots,
        }),
      });
    }
    await sleep(opts.warmupMs ?? 1500);

    const epoch = () => performance.timeOrigin + performance.now();
    log(`${opts.fault} ${nodeName} (cluster-node-timeout ${nodeTimeoutMs} ms; expected to take over: ${expected ?? 'none in the spec'})`);
    faultAtEpoch = epoch();
    if (opts.fault === 'kill') await control.kill(nodeName);
    else if (opts.fault === 'pause') await control.pause(nodeName);
    else {
      await control.stop(nodeName);
      await control.start(nodeName, timeoutMs);
      restored = true;
    }

    // Promotion: another node owns the faulted master's first slot, as any running node sees it. After a
    // clean restart the node is usually back before the cluster marks it failed: one look, after it rejoined.
    const findOwner = async (watch: readonly LiveNode[]): Promise<string | null> => {
      for (const n of watch) {
        const view = await clusterNodesFrom(host, n.port, password);
        const owner = view?.find(
          (x) => x.role === 'master' && x.id !== me.id && x.slots.some(([a, b]) => firstSlot >= a && firstSlot <= b),
        );
        if (owner) return nameOf(owner.port) ?? `${owner.host}:${owner.port}`;
      }
      return null;
    };
    if (opts.fault !== 'restart') {
      const promotionDeadline = performance.now() + timeoutMs;
      while (performance.now() < promotionDeadline && promoted === null) {
        promoted = await findOwner(others);
        if (promoted !== null) promotionMs = epoch() - faultAtEpoch;
        else await sleep(100);
      }
      if (promoted !== null) log(`${promoted} took over ${nodeName}'s slots after ${Math.round(promotionMs ?? 0)} ms`);
      else notes.push(`no node took over ${nodeName}'s slots within ${timeoutMs} ms`);
    }

    // The cluster without the faulted node (kill, pause), then with it back.
    if (opts.fault !== 'restart' && promoted !== null) {
      await waitUntil(
        'the cluster to be ok without the faulted node',
        () => clusterSettled(host, others, password).then((w) => w || true),
        timeoutMs,
      ).catch((err: unknown) => notes.push(errorMessage(err)));
      const view = await clusterNodesFrom(host, others[0]?.port ?? faulted.port, password);
      if (view) layoutAfterFault = layoutDiff(spec, view, nameOf);
    }
    if (opts.fault === 'kill') await control.start(nodeName, timeoutMs);
    else if (opts.fault === 'pause') await control.resume(nodeName);
    restored = true;
    try {
      await waitRejoined(
        { host, port: faulted.port },
        password ?? '',
        opts.fault === 'restart' ? 'any' : promoted !== null ? 'replica' : 'master',
        timeoutMs,
      );
      if (opts.fault === 'restart') {
        promoted = await findOwner(all);
        if (promoted !== null) log(`${promoted} took over ${nodeName}'s slots during the restart`);
        else log(`no failover: ${nodeName} was back before the cluster marked it failed`);
      }
      rejoinedAs = promoted !== null ? 'replica' : 'master';
      log(`${nodeName} rejoined as ${rejoinedAs}`);
    } catch (err) {
      notes.push(errorMessage(err));
    }
    try {
      await waitUntil(
        'every node ok and every replica in sync',
        () => clusterSettled(host, all, password).then((w) => w || true),
        timeoutMs,
      );
      recoveredMs = epoch() - faultAtEpoch;
      log(`cluster ok, every replica in sync, ${Math.round(recoveredMs)} ms after the fault`);
    } catch (err) {
      notes.push(errorMessage(err));
    }
    if (opts.fault === 'restart') {
      const view = await clusterNodesFrom(host, faulted.port, password);
      if (view) layoutAfterFault = layoutDiff(spec, view, nameOf);
    }
    await sleep(opts.tailMs ?? 2000);
  } finally {
    record = await traffic.stop().catch((err: unknown) => {
      notes.push(`traffic: ${errorMessage(err)}`);
      return null;
    });
    await traffic.close();
    for (const { mode, w } of writers) {
      logs[mode] = await w.stop().catch((err: unknown) => {
        notes.push(`acked writer (${mode}): ${errorMessage(err)}`);
        return null;
      });
    }
    if (!restored) await restoreNode(control, nodeName);
  }

  // Acked writes, read back once the cluster is ok.
  const checks: { plain: AckedWriteCheck | null; wait: AckedWriteCheck | null } = { plain: null, wait: null };
  for (const mode of ['plain', 'wait'] as const) {
    const l = logs[mode];
    if (l)
      checks[mode] = await verifyAckedWrites(target, l).catch(
        (err: unknown) => (notes.push(`read-back (${mode}): ${errorMessage(err)}`), null),
      );
  }

  // Fail back: CLUSTER FAILOVER on the original master (now a replica), so the next test starts from the spec's layout.
  if ((opts.failBack ?? true) && rejoinedAs === 'replica') {
    try {
      const current = all.find((n) => n.name === promoted);
      if (!current) throw new Error(`the promoted node ${promoted ?? '(none)'} is not a node of this cluster`);
      await manualFailover({
        host,
        creds: targetCredentials(target),
        nodes: all,
        promote: { name: nodeName, port: faulted.port },
        demote: current,
        timeoutMs,
        log,
      });
      await waitUntil('every node ok after the fail-back', () => clusterSettled(host, all, password).then((w) => w || true), timeoutMs);
      // Every node learns the new roles by gossip: wait (bounded) until the faulted node's view is the spec's.
      await waitUntil(
        "the layout to be the spec's again",
        async () => {
          const view = await clusterNodesFrom(host, faulted.port, password);
          return view ? layoutDiff(spec, view, nameOf).join('; ') || true : 'no answer';
        },
        10_000,
      );
      failedBack = true;
      log(`failed back: ${nodeName} is master again`);
    } catch (err) {
      notes.push(`fail-back: ${errorMessage(err)}`);
    }
  }
  const endView = await clusterNodesFrom(host, faulted.port, password);
  const layoutEnd = endView ? layoutDiff(spec, endView, nameOf) : ['no node answered CLUSTER NODES at the end'];

  const faultAtMs = faultAtEpoch !== undefined && t0Epoch !== undefined ? faultAtEpoch - t0Epoch : 0;
  const shards = record ? summarizeTraffic(record, opTimeoutMs, { fromMs: faultAtMs, toMs: faultAtMs + (recoveredMs ?? timeoutMs) }) : [];
  const errors: Record<string, number> = {};
  for (const s of shards) for (const [k, v] of Object.entries(s.errors)) errors[k] = (errors[k] ?? 0) + v;
  if (record === null) notes.push('no traffic record: the window could not be measured');
  return {
    fault: opts.fault,
    node: nodeName,
    node_timeout_ms: nodeTimeoutMs,
    window_ms: Math.round(Math.max(0, ...shards.map((s) => s.windowMs))),
    windows_closed: record !== null && shards.every((s) => s.recovered),
    shards,
    errors,
    promoted,
    expected_promoted: expected,
    promotion_ms: promotionMs === null ? null : Math.round(promotionMs),
    recovered_ms: recoveredMs === null ? null : Math.round(recoveredMs),
    rejoined: rejoinedAs !== null,
    rejoined_as: rejoinedAs,
    acked_writes_lost: checks.wait?.lost ?? null,
    acked_writes_lost_no_wait: checks.plain?.lost ?? null,
    acked_writes: { wait: ackedSummary(logs.wait, checks.wait), plain: ackedSummary(logs.plain, checks.plain) },
    layout_diff_after_fault: layoutAfterFault,
    failed_back: failedBack,
    layout_diff_end: layoutEnd,
    traffic: {
      rate_per_sec: rate,
      op_timeout_ms: opTimeoutMs,
      duration_ms: Math.round(record?.elapsedMs ?? 0),
      send_lag_p99_ms: record?.sendLagP99Ms ?? 0,
      undrained: record?.undrained ?? 0,
    },
    notes,
  };
}

/** What fails the check, against the spec's limits: [] = pass. */
export function failoverViolations(r: FailoverResult, maxWindowMs: number): string[] {
  const v: string[] = [];
  if (!r.windows_closed) v.push('a shard was still failing when the traffic stopped');
  if (r.window_ms > maxWindowMs) v.push(`client-visible window ${r.window_ms} ms > failover.maxWindowMs ${maxWindowMs}`);
  if (r.fault !== 'restart' && r.promoted === null) v.push('no replica was promoted');
  if (r.promoted !== null && r.promoted !== r.expected_promoted)
    v.push(`${r.promoted} was promoted, not the spec's replica ${r.expected_promoted ?? '(none)'}`);
  if (r.acked_writes_lost === null) v.push('acknowledged writes with WAIT were not checked');
  else if (r.acked_writes_lost > 0) v.push(`${r.acked_writes_lost} write(s) acknowledged with WAIT were lost`);
  if (r.recovered_ms === null) v.push('the cluster did not come back (ok, every replica in sync)');
  if (!r.rejoined) v.push(`${r.node} did not rejoin`);
  return v;
}
