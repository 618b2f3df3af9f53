import type { Cluster } from 'ioredis';
import { connectClusterClient, type Target } from '../cluster/index.js';

/** A Cluster client authenticated as a tenant's ACL user, on the target's seeds: what a tenant's app would hold. */
export function connectAsTenant(target: Target, aclUser: string, password: string, connectTimeoutMs = 3000): Promise<Cluster> {
  // No per-node ready check: it sends INFO, which tenants are not granted.
  return connectClusterClient(target.seeds, { username: aclUser, password }, { connectTimeoutMs, readyCheck: false });
}
