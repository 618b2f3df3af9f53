import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { hostPort } from '../cluster/address.js';
import { parseClusterNodes, parseInfo, type ClusterNodeInfo } from '../cluster/cluster-nodes.js';
import { closeNode, connectNode } from '../cluster/node-client.js';
import { readState } from '../cluster/local-cluster.js';
import { BUS_PORT_OFFSET } from '../cluster/ports.js';
import { withCleanupOnSignal } from '../cluster/signals.js';
import { discoverNodes, targetCredentials, type Target } from '../cluster/target.js';
import { manualFailover } from '../cluster/manual-failover.js';
import { waitRejoined } from '../cluster/node-control.js';
import { waitUntil } from '../cluster/wait.js';
import { HarnessError, errorMessage } from '../errors.js';
import { startAckedWriter, verifyAckedWrites, type AckedWriteCheck, type AckedWriteLog } from './acked-writes.js';

/**
 * A network partition on loopback: one master cut off from every other node (cluster bus and replication, both
 * directions), while the harness's own client still reaches it (a client on the minority side keeps writing).
 * All nodes share 127.0.0.1 and one side of every node-to-node connection is an ephemeral port, so ports alone
 * cannot tell a node's connection from the harness's: the nodes are moved into two cgroup-v2 groups (the
 * isolated one, the rest) and iptables drops, in its own chain CH-<portBase> jumped to from OUTPUT, what the
 * isolated node sends to the others' ports and what the others send to the isolated node's ports. A socket keeps
 * the cgroup it was made in, so each link already open (found with ss) gets a rule of its own. Root only;
 * everything is undone by heal() (synchronous, so exit and signal handlers can run it).
 */
export interface PartitionPlan {
  chain: string;
  /** cgroup names under the cgroup-v2 root. */
  isoGroup: string;
  restGroup: string;
  /** iptables argument lists (after `iptables`), in order: create the chain, the rules, the jump. */
  rules: string[][];
}

/** One established TCP socket on loopback: its local and peer port and the pid owning it. */
export interface LoSocket {
  local: number;
  peer: number;
  pid: number;
}

