import { HarnessError, errorMessage } from '../errors.js';
import type { Spec } from '../spec/index.js';
import { aclUserName, buildTenantMeta, loadQuotaScripts, metaKey, parseTenantMeta, type TenantId } from '../tenancy/index.js';
import { aclPipeline, deleteUsers, persistAcl, type NodePersist } from './acl-nodes.js';
import { repairUsers } from './acl-repair.js';
import { aclSetUserArgs } from './acl-rule.js';
import type { AdminSession } from './admin-session.js';
import { validateTenantInputs, type TenantInput, type TenantRequest } from './input.js';
import { generatePassword, sha256Hex } from './secrets.js';

export interface TenantCredential {
  tenant: string;
  plan: string;
  aclUser: string;
  password: string;
}

export interface ProvisionReport {
  /** New tenants with their passwords: the only time they are known in clear. */
  created: TenantCredential[];
  /** Already there with the same plan and channel: untouched, no new password. */
  existing: string[];
  /** Already there with another plan or channel: untouched, reported. */
  conflicts: Array<{ tenant: string; wanted: string; stored: string }>;
  /** Existing users re-created on nodes that lacked them. */
  aclRepaired: number;
  nodes: number;
  persisted: NodePersist[];
  timingsMs: { validate: number; meta: number; acl: number; persist: number; total: number };
}

export interface ProvisionOptions {
  /** Commands in flight per batch (meta writes) and per ACL pipeline. */
  chunk?: number;
  now?: Date;
  log?: (line: string) => void;
}

/**
 * Provision many tenants at once: validate all first (nothing written on any bad entry), claim the meta
 * keys with SET NX through the Cluster client (auto-pipelined per node), then one ACL pipeline per node
 * with every new user, then one persist per node. A failure after the claims rolls back this call's new tenants.
 */
export async function provisionMany(
  session: AdminSession,
  spec: Spec,
  inputs: readonly TenantInput[],
  opts: ProvisionOptions = {},
): Promise<ProvisionReport> {
  const chunk = opts.chunk ?? 1000;
  const log = opts.log ?? (() => undefined);
  const now = opts.now ?? new Date();
  const t0 = performance.now();
  const reqs = validateTenantInputs(spec, inputs);
  const planned = reqs.map((req) => ({ req, meta: buildTenantMeta(spec, req.tenant, req.plan, req.channel ?? 'mobile', now) }));
  const t1 = performance.now();

  const claimed: boolean[] = [];
  for (let i = 0; i < planned.length; i += chunk) {
    const batch = planned.slice(i, i + chunk);
    const res = await Promise.all(batch.map((p) => session.cluster.set(metaKey(p.req.tenant), JSON.stringify(p.meta), 'NX')));
    claimed.push(...res.map((r) => r !== null));
  }
  const fresh = planned.filter((_, i) => claimed[i]);
  const taken = reqs.filter((_, i) => !claimed[i]);
  log(`meta configs: ${fresh.length} new, ${taken.length} already there`);
  const t2 = performance.now();

  const created: TenantCredential[] = [];
  let persisted: NodePersist[];
  let t3: number;
  try {
    const hashes: string[] = [];
    for (const { meta } of fresh) {
      const password = generatePassword();
      created.push({ tenant: meta.tenant, plan: meta.plan, aclUser: meta.aclUser, password });
      hashes.push(sha256Hex(password));
    }
    const commands = fresh.map(({ req }, i) => aclSetUserArgs(req.tenant, hashes[i] ?? ''));
    await Promise.all(session.nodes.map((n) => aclPipeline(n, commands, chunk)));
    log(`ACL users: ${commands.length} on each of ${session.nodes.length} nodes`);
    t3 = performance.now();
    persisted = await persistAcl(session.nodes);
    // Tenants write through the quota scripts (EVALSHA; they are not granted EVAL): load them everywhere.
    await loadQuotaScripts(session.nodes.map((n) => n.client));
  } catch (err) {
    await rollback(session, fresh);
    throw new HarnessError(`provisioning failed; the ${fresh.length} new tenant(s) of this run were rolled back: ${errorMessage(err)}`);
  }
  const t4 = performance.now();

  const { existing, conflicts } = await classifyTaken(session, taken);
  const repair = await repairUsers(session.nodes, existing);
  if (repair.repaired.length > 0) persisted = await persistAcl(session.nodes);
  if (repair.missingEverywhere.length > 0) {
    log(
      `warning: ${repair.missingEverywhere.length} existing tenant(s) have no ACL user on any node (remove and re-create them): ${repair.missingEverywhere.slice(0, 5).join(', ')}`,
    );
  }
  return {
    created,
    existing,
    conflicts,
    aclRepaired: repair.repaired.length,
    nodes: session.nodes.length,
    persisted,
    timingsMs: { validate: t1 - t0, meta: t2 - t1, acl: t3 - t2, persist: t4 - t3, total: performance.now() - t0 },
  };
}

async function classifyTaken(
  session: AdminSession,
  taken: readonly TenantRequest[],
): Promise<{ existing: TenantId[]; conflicts: ProvisionReport['conflicts'] }> {
  const existing: TenantId[] = [];
  const conflicts: ProvisionReport['conflicts'] = [];
  const raws = await Promise.all(taken.map((t) => session.cluster.get(metaKey(t.tenant))));
  taken.forEach((t, i) => {
    const raw = raws[i];
    if (raw === null || raw === undefined) {
      conflicts.push({ tenant: t.tenant, wanted: t.plan, stored: '(deleted meanwhile)' });
      return;
    }
    const stored = parseTenantMeta(raw, metaKey(t.tenant));
    if (stored.plan === t.plan && (t.channel === undefined || t.channel === stored.channel)) existing.push(t.tenant);
    else
      conflicts.push({ tenant: t.tenant, wanted: `${t.plan}/${t.channel ?? stored.channel}`, stored: `${stored.plan}/${stored.channel}` });
  });
  return { existing, conflicts };
}

async function rollback(session: AdminSession, fresh: ReadonlyArray<{ req: TenantRequest }>): Promise<void> {
  await deleteUsers(
    session.nodes,
    fresh.map(({ req }) => aclUserName(req.tenant)),
  ).catch(() => undefined);
  await persistAcl(session.nodes).catch(() => undefined);
  await Promise.all(fresh.map(({ req }) => session.cluster.del(metaKey(req.tenant)))).catch(() => undefined);
}
