import type { Redis } from 'ioredis';
import { parseInfo } from '../cluster/index.js';

/**
 * Per-node server signals the alerts and the dashboard need, as redis_exporter reads them (INFO and
 * LATENCY LATEST), one node at a time. Pure parsing here; the exporter names the node (`host:port`).
 */

export interface LatencyEvent {
  event: string;
  /** Unix time (s) of the latest spike. */
  lastAt: number;
  /** The latest spike's duration (ms, as LATENCY LATEST reports it). */
  latestMs: number;
}

export interface NodeSignals {
  role: 'master' | 'replica';
  version: string;
  usedMemoryBytes: number;
  /** 0: no limit (Redis's default). */
  maxMemoryBytes: number;
  evictedKeys: number;
  blockedClients: number;
  connectedClients: number;
  maxClients: number | null;
  commandsProcessed: number;
  /** Replicas only: whether the link to the master is up. */
  masterLinkUp: boolean | null;
  /** Masters only: each replica (`host:port`) and how many bytes of the replication stream it has not acknowledged. */
  replicaOffsetLag: Array<{ replica: string; bytes: number }>;
  latencyEvents: LatencyEvent[];
}

const num = (info: Map<string, string>, key: string): number => {
  const v = Number(info.get(key));
  return Number.isFinite(v) ? v : 0;
};

/** The signals of one node from its `INFO server clients memory stats replication` text and its LATENCY LATEST reply. Pure. */
export function parseNodeSignals(infoText: string, latencyLatest: unknown): NodeSignals {
  const info = parseInfo(infoText);
  const role = info.get('role') === 'slave' ? 'replica' : 'master';
  const masterOffset = num(info, 'master_repl_offset');
  const replicaOffsetLag: NodeSignals['replicaOffsetLag'] = [];
  for (const [key, value] of info) {
    if (!/^slave\d+$/.test(key)) continue;
    const f = new Map(value.split(',').map((kv) => kv.split('=') as [string, string]));
    const offset = Number(f.get('offset'));
    if (!f.get('ip') || !f.get('port') || !Number.isFinite(offset)) continue;
    replicaOffsetLag.push({ replica: `${f.get('ip')}:${f.get('port')}`, bytes: Math.max(0, masterOffset - offset) });
  }
  const maxClients = info.has('maxclients') ? num(info, 'maxclients') : null;
  return {
    role,
    version: info.get('redis_version') ?? 'unknown',
    usedMemoryBytes: num(info, 'used_memory'),
    maxMemoryBytes: num(info, 'maxmemory'),
    evictedKeys: num(info, 'evicted_keys'),
    blockedClients: num(info, 'blocked_clients'),
    connectedClients: num(info, 'connected_clients'),
    maxClients,
    commandsProcessed: num(info, 'total_commands_processed'),
    masterLinkUp: role === 'replica' ? info.get('master_link_status') === 'up' : null,
    replicaOffsetLag,
    latencyEvents: parseLatencyLatest(latencyLatest),
  };
}

/** LATENCY LATEST: `[[event, unix time, latest ms, max ms], ...]`; anything else is skipped. */
export function parseLatencyLatest(reply: unknown): LatencyEvent[] {
  if (!Array.isArray(reply)) return [];
  return reply.flatMap((row: unknown) => {
    if (!Array.isArray(row) || row.length < 3) return [];
    const [event, at, latest] = row as unknown[];
    const lastAt = Number(at);
    const latestMs = Number(latest);
    return typeof event === 'string' && Number.isFinite(lastAt) && Number.isFinite(latestMs) ? [{ event, lastAt, latestMs }] : [];
  });
}

/** One node's signals, read as admin: INFO (the sections needed, one call) and LATENCY LATEST. */
export async function readNodeSignals(node: Redis): Promise<NodeSignals> {
  const [infoText, latency] = await Promise.all([
    node.call('INFO', 'server', 'clients', 'memory', 'stats', 'replication'),
    node.call('LATENCY', 'LATEST'),
  ]);
  return parseNodeSignals(String(infoText), latency);
}
