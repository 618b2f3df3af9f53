import { Counter, Gauge, type Registry } from 'prom-client';
import type { NodeSignals } from './node-signals.js';
import { SERVED_METRICS as S } from './served-metrics.js';
import { metricConfig } from './tenant-metrics.js';

/** One node's read: its signals, or why it could not be read (its series then say redis_up 0 only). */
export interface NodeRead {
  /** `host:port`, the `node` label. */
  node: string;
  signals: NodeSignals | null;
}

type N = 'node';

/** The per-node series (served-metrics.ts), replaced as a whole by each read of the live cluster. */
export class NodeMetrics {
  private readonly up: Gauge<N>;
  private readonly info: Gauge<'node' | 'role' | 'redis_version'>;
  private readonly memoryUsed: Gauge<N>;
  private readonly memoryMax: Gauge<N>;
  private readonly evicted: Counter<N>;
  private readonly blocked: Gauge<N>;
  private readonly connected: Gauge<N>;
  private readonly maxClients: Gauge<N>;
  private readonly commands: Counter<N>;
  private readonly linkUp: Gauge<N>;
  private readonly replicaLag: Gauge<N>;
  private readonly spikeLast: Gauge<'node' | 'event_name'>;
  private readonly spikeDuration: Gauge<'node' | 'event_name'>;

  constructor(registry: Registry) {
    const cfg = <L extends string>(def: (typeof S)[keyof typeof S]) => metricConfig<L>(def, registry);
    this.up = new Gauge(cfg<N>(S.nodeUp));
    this.info = new Gauge(cfg<'node' | 'role' | 'redis_version'>(S.nodeInfo));
    this.memoryUsed = new Gauge(cfg<N>(S.memoryUsed));
    this.memoryMax = new Gauge(cfg<N>(S.memoryMax));
    this.evicted = new Counter(cfg<N>(S.evictedKeys));
    this.blocked = new Gauge(cfg<N>(S.blockedClients));
    this.connected = new Gauge(cfg<N>(S.connectedClients));
    this.maxClients = new Gauge(cfg<N>(S.maxClients));
    this.commands = new Counter(cfg<N>(S.commandsProcessed));
    this.linkUp = new Gauge(cfg<N>(S.masterLinkUp));
    this.replicaLag = new Gauge(cfg<N>(S.replicaLag));
    this.spikeLast = new Gauge(cfg<'node' | 'event_name'>(S.latencySpikeLast));
    this.spikeDuration = new Gauge(cfg<'node' | 'event_name'>(S.latencySpikeDuration));
  }

  /** Replace every per-node series with this read (a node gone from the cluster disappears). */
  apply(reads: readonly NodeRead[]): void {
    for (const m of [this.up, this.info, this.memoryUsed, this.memoryMax, this.evicted, this.blocked, this.connected]) m.reset();
    for (const m of [this.maxClients, this.commands, this.linkUp, this.replicaLag, this.spikeLast, this.spikeDuration]) m.reset();
    for (const { node, signals: s } of reads) {
      this.up.set({ node }, s ? 1 : 0);
      if (!s) continue;
      this.info.set({ node, role: s.role, redis_version: s.version }, 1);
      this.memoryUsed.set({ node }, s.usedMemoryBytes);
      this.memoryMax.set({ node }, s.maxMemoryBytes);
      // Counters mirror the node's own totals (reset, then the current value): a restart shows as a counter reset.
      this.evicted.inc({ node }, s.evictedKeys);
      this.commands.inc({ node }, s.commandsProcessed);
      this.blocked.set({ node }, s.blockedClients);
      this.connected.set({ node }, s.connectedClients);
      if (s.maxClients !== null) this.maxClients.set({ node }, s.maxClients);
      if (s.masterLinkUp !== null) this.linkUp.set({ node }, s.masterLinkUp ? 1 : 0);
      for (const e of s.latencyEvents) {
        this.spikeLast.set({ node, event_name: e.event }, e.lastAt);
        this.spikeDuration.set({ node, event_name: e.event }, e.latestMs / 1000);
      }
    }
    // A replica's lag comes from its master's INFO: label it with the replica's address.
    for (const { signals: s } of reads) for (const r of s?.replicaOffsetLag ?? []) this.replicaLag.set({ node: r.replica }, r.bytes);
  }
}
