import type { Redis } from 'ioredis';
import { Redis as RedisClient } from 'ioredis';
import { isLoopbackHost, type NodeAddress } from '../cluster/index.js';
import { errorMessage } from '../errors.js';

export interface AuthProblem {
  node: string;
  message: string;
}

/** What one node says about its own authentication, gathered live. */
export interface AuthFacts {
  node: string;
  requirepass: string;
  masterauth: string;
  /** ACL LIST lines. */
  aclUsers: string[];
  /** The reply to a command sent with no credentials at all. */
  anonymousReply: string;
}

export async function collectAuthFacts(node: string, admin: Redis, addr: NodeAddress): Promise<AuthFacts> {
  const cfg = (await admin.call('CONFIG', 'GET', 'requirepass', 'masterauth')) as string[];
  const get = (k: string) => String(cfg[cfg.indexOf(k) + 1] ?? '');
  const aclUsers = ((await admin.call('ACL', 'LIST')) as string[]).map(String);
  return { node, requirepass: get('requirepass'), masterauth: get('masterauth'), aclUsers, anonymousReply: await anonymousPing(addr) };
}

/** PING with no AUTH: a protected node answers NOAUTH. */
async function anonymousPing(addr: NodeAddress): Promise<string> {
  const c = new RedisClient({
    host: addr.host,
    port: addr.port,
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: 1500,
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return String(await c.ping());
  } catch (err) {
    return errorMessage(err);
  } finally {
    c.disconnect();
  }
}

/** requirepass and masterauth set; no enabled user without a password; anonymous clients refused. Pure. */
export function checkAuth(f: AuthFacts): AuthProblem[] {
  const out: AuthProblem[] = [];
  if (f.requirepass === '') out.push({ node: f.node, message: 'requirepass is not set: anyone who reaches the port is admin' });
  if (f.masterauth === '')
    out.push({
      node: f.node,
      message: 'masterauth is not set: with requirepass, replicas get NOAUTH and never sync, and failover is refused',
    });
  for (const line of f.aclUsers) {
    const [, user, state, ...rules] = line.split(' ');
    if (state === 'on' && rules.includes('nopass'))
      out.push({ node: f.node, message: `ACL user "${user}" is enabled with no password (nopass)` });
  }
  if (!/NOAUTH/i.test(f.anonymousReply))
    out.push({ node: f.node, message: `a client with no password got "${f.anonymousReply}" instead of NOAUTH` });
  return out;
}

/** Every bind address must be loopback: the harness's cluster is for this machine only. */
export function checkBindLoopback(node: string, bind: string): AuthProblem[] {
  const addrs = bind
    .split(/\s+/)
    .filter(Boolean)
    .map((a) => a.replace(/^-/, ''));
  const bad = addrs.filter((a) => !isLoopbackHost(a));
  if (addrs.length === 0) return [{ node, message: 'no bind address: listens on every interface' }];
  return bad.map((a) => ({ node, message: `binds ${a}, which is not loopback` }));
}
