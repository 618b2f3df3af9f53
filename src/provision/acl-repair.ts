import { aclUserName, type TenantId } from '../tenancy/index.js';
import { aclPipeline, passwordHashesOf, usersOn } from './acl-nodes.js';
import { aclSetUserArgs } from './acl-rule.js';
import type { AdminNode } from './admin-session.js';

export interface AclRepair {
  /** Users re-created on nodes that lacked them, from the password hash another node holds. */
  repaired: Array<{ tenant: string; nodes: string[] }>;
  /** Tenants whose user no node has: only a new password can fix these. */
  missingEverywhere: string[];
}

/**
 * For tenants that already exist: make sure their ACL user is on every node (a node added or restarted
 * without its aclfile lacks it). The password is not known here, only its hash, which is all SETUSER needs.
 */
export async function repairUsers(nodes: readonly AdminNode[], tenants: readonly TenantId[]): Promise<AclRepair> {
  const known = await Promise.all(nodes.map(usersOn));
  const repaired: AclRepair['repaired'] = [];
  const missingEverywhere: string[] = [];
  const perNode = new Map<AdminNode, string[][]>();
  for (const tenant of tenants) {
    const user = aclUserName(tenant);
    const lacking = nodes.filter((_, i) => !known[i]?.has(user));
    if (lacking.length === 0) continue;
    const holder = nodes.find((_, i) => known[i]?.has(user));
    const hash = holder ? (await passwordHashesOf(holder, user))?.[0] : undefined;
    if (hash === undefined) {
      missingEverywhere.push(tenant);
      continue;
    }
    for (const n of lacking) {
      const cmds = perNode.get(n) ?? [];
      cmds.push(aclSetUserArgs(tenant, hash));
      perNode.set(n, cmds);
    }
    repaired.push({ tenant, nodes: lacking.map((n) => n.address) });
  }
  await Promise.all([...perNode].map(([n, cmds]) => aclPipeline(n, cmds)));
  return { repaired, missingEverywhere };
}
