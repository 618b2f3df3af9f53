import { Redis, type Cluster } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostPort, type NodeAddress } from '../cluster/address.js';
import { connectClusterClient } from '../cluster/cluster-client.js';
import { connectOrExplain } from '../cluster/connect.js';
import { closeNode } from '../cluster/node-client.js';
import { NO_OWNER, ownerIndex, slotsOf } from '../cluster/slot-ranges.js';
import { discoverNodes, targetCredentials, type Target } from '../cluster/target.js';
import { HarnessError, errorMessage } from '../errors.js';
import { SLOT_COUNT } from '../spec/index.js';
import { slotOf, tagForSlot } from '../tenancy/slot-tags.js';

/**
 * The Jepsen-style recorder of acknowledged writes: each write a new key (append-only, so a loss is
 * unambiguous) with a unique value, sent on a plain connection to the master that owns its slot (so the ack
 * is that node's, and WAIT goes to the connection that did the SET), paced and bounded. After the fault,
 * verifyAckedWrites reads every acknowledged key back: missing = lost, another value = stale.
 */
export type AckMode = 'plain' | 'wait';

export interface AckedWriterOptions {
  target: Target;
  /** 'wait': each SET is followed by WAIT <waitReplicas> <waitTimeoutMs> on the same node; acked only when WAIT answered >= waitReplicas. */
  mode: AckMode;
  /** Default 1. */
  waitReplicas?: number;
  /** Default 500. */
  waitTimeoutMs?: number;
  /** Unique per run, e.g. `acked:<run>:<mode>:`; keys spread over all masters' slots (or onlySlots). */
  keyPrefix: string;
  ratePerSec: number;
  maxWrites: number;
  /** Restrict the keys to these slot ranges (e.g. the faulted master's). */
  onlySlots?: ReadonlyArray<readonly [number, number]>;
  /** Writes in flight at once (a paused node holds its writes until the timeout). Default 64. */
  maxInFlight?: number;
  /**
   * Connections per master, writes spread round-robin. WAIT blocks its connection until it answers, so in
   * wait mode one connection would serialize every write to that master behind the slowest WAIT.
   * Default 1 (plain), 8 (wait).
   */
  connectionsPerMaster?: number;
  /** A write without a reply after this long counts as TIMEOUT (outcome unknown, not acked). Default 1000 (plain) or waitTimeoutMs + 1000. */
  replyTimeoutMs?: number;
}

/** One acknowledged write: which node acknowledged it and when (ms since the writer started). */
export interface AckRecord {
  value: string;
  /** `host:port` of the master whose reply acknowledged it. */
  node: string;
  ackedAtMs: number;
}

export interface AckedWriteLog {
  mode: AckMode;
  attempted: number;
  /** Writes whose reply (and WAIT, in wait mode) confirmed them. */
  acked: number;
  /** By kind: first word of the error (CLUSTERDOWN, MOVED, TIMEOUT, NOREPLICAS, WAIT_SHORT, CONNECTION...). */
  errors: Record<string, number>;
  /** Acked writes, compactly: key -> value written (values unique per write so a stale value is caught). */
  acknowledged: ReadonlyMap<string, string>;
  /** The same writes with the acknowledging node and the ack time. */
  ackRecords: ReadonlyMap<string, AckRecord>;
  /** When the writer started (Date.now()): ackedAtMs is relative to it. */
  startedAt: number;
  durationMs: number;
}

export interface AckedWriter {
  /** Stop writing, wait for the writes in flight, close the connections. */
  stop(): Promise<AckedWriteLog>;
  /** Resolves once maxWrites were attempted and answered (or stop() was called). */
  done: Promise<void>;
}

export interface AckedWriteCheck {
  checked: number;
  lost: number;
  stale: number;
  lostSample: string[];
  /** Every lost key (for the time span they cover: see ackRecords). */
  lostKeys: string[];
  staleSample: string[];
}

