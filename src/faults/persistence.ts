import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostPort, type NodeAddress } from '../cluster/address.js';
import { parseInfo } from '../cluster/cluster-nodes.js';
import { localNodeControl, resumeAllPaused, waitRejoined } from '../cluster/node-control.js';
import { closeNode, connectNode } from '../cluster/node-client.js';
import { readState } from '../cluster/local-cluster.js';
import { isOurRedis } from '../cluster/processes.js';
import { withCleanupOnSignal } from '../cluster/signals.js';
import type { SlotRange } from '../cluster/slot-ranges.js';
import { discoverNodes, targetCredentials, type Target } from '../cluster/target.js';
import { waitUntil } from '../cluster/wait.js';
import { HarnessError, errorMessage } from '../errors.js';
import { startAckedWriter, verifyAckedWrites, type AckedWriteCheck, type AckedWriteLog } from './acked-writes.js';

/**
 * AOF loss on a crash: acked writes to one master, its replica paused (so no failover can happen), the master
 * SIGKILLed and started again from its own files, then every acknowledged write read back. What was acked
 * and is missing is what the fsync policy lost. A SIGKILL is a process crash: what Redis had write()n to the
 * AOF survives in the kernel's page cache, so `everysec` should lose nothing here (its 1-second bound is for a
 * machine crash, which this harness cannot cause); Redis may postpone that write by up to 2 s while a slow
 * background fsync runs (aof_delayed_fsync), and those writes are acked and lost.
 */
