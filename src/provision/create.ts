import { HarnessError } from '../errors.js';
import type { Spec } from '../spec/index.js';
import {
  aclUserName,
  buildTenantMeta,
  limitsKeyOf,
  loadQuotaScripts,
  metaKey,
  modulePlacement,
  parseTenantMeta,
  tenantQuotaLimits,
  writeQuotaLimits,
  type ModuleName,
  type TenantMeta,
} from '../tenancy/index.js';
import { aclPipeline, deleteUsers, persistAcl, type NodePersist } from './acl-nodes.js';
import { repairUsers } from './acl-repair.js';
import { aclSetUserArgs } from './acl-rule.js';
import type { AdminSession } from './admin-session.js';
import { validateTenantInput, type TenantInput, type TenantRequest } from './input.js';
import { generatePassword, sha256Hex } from './secrets.js';

export interface CreateOptions {
  /** Rewrite an existing tenant's meta config when its plan or channel differs (the ACL user and password stay). */
  changePlan?: boolean;
  now?: Date;
}

export type CreateResult =
  | { status: 'created'; meta: TenantMeta; password: string; aclNodes: string[]; persisted: NodePersist[] }
  /** Same plan and channel: nothing rewritten, no password (it is never rotated silently). Missing ACL copies are repaired. */
  | { status: 'exists'; meta: TenantMeta; aclRepairedOn: string[]; aclRuleUpdatedOn: string[]; persisted: NodePersist[] }
  | { status: 'plan-changed'; meta: TenantMeta; previous: { plan: string; channel: string } };

/**
 * Create a tenant: validate (nothing is written on a bad id, plan or channel), claim the meta key with
 * SET NX (no TTL), then its ACL user on every node, then persist on every node, then the quota limits
 * key of each module (`writeTenantLimits`). A failure after the claim rolls back what this call wrote.
 * Creating an existing tenant again (same plan) rewrites its limits keys from the spec: the repair for a
 * tenant created before they existed, whose quota writes are refused (NOLIMITS) until then.
 */
export async function createTenant(session: AdminSession, spec: Spec, input: TenantInput, opts: CreateOptions = {}): Promise<CreateResult> {
  const req = validateTenantInput(spec, input);
  const key = metaKey(req.tenant);
  const meta = buildTenantMeta(spec, req.tenant, req.plan, req.channel ?? 'mobile', opts.now ?? new Date());
  const claimed = await session.cluster.set(key, JSON.stringify(meta), 'NX');
  if (claimed === null) return existing(session, spec, req, opts);

  const password = generatePassword();
  const args = aclSetUserArgs(meta, sha256Hex(password));
  try {
    await Promise.all(session.nodes.map((n) => aclPipeline(n, [args])));
    const persisted = await persistAcl(session.nodes);
    await loadQuotaScripts(session.nodes.map((n) => n.client)); // tenants write via EVALSHA of these
    await writeTenantLimits(session, spec, meta);
    return { status: 'created', meta, password, aclNodes: session.nodes.map((n) => n.address), persisted };
  } catch (err) {
    await rollback(session, key, aclUserName(req.tenant), meta);
    throw err;
  }
}

async function existing(session: AdminSession, spec: Spec, req: TenantRequest, opts: CreateOptions): Promise<CreateResult> {
  const key = metaKey(req.tenant);
  const raw = await session.cluster.get(key);
  if (raw === null) throw new HarnessError(`${key} was deleted while tenant ${req.tenant} was being created`, 'run the command again');
  const stored = parseTenantMeta(raw, key);
  const channel = req.channel ?? stored.channel;
  if (stored.plan === req.plan && channel === stored.channel) {
    const repair = await repairUsers(session.nodes, [stored]);
    if (repair.missingEverywhere.length > 0) {
      throw new HarnessError(
        `tenant ${req.tenant} exists but its ACL user ${stored.aclUser} is on no node`,
        `remove it (\`cache-harness tenant remove ${req.tenant}\`) and create it again to get a new password`,
      );
    }
    const aclRepairedOn = repair.repaired.flatMap((r) => r.nodes);
    const aclRuleUpdatedOn = repair.updated.flatMap((r) => r.nodes);
    await writeTenantLimits(session, spec, stored);
    const changed = aclRepairedOn.length + aclRuleUpdatedOn.length > 0;
    return { status: 'exists', meta: stored, aclRepairedOn, aclRuleUpdatedOn, persisted: changed ? await persistAcl(session.nodes) : [] };
  }
  if (!opts.changePlan) {
    const what = stored.plan !== req.plan ? `plan ${stored.plan}` : `channel ${stored.channel}`;
    throw new HarnessError(
      `tenant ${req.tenant} already exists with ${what}; nothing was changed`,
      `pass --change-plan to move it to plan ${req.plan}, channel ${channel}`,
    );
  }
  // Rebuilt from the spec for the new plan; identity (creation time, ACL user, password) is kept.
  const meta = buildTenantMeta(spec, req.tenant, req.plan, channel, new Date(stored.createdAt));
  if ((await session.cluster.set(key, JSON.stringify(meta), 'XX')) === null) {
    throw new HarnessError(`${key} was deleted while tenant ${req.tenant}'s plan was being changed`, 'run the command again');
  }
  await writeTenantLimits(session, spec, meta, stored);
  return { status: 'plan-changed', meta, previous: { plan: stored.plan, channel: stored.channel } };
}

/**
 * Write the quota limits key of each of the tenant's modules (maxKeys, TTL ceilings: quota-limits.ts), through
 * the admin. Given the `previous` meta of a plan change, also delete the limits keys of modules the new plan
 * drops (their quota writes are then refused). Also used by bulk provisioning.
 */
export async function writeTenantLimits(session: AdminSession, spec: Spec, meta: TenantMeta, previous?: TenantMeta): Promise<void> {
  const entries = tenantQuotaLimits(spec, meta);
  await Promise.all(entries.map((e) => writeQuotaLimits(session.cluster, e.key, e.limits)));
  const kept = new Set(entries.map((e) => e.key));
  const dropped = previous ? limitsKeysOf(previous).filter((k) => !kept.has(k)) : [];
  await Promise.all(dropped.map((k) => session.cluster.del(k)));
}

/** The limits keys a meta config implies (modules with a hash tag). */
export function limitsKeysOf(meta: TenantMeta): string[] {
  return meta.modules.flatMap((m) => {
    const p = modulePlacement(meta, m);
    return p.tag === null ? [] : [limitsKeyOf(meta.tenant, m as ModuleName, p)];
  });
}

/** Undo a half-done create: the user on every node, then the limits keys and the meta claim. Errors here must not hide the first one. */
async function rollback(session: AdminSession, key: string, user: string, meta: TenantMeta): Promise<void> {
  await deleteUsers(session.nodes, [user]).catch(() => undefined);
  await persistAcl(session.nodes).catch(() => undefined);
  await Promise.all(limitsKeysOf(meta).map((k) => session.cluster.del(k).catch(() => undefined)));
  await session.cluster.del(key).catch(() => undefined);
}
