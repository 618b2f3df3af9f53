import { aclUserName, type TenantId, type TenantMeta } from '../tenancy/index.js';
import { aclPipeline } from './acl-nodes.js';
import { aclSetUserArgs } from './acl-rule.js';
import type { AdminNode } from './admin-session.js';

export interface AclRepair {
  /** Users re-created on nodes that lacked them, from the password hash another node holds. */
  repaired: Array<{ tenant: string; nodes: string[] }>;
  /** Users whose rule on a node was not the current one (an older harness wrote it), re-applied there. */
  updated: Array<{ tenant: string; nodes: string[] }>;
  /** Tenants whose user no node has: only a new password can fix these. */
  missingEverywhere: string[];
}

/** Every user's rule line on a node (ACL LIST: `user <name> on #<sha256> ~... +...`), by user name. */
async function aclLines(node: AdminNode): Promise<Map<string, string>> {
  const lines = ((await node.client.call('ACL', 'LIST')) as unknown[]).map(String);
  return new Map(lines.map((l) => [l.split(' ')[1] ?? '', l]));
}

/** The password hash in a rule line (`#<sha256>`): all SETUSER needs, the password itself is not known here. */
const hashOf = (line: string | undefined): string | undefined =>
  line
    ?.split(' ')
    .find((t) => /^#[0-9a-f]{64}$/.test(t))
    ?.slice(1);

/**
 * For tenants that already exist: their ACL user on every node, with the current rule. A node added or
 * restarted without its aclfile lacks the user (re-created from another node's hash); a user written by
 * an older harness keeps its old grants until re-applied (SETUSER starts with `reset`, so re-applying the
 * current rule is idempotent). Changed nodes are told apart by comparing ACL LIST before and after.
 */
export async function repairUsers(nodes: readonly AdminNode[], metas: readonly TenantMeta[]): Promise<AclRepair> {
  const before = await Promise.all(nodes.map(aclLines));
  const repaired: AclRepair['repaired'] = [];
  const missingEverywhere: string[] = [];
  const applied: TenantId[] = [];
  const commands: string[][] = [];
  for (const meta of metas) {
    const tenant = meta.tenant;
    const user = aclUserName(tenant);
    const hash = before.map((lines) => hashOf(lines.get(user))).find((h) => h !== undefined);
    if (hash === undefined) {
      missingEverywhere.push(tenant);
      continue;
    }
    const lacking = nodes.filter((_, i) => !before[i]?.has(user));
    if (lacking.length > 0) repaired.push({ tenant, nodes: lacking.map((n) => n.address) });
    applied.push(tenant);
    commands.push(aclSetUserArgs(meta, hash));
  }
  if (commands.length === 0) return { repaired, updated: [], missingEverywhere };
  await Promise.all(nodes.map((n) => aclPipeline(n, commands)));
  const after = await Promise.all(nodes.map(aclLines));
  const updated: AclRepair['updated'] = [];
  for (const tenant of applied) {
    const user = aclUserName(tenant);
    const changed = nodes.filter((_, i) => before[i]?.has(user) && before[i]?.get(user) !== after[i]?.get(user));
    if (changed.length > 0) updated.push({ tenant, nodes: changed.map((n) => n.address) });
  }
  return { repaired, updated, missingEverywhere };
}