export interface AofLossOptions {
  target: Target;
  /** The master to crash, by spec node name; default the master serving slot 0. */
  master?: string;
  /** Acked writes per second to that master. Default 1000. */
  ratePerSec?: number;
  /** Writing before the replica is paused, and between the pause and the kill. Defaults 1500 and 300 ms. */
  warmupMs?: number;
  pausedBeforeKillMs?: number;
  /** How long the master may take to come back and the cluster to be ok. Default 30000. */
  recoverTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface AofLossResult {
  master: string;
  replica: string;
  appendonly: string;
  appendfsync: string;
  /** What the run changed for itself (and put back), e.g. AOF turned on because the config had it off. */
  notes: string[];
  writes: Pick<AckedWriteLog, 'attempted' | 'acked' | 'errors'>;
  check: Omit<AckedWriteCheck, 'lostKeys'>;
  /** Ack time of the last lost write minus the first (0 with one lost write, null with none). */
  lostSpanMs: number | null;
  /** How long before the kill the first lost write was acked (null with none lost). */
  firstLostBeforeKillMs: number | null;
  /** Writes acked in the last second before the kill: what a full second of loss would be. */
  ackedLastSecond: number;
  /** Kill → the master answering PING again; → cluster ok with the replica in sync. */
  restartMs: number;
  recoveredMs: number;
  /** Whether a failover happened anyway (the run is then not a measurement of AOF). */
  failedOver: boolean;
}

/** Ack-time span of the lost writes: last lost minus first lost (ms), null when none was lost. */
export function lostSpan(lostKeys: readonly string[], log: Pick<AckedWriteLog, 'ackRecords'>): { spanMs: number; firstMs: number } | null {
  const times = lostKeys.flatMap((k) => {
    const r = log.ackRecords.get(k);
    return r ? [r.ackedAtMs] : [];
  });
  if (times.length === 0) return null;
  const first = Math.min(...times);
  return { spanMs: Math.max(...times) - first, firstMs: first };
}

export async function measureAofLoss(o: AofLossOptions): Promise<AofLossResult> {
  const log = o.log ?? (() => undefined);
  const t = o.target;
  if (t.backend !== 'local' || !t.runDir || !t.password)
    throw new HarnessError('the AOF crash test needs process control of the nodes', 'run it on a local cluster the harness started');
  const runDir = t.runDir;
  const password = t.password;
  const control = localNodeControl(runDir, password);
  const nodes = await discoverNodes(t);
  const names = readState(runDir).nodes;
  const nameOf = (a: NodeAddress) => names.find((n) => n.port === a.port)?.name ?? hostPort(a);
  const masterInfo = o.master
    ? nodes.find((n) => nameOf(n) === o.master && n.role === 'master')
    : nodes.find((n) => n.role === 'master' && n.slots.some(([a]) => a === 0));
  if (!masterInfo) throw new HarnessError(`no master ${o.master ?? 'serving slot 0'} in the cluster`);
  const replicaInfo = nodes.find((n) => n.masterId === masterInfo.id);
  if (!replicaInfo) throw new HarnessError(`${nameOf(masterInfo)} has no replica to pause`);
  const master = nameOf(masterInfo);
  const replica = nameOf(replicaInfo);
  const slots: SlotRange[] = masterInfo.slots;
  const notes: string[] = [];

  // The persistence settings the master runs with; AOF off → on for this run (and in its redis.conf, since the
  // restart reads that), put back afterwards.
  const admin = await connectNode(masterInfo, targetCredentials(t));
  const get = async (k: string) => {
    const r = (await admin.call('CONFIG', 'GET', k)) as string[];
    return r[1] ?? '';
  };
  const appendonly = await get('appendonly');
  const appendfsync = await get('appendfsync');
  const undo: Array<[string, string]> = [];
  try {
    if (appendfsync !== 'everysec') {
      await admin.call('CONFIG', 'SET', 'appendfsync', 'everysec');
      undo.push(['appendfsync', appendfsync]);
      notes.push(`appendfsync was ${appendfsync}: set to everysec for the run`);
    }
    if (appendonly !== 'yes') {
      await admin.call('CONFIG', 'SET', 'appendonly', 'yes');
      undo.push(['appendonly', appendonly]);
      notes.push('appendonly was no: turned on for the run (CONFIG SET + REWRITE so the restart loads the AOF), then off again');
      await waitUntil(
        `${master}'s first AOF rewrite`,
        async () => {
          const p = parseInfo(await admin.info('persistence'));
          return p.get('aof_rewrite_in_progress') === '0' && p.get('aof_rewrite_scheduled') === '0' ? true : 'rewriting';
        },
        30_000,
      );
    }
    if (undo.length > 0) await admin.call('CONFIG', 'REWRITE');
  } finally {
    await closeNode(admin);
  }

  const rate = o.ratePerSec ?? 1000;
  const warmupMs = o.warmupMs ?? 1500;
  const pausedBeforeKillMs = o.pausedBeforeKillMs ?? 300;
  const writer = startAckedWriter({
    target: t,
    mode: 'plain',
    keyPrefix: `acked:aof:${randomBytes(3).toString('hex')}:`,
    ratePerSec: rate,
    maxWrites: Math.ceil((rate * (warmupMs + pausedBeforeKillMs + 5000)) / 1000),
    onlySlots: slots,
  });
  let writerStopped = false;
  const stopWriter = async () => {
    if (writerStopped) return null;
    writerStopped = true;
    return writer.stop();
  };
  const restore = async () => {
    await stopWriter();
    await control.resume(replica);
    const m = control.node(master);
    if (!isOurRedis(m.pid, m.port)) await control.start(master);
  };

  return withCleanupOnSignal({ run: restore, emergency: resumeAllPaused }, async () => {
    let killAt: number;
    let restartMs: number;
    let recoveredMs: number;
    let wlog: AckedWriteLog | null;
    try {
      await sleep(warmupMs);
      log(`pausing ${replica} (no failover), then SIGKILL ${master}`);
      await control.pause(replica);
      await sleep(pausedBeforeKillMs);
      const k0 = performance.now();
      await control.kill(master);
      killAt = Date.now();
      wlog = await stopWriter();
      await control.start(master, o.recoverTimeoutMs ?? 30_000);
      restartMs = performance.now() - k0;
      await control.resume(replica);
      const addr = { host: masterInfo.host, port: masterInfo.port };
      await waitRejoined(addr, password, 'any', o.recoverTimeoutMs ?? 30_000);
      await waitRejoined({ host: replicaInfo.host, port: replicaInfo.port }, password, 'any', o.recoverTimeoutMs ?? 30_000);
      recoveredMs = performance.now() - k0;
    } finally {
      await restore().catch((err: unknown) => log(`cleanup: ${errorMessage(err)}`));
      if (undo.length > 0)
        await putBack(t, masterInfo, undo).catch((err: unknown) => notes.push(`could not put the settings back: ${errorMessage(err)}`));
    }
    if (!wlog) throw new HarnessError('the writer did not run');
    const after = await discoverNodes(t);
    const failedOver = after.find((n) => n.port === masterInfo.port)?.role !== 'master';
    const check = await verifyAckedWrites(t, wlog);
    const span = lostSpan(check.lostKeys, wlog);
    const killRel = killAt - wlog.startedAt;
    const ackedLastSecond = [...wlog.ackRecords.values()].filter((r) => r.ackedAtMs > killRel - 1000 && r.ackedAtMs <= killRel).length;
    const { lostKeys: _lostKeys, ...checkShown } = check;
    return {
      master,
      replica,
      appendonly,
      appendfsync,
      notes,
      writes: { attempted: wlog.attempted, acked: wlog.acked, errors: wlog.errors },
      check: checkShown,
      lostSpanMs: span?.spanMs ?? null,
      firstLostBeforeKillMs: span ? killRel - span.firstMs : null,
      ackedLastSecond,
      restartMs: Math.round(restartMs),
      recoveredMs: Math.round(recoveredMs),
      failedOver,
    };
  });
}

async function putBack(t: Target, addr: NodeAddress, undo: ReadonlyArray<[string, string]>): Promise<void> {
  const c = await connectNode(addr, targetCredentials(t));
  try {
    for (const [k, v] of [...undo].reverse()) await c.call('CONFIG', 'SET', k, v);
    await c.call('CONFIG', 'REWRITE');
  } finally {
    await closeNode(c);
  }
}

/** What `appendfsync everysec` promises: at most about a second of writes lost. */
export const EVERYSEC_BOUND_MS = 1000;
/**
 * Allowed beyond it: 1000 ms because Redis itself, while a background fsync is still running, postpones writing
 * the AOF buffer for up to 2 s before it blocks (aof_delayed_fsync in INFO persistence), so 2 s is the real
 * worst case of the setting; plus 100 ms for our own timestamps (an ack is timed when the reply is read).
 */
export const EVERYSEC_MARGIN_MS = 1100;

/** The verdict: null when the run passes, else why not. */
export function judgeAofLoss(r: Pick<AofLossResult, 'lostSpanMs' | 'failedOver' | 'check' | 'writes'>): string | null {
  if (r.failedOver) return 'a failover happened although the replica was paused: the run measured no AOF restart';
  if (r.writes.acked === 0) return 'no write was acknowledged before the kill: nothing to measure';
  if (r.check.stale > 0) return `${r.check.stale} acknowledged keys read back with another value`;
  if (r.lostSpanMs !== null && r.lostSpanMs > EVERYSEC_BOUND_MS + EVERYSEC_MARGIN_MS)
    return `${r.check.lost} acknowledged writes lost over ${r.lostSpanMs} ms, past the ${EVERYSEC_BOUND_MS} ms bound + ${EVERYSEC_MARGIN_MS} ms margin`;
  return null;
}
