import { Redis, type Cluster } from 'ioredis';
import type { NodeAddress } from './address.js';
import { connectOrExplain, type Credentials } from './connect.js';

/**
 * A plain (non-cluster) admin connection to one node: no retries, no offline queue,
 * so an unreachable node or a wrong password fails at once with a clear error. With `commandTimeoutMs`, a command
 * (the connect's PING included) that gets no reply in time fails too: a stopped (SIGSTOP) node accepts connections.
 */
export function connectNode(addr: NodeAddress, creds: Credentials, connectTimeoutMs = 3000, commandTimeoutMs?: number): Promise<Redis> {
  const client = new Redis({
    host: addr.host,
    port: addr.port,
    ...(creds.username ? { username: creds.username } : {}),
    ...(creds.password ? { password: creds.password } : {}),
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    ...(commandTimeoutMs !== undefined ? { commandTimeout: commandTimeoutMs } : {}),
  });
  return connectOrExplain(client, addr);
}

/** Close quietly (the node may be gone already). Works for a node or a Cluster client. */
export async function closeNode(client: Redis | Cluster): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
