import { HarnessError, errorMessage } from '../errors.js';
import type { Spec } from '../spec/index.js';
import {
  aclUserName,
  buildTenantMeta,
  InvalidTenantMeta,
  loadQuotaScripts,
  metaKey,
  parseTenantMeta,
  type TenantMeta,
} from '../tenancy/index.js';
import { aclPipeline, deleteUsers, persistAcl, type NodePersist } from './acl-nodes.js';
import { repairUsers } from './acl-repair.js';
import { aclSetUserArgs } from './acl-rule.js';
import { limitsKeysOf, writeTenantLimits } from './create.js';
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
  /** Existing users whose rule was not the current one (an older harness wrote it), re-applied. */
  aclRuleUpdated: number;
  nodes: number;
  persisted: NodePersist[];
  timingsMs: { validate: number; meta: number; acl: number; persist: number; total: number };
}

export interface ProvisionOptions {
  /** Commands in flight per batch (meta writes) and per ACL pipeline. */
  chunk?: number;
  now?: Date;
  log?: (line: string) => void;
  /**
   * Store the new tenants' passwords (e.g. commit a credentials file) before the run counts as done: if
   * it throws, this run's new tenants are rolled back, so no tenant outlives its only copy of a password.
   */
  keepCredentials?: (created: readonly TenantCredential[]) => void;
}

/**
 * Provision many tenants at once: validate all first (nothing written on any bad entry), claim the meta
 * keys with SET NX through the Cluster client (auto-pipelined per node), then one ACL pipeline per node
 * with every new user, then one persist per node, then `keepCredentials`. A failure after the claims rolls back
 * this call's new tenants.
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
    const commands = fresh.map(({ meta }, i) => aclSetUserArgs(meta, hashes[i] ?? ''));
    await Promise.all(session.nodes.map((n) => aclPipeline(n, commands, chunk)));
    log(`ACL users: ${commands.length} on each of ${session.nodes.length} nodes`);
    t3 = performance.now();
    persisted = await persistAcl(session.nodes);
    // Tenants write through the quota scripts (EVALSHA; they are not granted EVAL): load them everywhere.
    await loadQuotaScripts(session.nodes.map((n) => n.client));
    // The quota limits key of each tenant-module (maxKeys, TTL ceilings): the scripts refuse writes without it.
    for (let i = 0; i < fresh.length; i += chunk)
      await Promise.all(fresh.slice(i, i + chunk).map(({ meta }) => writeTenantLimits(session, spec, meta)));
    opts.keepCredentials?.(created);
  } catch (err) {
    await Promise.all(fresh.flatMap(({ meta }) => limitsKeysOf(meta).map((k) => session.cluster.del(k)))).catch(() => undefined);
    await rollback(session, fresh);
    throw new HarnessError(
      `provisioning failed; the ${fresh.length} new tenant(s) of this run were rolled back: ${errorMessage(err)}`,
      err instanceof HarnessError ? err.hint : undefined,
    );
  }
  const t4 = performance.now();

  const { existing, conflicts } = await classifyTaken(session, taken);
  const repair = await repairUsers(session.nodes, existing);
  if (repair.repaired.length + repair.updated.length > 0) persisted = await persistAcl(session.nodes);
  if (repair.missingEverywhere.length > 0) {
    log(
      `warning: ${repair.missingEverywhere.length} existing tenant(s) have no ACL user on any node (remove and re-create them): ${repair.missingEverywhere.slice(0, 5).join(', ')}`,
    );
  }
  return {
    created,
    existing: existing.map((m) => m.tenant),
    conflicts,
    aclRepaired: repair.repaired.length,
    aclRuleUpdated: repair.updated.length,
    nodes: session.nodes.length,
    persisted,
    timingsMs: { validate: t1 - t0, meta: t2 - t1, acl: t3 - t2, persist: t4 - t3, total: performance.now() - t0 },
  };
}

async function classifyTaken(
  session: AdminSession,
  taken: readonly TenantRequest[],
): Promise<{ existing: TenantMeta[]; conflicts: ProvisionReport['conflicts'] }> {
  const existing: TenantMeta[] = [];
  const conflicts: ProvisionReport['conflicts'] = [];
  // A meta key that is not a tenant's (another type, not our JSON) is reported as a conflict, not thrown.
  const raws = await Promise.all(
    taken.map((t) =>
      session.cluster.get(metaKey(t.tenant)).then(
        (raw): { raw: string | null; problem?: string } => ({ raw }),
        (err: unknown) => {
          if (err instanceof Error && /^WRONGTYPE/.test(err.message)) return { raw: null, problem: err.message };
          throw err;
        },
      ),
    ),
  );
  taken.forEach((t, i) => {
    const got = raws[i];
    if (got === undefined || got.raw === null) {
      conflicts.push({
        tenant: t.tenant,
        wanted: t.plan,
        stored: got?.problem ? `(not a tenant meta config: ${got.problem})` : '(deleted meanwhile)',
      });
      return;
    }
    let stored;
    try {
      stored = parseTenantMeta(got.raw, metaKey(t.tenant));
    } catch (err) {
      if (!(err instanceof InvalidTenantMeta)) throw err;
      conflicts.push({ tenant: t.tenant, wanted: t.plan, stored: `(not a tenant meta config: ${err.message})` });
      return;
    }
    if (stored.plan === t.plan && (t.channel === undefined || t.channel === stored.channel)) existing.push(stored);
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
