import { scanKeys } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import {
  aclUserName,
  escapeGlob,
  InvalidTenantMeta,
  limitsPrefix,
  metaKey,
  parseTenantMeta,
  slotGroups,
  type TenantId,
  type TenantMeta,
} from '../tenancy/index.js';
import { deleteUsers, persistAcl, type NodePersist } from './acl-nodes.js';
import type { AdminNode, AdminSession } from './admin-session.js';
import { limitsKeysOf } from './create.js';
import { parseTenantIdInput } from './input.js';
import { tenantKeysMatch } from './scan.js';

export interface RemoveResult {
  tenant: string;
  /** The meta config existed (and was deleted). */
  metaFound: boolean;
  plan: string | null;
  keysRemoved: Array<{ node: string; keys: number }>;
  totalKeys: number;
  aclUserRemovedOn: string[];
  persisted: NodePersist[];
  durationMs: number;
}

/** Keys per UNLINK: one slot per command (a cross-slot UNLINK is CROSSSLOT), bounded in size. */
const UNLINK_BATCH = 500;

/**
 * Remove a tenant: first its ACL user on every node (Redis drops its connections, so it cannot write
 * while we delete), persisted; then its keys (SCAN `cliente:<id>:*` escaped, on every master; UNLINK
 * per slot); then its quota limits keys; the meta config last, so a failed remove still lists the tenant and can be re-run.
 * Idempotent: removing an unknown tenant removes nothing and says so.
 */
export async function removeTenant(session: AdminSession, rawId: string): Promise<RemoveResult> {
  const t0 = performance.now();
  const tenant = parseTenantIdInput(rawId);
  const key = metaKey(tenant);
  const raw = await session.cluster.get(key);
  let plan: string | null = null;
  let meta: TenantMeta | null = null;
  if (raw !== null) {
    try {
      meta = parseTenantMeta(raw, key);
      plan = meta.plan;
    } catch (err) {
      if (!(err instanceof InvalidTenantMeta)) throw err; // a broken meta is still removed, with no plan to report
    }
  }
  const deleted = await deleteUsers(session.nodes, [aclUserName(tenant)]);
  const persisted = await persistAcl(session.nodes);
  const keysRemoved = await Promise.all(
    session.masters.map(async (m) => ({ node: m.address, keys: await unlinkMatching(m, tenant, tenantKeysMatch(tenant)) })),
  );
  // The quota limits keys (outside cliente:<id>:*): named by the meta; without a valid meta, found by SCAN.
  if (meta) await Promise.all(limitsKeysOf(meta).map((k) => session.cluster.del(k)));
  else await Promise.all(session.masters.map((m) => unlinkMatching(m, tenant, `${escapeGlob(limitsPrefix(tenant))}*`)));
  const metaDeleted = await session.cluster.del(key);
  return {
    tenant,
    metaFound: metaDeleted > 0,
    plan,
    keysRemoved,
    totalKeys: keysRemoved.reduce((a, k) => a + k.keys, 0),
    aclUserRemovedOn: deleted.filter((d) => d.deleted > 0).map((d) => d.node),
    persisted,
    durationMs: performance.now() - t0,
  };
}

/** SCAN one master for `match` and UNLINK what matched, grouped by slot, one pipeline per SCAN batch. */
async function unlinkMatching(node: AdminNode, tenant: TenantId, match: string): Promise<number> {
  let removed = 0;
  for await (const keys of scanKeys(node.client, { match })) {
    const p = node.client.pipeline();
    for (const group of slotGroups(keys, UNLINK_BATCH)) p.unlink(...group);
    for (const [err, n] of (await p.exec()) ?? []) {
      // MOVED/ASK here means a slot moved during the remove: stop and say so rather than report a partial count as done.
      if (err)
        throw new HarnessError(
          `${node.address}: UNLINK failed while removing tenant ${tenant}: ${err.message}`,
          'run `tenant remove` again when the cluster is stable',
        );
      removed += Number(n);
    }
  }
  return removed;
}
