import { Cluster } from 'ioredis';
import type { NodeAddress } from './address.js';
import { connectOrExplain, type Credentials } from './connect.js';

export interface ClusterClientOptions {
  /** Batch concurrent commands per node: what bulk writes and fills rely on. Default true. */
  autoPipelining?: boolean;
  connectTimeoutMs?: number;
  /** ioredis's per-node ready check (INFO). Off for tenant users, who are not granted INFO. Default true. */
  readyCheck?: boolean;
  /** Refresh the slot map this often (ioredis's slotsRefreshInterval), as a long-lived application client would; default off. */
  slotsRefreshIntervalMs?: number;
  /** Fail a command that has no reply after this long (ioredis's commandTimeout); default none. */
  commandTimeoutMs?: number;
}

/** An ioredis Cluster (admin or tenant credentials) that fails at once instead of retrying forever, with the cause named. */
export function connectClusterClient(seeds: readonly NodeAddress[], creds: Credentials, opts: ClusterClientOptions = {}): Promise<Cluster> {
  const [seed] = seeds;
  if (!seed) return Promise.reject(new Error('no seed node'));
  const timeout = opts.connectTimeoutMs ?? 3000;
  const cluster = new Cluster(
    seeds.map((s) => ({ host: s.host, port: s.port })),
    {
      redisOptions: {
        ...creds,
        connectTimeout: timeout,
        maxRetriesPerRequest: 1,
        enableReadyCheck: opts.readyCheck ?? true,
        ...(opts.commandTimeoutMs !== undefined ? { commandTimeout: opts.commandTimeoutMs } : {}),
      },
      lazyConnect: true,
      enableAutoPipelining: opts.autoPipelining ?? true,
      slotsRefreshTimeout: timeout,
      clusterRetryStrategy: () => null,
      ...(opts.slotsRefreshIntervalMs !== undefined ? { slotsRefreshInterval: opts.slotsRefreshIntervalMs } : {}),
    },
  );
  return connectOrExplain(cluster, seed);
}
