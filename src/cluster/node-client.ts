import { Redis, type Cluster } from 'ioredis';
import { HarnessError } from '../errors.js';

export interface NodeAddress {
  host: string;
  port: number;
}

export interface Credentials {
  username?: string;
  password?: string;
}

/**
 * A plain (non-cluster) admin connection to one node: no retries, no offline queue,
 * so an unreachable node or a wrong password fails at once with a clear error.
 */
export async function connectNode(addr: NodeAddress, creds: Credentials, connectTimeoutMs = 3000): Promise<Redis> {
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
  });
  // ioredis reports the cause (ECONNREFUSED, WRONGPASS) as an 'error' event and rejects with "Connection is closed."
  let cause: unknown;
  client.on('error', (err: unknown) => {
    cause ??= err;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    throw explainConnectError(addr, cause ?? err);
  }
  return client;
}

/** Map low-level failures to what the user should do. */
export function explainConnectError(addr: NodeAddress, err: unknown): HarnessError {
  const msg = err instanceof Error ? err.message : String(err);
  const where = `${addr.host}:${addr.port}`;
  if (/WRONGPASS|invalid password|invalid username-password/i.test(msg)) {
    return new HarnessError(`${where}: authentication failed (${msg})`, 'check the password: CACHE_HARNESS_PASSWORD, or the user:pass in --target');
  }
  if (/NOAUTH/i.test(msg)) {
    return new HarnessError(`${where}: the server requires a password (${msg})`, 'give one: CACHE_HARNESS_PASSWORD, or redis://user:pass@host:port in --target');
  }
  if (/ECONNREFUSED|ETIMEDOUT|connect|Connection is closed/i.test(msg)) {
    return new HarnessError(`${where}: cannot connect (${msg})`, 'is the cluster running? `cache-harness status`, or start one with `cache-harness up`');
  }
  return new HarnessError(`${where}: ${msg}`);
}

/** Close quietly (the node may be gone already). Works for a node or a Cluster client. */
export async function closeNode(client: Redis | Cluster): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