/** `ss -tnpH state established` lines → sockets with an owner (lines without one, or off loopback, are left out). */
export function parseSs(text: string): LoSocket[] {
  const out: LoSocket[] = [];
  for (const line of text.split('\n')) {
    const m = /\s127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:(\d+)\s+users:\(\("[^"]*",pid=(\d+)/.exec(line);
    if (m) out.push({ local: Number(m[1]), peer: Number(m[2]), pid: Number(m[3]) });
  }
  return out;
}

function listSockets(): LoSocket[] {
  return parseSs(execFileSync('ss', ['-tnpH', 'state', 'established'], { encoding: 'utf8' }));
}

/** DROP rules (both directions) for every open connection between the node `isoPid` and a node of `otherPids`. */
export function linkRules(chain: string, isoPid: number, otherPids: ReadonlySet<number>, sockets: readonly LoSocket[]): string[][] {
  const rules: string[][] = [];
  const seen = new Set<string>();
  for (const s of sockets) {
    if (s.pid !== isoPid) continue;
    const peerIsNode = sockets.some((o) => o.local === s.peer && o.peer === s.local && otherPids.has(o.pid));
    if (!peerIsNode || seen.has(`${s.local}:${s.peer}`)) continue;
    seen.add(`${s.local}:${s.peer}`);
    for (const [sport, dport] of [
      [s.local, s.peer],
      [s.peer, s.local],
    ])
      rules.push(['-A', chain, '-o', 'lo', '-p', 'tcp', '--sport', String(sport), '--dport', String(dport), '-j', 'DROP']);
  }
  return rules;
}

export function chainName(portBase: number): string {
  return `CH-${portBase}`;
}

/** The rules for isolating the node on `isoPort` from the nodes on `otherPorts` (client ports; bus = +10000). */
export function partitionPlan(portBase: number, isoPort: number, otherPorts: readonly number[]): PartitionPlan {
  const chain = chainName(portBase);
  const isoGroup = `cache-harness-${portBase}-iso`;
  const restGroup = `cache-harness-${portBase}-rest`;
  const others = otherPorts.flatMap((p) => [p, p + BUS_PORT_OFFSET]);
  if (others.length > 15) throw new HarnessError(`too many nodes to partition (${otherPorts.length}): iptables multiport takes 15 ports`);
  const mine = [isoPort, isoPort + BUS_PORT_OFFSET];
  const drop = (group: string, ports: readonly number[]) => [
    '-A',
    chain,
    '-o',
    'lo',
    '-p',
    'tcp',
    '-m',
    'cgroup',
    '--path',
    group,
    '-m',
    'multiport',
    '--dports',
    ports.join(','),
    '-j',
    'DROP',
  ];
  return {
    chain,
    isoGroup,
    restGroup,
    rules: [['-N', chain], drop(isoGroup, others), drop(restGroup, mine), ['-I', 'OUTPUT', '-j', chain]],
  };
}

/** Where cgroup v2 is mounted (from /proc/mounts), or null. */
export function cgroup2Root(mounts = safeRead('/proc/mounts')): string | null {
  for (const line of mounts.split('\n')) {
    const [, dir, type] = line.split(' ');
    if (type === 'cgroup2' && dir) return dir;
  }
  return null;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function toolAvailable(bin: string, args: readonly string[]): boolean {
  try {
    execFileSync(bin, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why a partition cannot be made here (the check is then skipped by policy), or null. */
export function partitionUnsupported(): string | null {
  if (process.getuid?.() !== 0) return 'dropping traffic with iptables needs root';
  if (!toolAvailable('iptables', ['-V'])) return 'iptables is not installed (scripts/setup.sh installs it when run as root)';
  if (!toolAvailable('ss', ['-V'])) return 'ss (iproute2) is not installed: needed to find the links open before the partition';
  if (!cgroup2Root()) return 'no cgroup v2 mount to tell the nodes apart on loopback';
  return null;
}

function iptables(args: readonly string[], quiet = false): boolean {
  try {
    execFileSync('iptables', args, { stdio: quiet ? 'ignore' : ['ignore', 'ignore', 'pipe'] });
    return true;
  } catch (err) {
    if (quiet) return false;
    throw new HarnessError(`iptables ${args.join(' ')} failed: ${errorMessage(err)}`);
  }
}

/** Move every process of cgroup `dir` back to the root group and remove it. */
function dissolveGroup(root: string, name: string): void {
  const dir = join(root, name);
  if (!existsSync(dir)) return;
  const pids = safeRead(join(dir, 'cgroup.procs')).split('\n').filter(Boolean);
  for (const pid of pids) {
    try {
      writeFileSync(join(root, 'cgroup.procs'), pid);
    } catch {
      // gone
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    // still busy: reported by the leftover check next time
  }
}

/** Remove our chain (its jump, rules) and cgroups; returns what was there. Synchronous: for exit and signal handlers. */
export function removePartition(portBase: number): string[] {
  const plan = partitionPlan(portBase, 0, []);
  const found: string[] = [];
  while (iptables(['-D', 'OUTPUT', '-j', plan.chain], true)) found.push(`jump to ${plan.chain}`);
  if (iptables(['-F', plan.chain], true)) {
    iptables(['-X', plan.chain], true);
    found.push(`chain ${plan.chain}`);
  }
  const root = cgroup2Root();
  if (root) {
    for (const g of [plan.isoGroup, plan.restGroup]) {
      if (existsSync(join(root, g))) {
        dissolveGroup(root, g);
        found.push(`cgroup ${g}`);
      }
    }
  }
  return found;
}

export interface Partition {
  plan: PartitionPlan;
  /** Synchronous and idempotent. */
  heal(): void;
}

/** Cut the node `isoPid` off from `otherPids` (see PartitionPlan). A leftover of an earlier run is removed first and named in `leftover`. */
export function openPartition(
  portBase: number,
  iso: { pid: number; port: number },
  others: ReadonlyArray<{ pid: number; port: number }>,
): Partition & { leftover: string[] } {
  const root = cgroup2Root();
  if (!root) throw new HarnessError('no cgroup v2 mount');
  const leftover = removePartition(portBase);
  const plan = partitionPlan(
    portBase,
    iso.port,
    others.map((o) => o.port),
  );
  let healed = false;
  const heal = () => {
    if (healed) return;
    healed = true;
    removePartition(portBase);
  };
  try {
    for (const [g, pids] of [
      [plan.isoGroup, [iso.pid]],
      [plan.restGroup, others.map((o) => o.pid)],
    ] as const) {
      mkdirSync(join(root, g));
      for (const pid of pids) writeFileSync(join(root, g, 'cgroup.procs'), String(pid));
    }
    for (const r of plan.rules) iptables(r);
    // A socket keeps the cgroup it was made in, so the node-to-node links open now would still pass: drop each one
    // by its two ports (silently, as a real partition does: no reset). New links are made in the groups.
    for (const r of linkRules(plan.chain, iso.pid, new Set(others.map((o) => o.pid)), listSockets())) iptables(r);
  } catch (err) {
    heal();
    throw err;
  }
  return { plan, heal, leftover };
}

/** Whether any of our cgroups or the chain exist (for tests: nothing left behind). */
export function partitionLeftovers(portBase: number): string[] {
  const plan = partitionPlan(portBase, 0, []);
  const out: string[] = [];
  if (iptables(['-S', plan.chain], true)) out.push(plan.chain);
  const root = cgroup2Root();
  if (root) for (const g of readdirSync(root)) if (g === plan.isoGroup || g === plan.restGroup) out.push(g);
  return out;
}

export interface PartitionLossOptions {
  target: Target;
  portBase: number;
  /** CONFIG SET min-replicas-to-write on the isolated master for the run (0: off). */
  minReplicasToWrite: number;
  /**
   * The master to isolate, by spec node name; default the master serving slot 0. A master's replica that was
   * promoted less than 2 × node-timeout ago waits that long for votes again, so runs back to back take different masters.
   */
  master?: string;
  /** CONFIG SET min-replicas-max-lag (seconds) for the run; default: leave the node's. */
  minReplicasMaxLagS?: number;
  /** Acked writes per second to the isolated master's slots. Default 500. */
  ratePerSec?: number;
  /** How long the partition holds after the majority promoted the replica. Default 2000 ms. */
  holdAfterPromotionMs?: number;
  /** Bound on waiting for the promotion, and for the heal. Default 30000 ms each. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface PartitionLossResult {
  isolated: string;
  promoted: string;
  minReplicasToWrite: number;
  minReplicasMaxLagS: number;
  leftoverRemoved: string[];
  writes: Pick<AckedWriteLog, 'attempted' | 'acked' | 'errors'>;
  /** Writes the isolated master acknowledged after the partition started. */
  ackedByIsolatedDuringPartition: number;
  check: Omit<AckedWriteCheck, 'lostKeys'>;
  /** Of the lost writes, those the isolated master had acknowledged. */
  lostAckedByIsolated: number;
  /** Partition start → the majority showing the replica as master. */
  promotionMs: number;
  /** Partition length. */
  partitionMs: number;
  /** Heal → the old master back as a replica in sync. */
  rejoinMs: number;
  /** The old master took its role back (CLUSTER FAILOVER) so the cluster ends as the spec says. */
  roleRestored: boolean;
}

const nodeName = (runDir: string, port: number) => readState(runDir).nodes.find((n) => n.port === port);

/**
 * Partition a master (default: the one serving slot 0) from the rest under an acked writer on its slots, wait until the
 * majority promotes its replica (the proof the partition took), hold, heal, and read every acked write back.
 */
export async function measurePartitionLoss(o: PartitionLossOptions): Promise<PartitionLossResult> {
  const log = o.log ?? (() => undefined);
  const t = o.target;
  if (t.backend !== 'local' || !t.runDir || !t.password)
    throw new HarnessError('the partition test needs a local cluster the harness started');
  const runDir = t.runDir;
  const password = t.password;
  const timeoutMs = o.timeoutMs ?? 30_000;
  // The master of slot 0 and its replica, once every node's view agrees (a fail-back just before settles in gossip).
  let nodes: ClusterNodeInfo[] = [];
  const pair = () => {
    const m = nodes.find((n) =>
      o.master ? n.role === 'master' && nodeName(runDir, n.port)?.name === o.master : n.role === 'master' && n.slots.some(([a]) => a === 0),
    );
    const r = m && nodes.find((n) => n.masterId === m.id && !n.flags.includes('fail'));
    return m && r ? { m, r } : null;
  };
  await waitUntil(
    `${o.master ?? 'the master serving slot 0'} with a replica`,
    async () => {
      nodes = await discoverNodes(t);
      return pair() ? true : 'not yet';
    },
    timeoutMs,
  );
  const found = pair();
  if (!found) throw new HarnessError(`${o.master ?? 'the master serving slot 0'}: not a master with a replica`);
  const { m, r } = found;
  const witness = nodes.find((n) => n.role === 'master' && n.id !== m.id);
  if (!witness) throw new HarnessError('no other master to watch the failover from');
  const iso = nodeName(runDir, m.port);
  const others = readState(runDir).nodes.filter((n) => n.port !== m.port);
  if (!iso) throw new HarnessError(`no local node on port ${m.port}`);

  const admin = await connectNode(m, targetCredentials(t));
  const cfg = async (k: string) => ((await admin.call('CONFIG', 'GET', k)) as string[])[1] ?? '';
  const before = await cfg('min-replicas-to-write');
  const maxLag = Number(await cfg('min-replicas-max-lag'));
  await admin.call('CONFIG', 'SET', 'min-replicas-to-write', String(o.minReplicasToWrite));
  if (o.minReplicasMaxLagS !== undefined) await admin.call('CONFIG', 'SET', 'min-replicas-max-lag', String(o.minReplicasMaxLagS));
  await closeNode(admin);
  const putBack = async () => {
    const c = await connectNode(m, targetCredentials(t));
    try {
      await c.call('CONFIG', 'SET', 'min-replicas-to-write', before);
      await c.call('CONFIG', 'SET', 'min-replicas-max-lag', String(maxLag));
    } finally {
      await closeNode(c);
    }
  };

  const rate = o.ratePerSec ?? 500;
  const writer = startAckedWriter({
    target: t,
    mode: 'plain',
    keyPrefix: `acked:part:${o.minReplicasToWrite}:${randomBytes(3).toString('hex')}:`,
    ratePerSec: rate,
    maxWrites: Math.ceil((rate * (2 * timeoutMs + 5000)) / 1000),
    onlySlots: m.slots,
  });
  let part: ReturnType<typeof openPartition> | null = null;
  let wlog: AckedWriteLog | null = null;
  const stopWriter = async () => (wlog ??= await writer.stop());
  return withCleanupOnSignal(
    {
      run: async () => {
        part?.heal();
        await stopWriter();
      },
      emergency: () => part?.heal(),
    },
    async () => {
      let promotionMs: number;
      let partitionMs: number;
      let rejoinMs: number;
      let startRel: number;
      try {
        await sleep(500);
        log(`partitioning ${iso.name} (port ${m.port}) from the other nodes`);
        const p0 = performance.now();
        startRel = Date.now();
        part = openPartition(o.portBase, { pid: iso.pid, port: m.port }, others);
        await waitUntil(
          `the majority to promote ${hostPort(r)} (the partition to take)`,
          async () => {
            const c = await connectNode(witness, targetCredentials(t), 1000);
            try {
              const view = parseClusterNodes(String(await c.call('CLUSTER', 'NODES')));
              return promoted(view, m.id, r.id) ? true : 'not yet';
            } finally {
              await closeNode(c);
            }
          },
          timeoutMs,
          100,
        );
        promotionMs = performance.now() - p0;
        log(`promoted after ${Math.round(promotionMs)} ms; the isolated node says: ${await selfView(m, password)}`);
        await sleep(o.holdAfterPromotionMs ?? 2000);
        partitionMs = performance.now() - p0;
        part.heal();
        log(`healed after ${Math.round(partitionMs)} ms`);
        const h0 = performance.now();
        await waitRejoined(m, password, 'replica', timeoutMs);
        rejoinMs = performance.now() - h0;
        await sleep(500); // the writer's last writes go to the new master
      } finally {
        part?.heal();
        await stopWriter();
        await putBack().catch((err: unknown) => log(`could not put min-replicas-to-write back: ${errorMessage(err)}`));
      }
      const w = wlog as AckedWriteLog;
      const check = await verifyAckedWrites(t, w);
      const partRel = startRel - w.startedAt;
      const isoAddr = hostPort(m);
      const ackedByIsolatedDuringPartition = [...w.ackRecords.values()].filter((a) => a.node === isoAddr && a.ackedAtMs >= partRel).length;
      const lostAckedByIsolated = check.lostKeys.filter((k) => w.ackRecords.get(k)?.node === isoAddr).length;
      const endpoint = (port: number) => ({ name: nodeName(runDir, port)?.name ?? hostPort({ host: m.host, port }), port });
      const roleRestored = await manualFailover({
        host: m.host,
        creds: { password },
        nodes: readState(runDir).nodes.map((n) => endpoint(n.port)),
        promote: endpoint(m.port),
        demote: endpoint(r.port),
        timeoutMs,
        log,
      }).then(
        () => true,
        (err: unknown) => {
          log(`fail-back: ${errorMessage(err)}`);
          return false;
        },
      );
      const { lostKeys: _lost, ...checkShown } = check;
      return {
        isolated: iso.name,
        promoted: nodeName(runDir, r.port)?.name ?? hostPort(r),
        minReplicasToWrite: o.minReplicasToWrite,
        minReplicasMaxLagS: o.minReplicasMaxLagS ?? maxLag,
        leftoverRemoved: part?.leftover ?? [],
        writes: { attempted: w.attempted, acked: w.acked, errors: w.errors },
        ackedByIsolatedDuringPartition,
        check: checkShown,
        lostAckedByIsolated,
        promotionMs: Math.round(promotionMs),
        partitionMs: Math.round(partitionMs),
        rejoinMs: Math.round(rejoinMs),
        roleRestored,
      };
    },
  );
}

/** The isolated node's own view: its cluster_state, role and replicas (for the log). */
async function selfView(addr: { host: string; port: number }, password: string): Promise<string> {
  try {
    const c = await connectNode(addr, { password }, 1000);
    try {
      const info = parseInfo(String(await c.call('CLUSTER', 'INFO')));
      const repl = parseInfo(await c.info('replication'));
      return `cluster_state:${info.get('cluster_state')} role:${repl.get('role')} connected_slaves:${repl.get('connected_slaves')}`;
    } finally {
      await closeNode(c);
    }
  } catch (err) {
    return errorMessage(err);
  }
}

/** In this view, the replica `rid` is a master and the old master `mid` is failed or a replica. */
export function promoted(view: readonly ClusterNodeInfo[], mid: string, rid: string): boolean {
  const r = view.find((n) => n.id === rid);
  const m = view.find((n) => n.id === mid);
  return r?.role === 'master' && (m?.flags.includes('fail') === true || m?.role === 'replica');
}