/** How the error counts name an error: the reply's first word (MOVED, CLUSTERDOWN...), or the client-side cause. */
export function errorKind(err: unknown): string {
  const msg = errorMessage(err);
  if (/timed out/i.test(msg)) return 'TIMEOUT';
  if (/ECONNREFUSED|ECONNRESET|EPIPE|Connection is closed|Stream isn't writeable|connect ETIMEDOUT|cannot connect/i.test(msg))
    return 'CONNECTION';
  const m = /^([A-Z][A-Z_]+)\b/.exec(msg);
  return m?.[1] ?? 'OTHER';
}

/** The i-th key: `<prefix>{<tag>}:<i>`, its slot cycling over `slots` with a large odd stride (spread over every range). */
export function ackedKey(prefix: string, i: number, slots: readonly number[]): string {
  const n = slots.length;
  const slot = slots[(i * 7919) % n];
  if (slot === undefined) throw new RangeError('no slot to write to');
  return `${prefix}{${tagForSlot(slot)}}:${i}`;
}

/** Read-back against the acknowledged writes: missing = lost, another value = stale. */
export function compareReadBack(
  acknowledged: ReadonlyMap<string, string>,
  read: ReadonlyMap<string, string | null>,
  sample = 10,
): AckedWriteCheck {
  const lostKeys: string[] = [];
  const staleSample: string[] = [];
  let stale = 0;
  for (const [key, value] of acknowledged) {
    const got = read.get(key);
    if (got === null || got === undefined) lostKeys.push(key);
    else if (got !== value) {
      stale++;
      if (staleSample.length < sample) staleSample.push(key);
    }
  }
  return { checked: acknowledged.size, lost: lostKeys.length, stale, lostSample: lostKeys.slice(0, sample), lostKeys, staleSample };
}

/** `MOVED 3999 127.0.0.1:6381` → slot and address (null for anything else). */
export function parseMoved(msg: string): { slot: number; addr: NodeAddress } | null {
  const m = /^MOVED (\d+) (.*):(\d+)$/.exec(msg.trim());
  if (!m) return null;
  return { slot: Number(m[1]), addr: { host: m[2] ?? '', port: Number(m[3]) } };
}

const REFRESH_MIN_INTERVAL_MS = 500;

export function startAckedWriter(o: AckedWriterOptions): AckedWriter {
  const waitReplicas = o.waitReplicas ?? 1;
  const waitTimeoutMs = o.waitTimeoutMs ?? 500;
  const replyTimeoutMs = o.replyTimeoutMs ?? (o.mode === 'wait' ? waitTimeoutMs + 1000 : 1000);
  const maxInFlight = o.maxInFlight ?? 64;
  const pool = Math.max(1, o.connectionsPerMaster ?? (o.mode === 'wait' ? 8 : 1));
  if (!(o.ratePerSec > 0)) throw new RangeError('ratePerSec must be > 0');
  const slots = o.onlySlots ? slotsOf(o.onlySlots) : Array.from({ length: SLOT_COUNT }, (_, i) => i);
  if (slots.length === 0) throw new RangeError('onlySlots holds no slot');
  const creds = targetCredentials(o.target);

  const startedAt = Date.now();
  const t0 = performance.now();
  const errors: Record<string, number> = {};
  const acknowledged = new Map<string, string>();
  const ackRecords = new Map<string, AckRecord>();
  let attempted = 0;
  let stopped = false;

  // Routing: per slot the owning master's address, from CLUSTER NODES; MOVED patches one slot and asks for a refresh.
  let masters: NodeAddress[] = [];
  let owner: Uint16Array = new Uint16Array(SLOT_COUNT).fill(NO_OWNER);
  let lastRefresh = -Infinity;
  let refreshing: Promise<void> | null = null;
  const refresh = (force: boolean): Promise<void> => {
    if (refreshing) return refreshing;
    if (!force && performance.now() - lastRefresh < REFRESH_MIN_INTERVAL_MS) return Promise.resolve();
    lastRefresh = performance.now();
    refreshing = discoverNodes(o.target)
      .then((nodes) => {
        const ms = nodes.filter((n) => n.role === 'master' && n.slots.length > 0);
        masters = ms.map((n) => ({ host: n.host, port: n.port }));
        owner = ownerIndex(ms);
      })
      .catch((err: unknown) => count(`REFRESH_${errorKind(err)}`))
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  };
  const patch = (slot: number, addr: NodeAddress): void => {
    let i = masters.findIndex((m) => m.host === addr.host && m.port === addr.port);
    if (i < 0) i = masters.push(addr) - 1;
    owner[slot] = i;
  };

  const conns = new Map<string, Promise<Redis>>();
  const connection = (addr: NodeAddress, i: number): Promise<Redis> => {
    const k = `${hostPort(addr)}#${i % pool}`;
    let c = conns.get(k);
    if (!c) {
      const client = new Redis({
        host: addr.host,
        port: addr.port,
        ...creds,
        lazyConnect: true,
        connectTimeout: 1000,
        commandTimeout: replyTimeoutMs,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: () => null,
      });
      c = connectOrExplain(client, addr);
      // A closed connection is dropped, so the next write to that node connects again.
      client.on('end', () => {
        if (conns.get(k) === c) conns.delete(k);
      });
      c.catch(() => {
        if (conns.get(k) === c) conns.delete(k);
      });
      conns.set(k, c);
    }
    return c;
  };

  function count(kind: string): void {
    errors[kind] = (errors[kind] ?? 0) + 1;
  }

  async function write(i: number): Promise<void> {
    const key = ackedKey(o.keyPrefix, i, slots);
    const value = `${i}:${startedAt}`;
    const slot = slotOf(key);
    const addr = masters[owner[slot] ?? NO_OWNER];
    if (!addr) {
      count('NO_OWNER');
      void refresh(false);
      return;
    }
    try {
      const client = await connection(addr, i);
      const p = client.pipeline().set(key, value);
      if (o.mode === 'wait') p.call('WAIT', waitReplicas, waitTimeoutMs);
      const res = (await p.exec()) ?? [];
      const [setRes, waitRes] = res;
      if (!setRes) throw new Error('no reply to SET');
      if (setRes[0]) throw setRes[0];
      if (o.mode === 'wait') {
        if (!waitRes) throw new Error('no reply to WAIT');
        if (waitRes[0]) throw waitRes[0];
        if (Number(waitRes[1]) < waitReplicas) {
          count('WAIT_SHORT');
          return;
        }
      }
      acknowledged.set(key, value);
      ackRecords.set(key, { value, node: hostPort(addr), ackedAtMs: Math.round(performance.now() - t0) });
    } catch (err) {
      const kind = errorKind(err);
      count(kind);
      const moved = kind === 'MOVED' ? parseMoved(errorMessage(err)) : null;
      if (moved) patch(moved.slot, moved.addr);
      if (kind !== 'TIMEOUT') void refresh(false);
    }
  }

  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    await refresh(true);
    const intervalMs = 1000 / o.ratePerSec;
    for (let i = 0; i < o.maxWrites && !stopped; i++) {
      const due = t0 + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (stopped) break;
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      attempted++;
      const w = write(i).finally(() => inFlight.delete(w));
      inFlight.add(w);
    }
    await Promise.all(inFlight);
  })();

  return {
    done: loop,
    async stop() {
      stopped = true;
      await loop;
      await refreshing;
      const clients = await Promise.allSettled(conns.values());
      conns.clear();
      await Promise.all(clients.map((r) => (r.status === 'fulfilled' ? closeNode(r.value) : Promise.resolve())));
      return {
        mode: o.mode,
        attempted,
        acked: acknowledged.size,
        errors,
        acknowledged,
        ackRecords,
        startedAt,
        durationMs: Math.round(performance.now() - t0),
      };
    },
  };
}

/** Read every acknowledged key back (from the masters, after the cluster is ok again): missing = lost, other value = stale. */
export async function verifyAckedWrites(target: Target, log: AckedWriteLog, timeoutMs = 60_000): Promise<AckedWriteCheck> {
  const client = await connectClusterClient(target.seeds, targetCredentials(target));
  let timer: NodeJS.Timeout | undefined;
  // A node that accepts but never answers would hold a GET forever: the read-back as a whole is bounded.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new HarnessError(
            `reading back ${log.acked} acknowledged writes took over ${timeoutMs} ms`,
            'is the cluster ok? `cache-harness status`',
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([readBack(client, log), deadline]);
  } finally {
    clearTimeout(timer);
    await closeNode(client);
  }
}

async function readBack(client: Cluster, log: AckedWriteLog): Promise<AckedWriteCheck> {
  const keys = [...log.acknowledged.keys()];
  const read = new Map<string, string | null>();
  const BATCH = 500;
  for (let i = 0; i < keys.length; i += BATCH) {
    const batch = keys.slice(i, i + BATCH);
    const values = await Promise.all(batch.map((k) => client.get(k)));
    batch.forEach((k, j) => read.set(k, values[j] ?? null));
  }
  return compareReadBack(log.acknowledged, read);
}
