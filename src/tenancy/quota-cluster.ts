import { Cluster } from 'ioredis';

export interface QuotaClusterOptions {
  seeds: ReadonlyArray<{ host: string; port: number }>;
  username?: string;
  password?: string;
  /** Batch concurrent commands per node (ioredis autopipelining): what the benches and fills use. */
  autoPipelining?: boolean;
  readyTimeoutMs?: number;
}

/**
 * An ioredis Cluster for quota writes (tenant or admin credentials), ready or rejected within
 * `readyTimeoutMs`: reads and writes go to masters, the offline queue is off once ready.
 */
export async function openQuotaCluster(o: QuotaClusterOptions): Promise<Cluster> {
  const cluster = new Cluster(
    o.seeds.map((s) => ({ host: s.host, port: s.port })),
    {
      scaleReads: 'master',
      enableAutoPipelining: o.autoPipelining ?? false,
      maxRedirections: 16,
      clusterRetryStrategy: (times) => (times > 5 ? null : 100 * times),
      redisOptions: {
        ...(o.username ? { username: o.username } : {}),
        ...(o.password ? { password: o.password } : {}),
        connectTimeout: 3000,
        maxRetriesPerRequest: 2,
        // The per-node ready check sends INFO, which tenants are not granted (acl-rule.ts); the Cluster's own uses CLUSTER INFO.
        enableReadyCheck: false,
      },
    },
  );
  let lastError: unknown;
  cluster.on('error', (err: unknown) => {
    lastError = err;
  });
  const timeoutMs = o.readyTimeoutMs ?? 10_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`cluster client not ready after ${timeoutMs} ms${lastError instanceof Error ? `: ${lastError.message}` : ''}`)),
        timeoutMs,
      );
      cluster.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      cluster.once('end', () => {
        clearTimeout(timer);
        reject(new Error(`cluster client closed before ready${lastError instanceof Error ? `: ${lastError.message}` : ''}`));
      });
    });
  } catch (err) {
    cluster.disconnect();
    throw err;
  }
  return cluster;
}

/** Close quietly. */
export async function closeQuotaCluster(cluster: Cluster): Promise<void> {
  try {
    await cluster.quit();
  } catch {
    cluster.disconnect();
  }
}
