import type { Cluster, Redis } from 'ioredis';
import { errorMessage, HarnessError } from '../errors.js';
import { redact } from '../redact.js';
import { hostPort, type NodeAddress } from './address.js';

export interface Credentials {
  username?: string;
  password?: string;
}

/**
 * Connect a lazily created client (one node or a Cluster) and PING it; on failure, disconnect and throw
 * with the cause named. ioredis reports the cause (ECONNREFUSED, WRONGPASS) as an 'error' event and then
 * rejects with a generic "Connection is closed.": the first error event is the cause.
 */
export async function connectOrExplain<C extends Redis | Cluster>(client: C, where: NodeAddress): Promise<C> {
  let cause: unknown;
  client.on('error', (err: unknown) => {
    cause ??= err;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    throw explainConnectError(where, cause ?? err);
  }
  return client;
}

/** Map low-level failures to what the user should do. */
export function explainConnectError(addr: NodeAddress, err: unknown): HarnessError {
  const msg = redact(errorMessage(err));
  const where = hostPort(addr);
  if (/WRONGPASS|invalid password|invalid username-password/i.test(msg)) {
    return new HarnessError(
      `${where}: authentication failed (${msg})`,
      'check the password: CACHE_HARNESS_PASSWORD, or the user:pass in --target',
    );
  }
  if (/NOPERM/.test(msg)) return noAdminRights(where, msg);
  if (/cluster support disabled/i.test(msg)) {
    return new HarnessError(
      `${where}: not a Redis Cluster node (${msg})`,
      'name a node of a Redis Cluster (cluster-enabled yes) in --target; a standalone Redis is not supported',
    );
  }
  if (/NOAUTH/i.test(msg)) {
    return new HarnessError(
      `${where}: the server requires a password (${msg})`,
      'give one: CACHE_HARNESS_PASSWORD, or redis://user:pass@host:port in --target',
    );
  }
  if (/ECONNREFUSED|ETIMEDOUT|connect|Connection is closed/i.test(msg)) {
    return new HarnessError(
      `${where}: cannot connect (${msg})`,
      'is the cluster running? `cache-harness status`, or start one with `cache-harness up`',
    );
  }
  return new HarnessError(`${where}: ${msg}`);
}

const NOPERM_HINT =
  "give an admin user's credentials (a user allowed CLUSTER, ACL, SCAN and the data commands, such as `default`) " +
  "in --target or CACHE_HARNESS_PASSWORD; a tenant's own credentials are not enough";

function noAdminRights(where: string, msg: string): HarnessError {
  return new HarnessError(`${where}: the user lacks admin rights (${msg})`, NOPERM_HINT);
}

/**
 * A server's refusal of an admin operation (NOPERM, WRONGPASS, NOAUTH, a node without cluster support:
 * a reply, not a bug) as the
 * HarnessError that says what to do; anything else comes back unchanged. For errors past the connect
 * (CLUSTER NODES, ACL SETUSER...), e.g. when --target carries a tenant's credentials.
 */
export function explainAdminError(addr: NodeAddress, err: unknown): unknown {
  if (err instanceof HarnessError || !(err instanceof Error)) return err;
  return /^(NOPERM|WRONGPASS|NOAUTH)|cluster support disabled/.test(err.message) ? explainConnectError(addr, err) : err;
}
