import { Cluster } from 'ioredis';
import { explainConnectError, type Credentials, type NodeAddress } from './node-client.js';

export interface ClusterClientOptions {
  /** Batch concurrent commands per node: what bulk writes and fills rely on. Default true. */
  autoPipelining?: boolean;
  connectTimeoutMs?: number;
}

/**
 * An ioredis Cluster (admin or tenant credentials) that fails at once instead of retrying forever,
 * with the cause (ECONNREFUSED, WRONGPASS) named: ioredis reports it as an event and rejects generically.
 */
export async function connectClusterClient(seeds: readonly NodeAddress[], creds: Credentials, opts: ClusterClientOptions = {}): Promise<Cluster> {
  const [seed] = seeds;
  if (!seed) throw new Error('no seed node');
  const timeout = opts.connectTimeoutMs ?? 3000;
  const cluster = new Cluster(seeds.map((s) => ({ host: s.host, port: s.port })), {
    redisOptions: { ...creds, connectTimeout: timeout, maxRetriesPerRequest: 1 },
    lazyConnect: true,
    enableAutoPipelining: opts.autoPipelining ?? true,
    slotsRefreshTimeout: timeout,
    clusterRetryStrategy: () => null,
  });
  let cause: unknown;
  cluster.on('error', (err: unknown) => {
    cause ??= err;
  });
  try {
    await cluster.connect();
    await cluster.ping();
  } catch (err) {
    cluster.disconnect();
    throw explainConnectError(seed, cause ?? err);
  }
  return cluster;
}
