import { HarnessError } from '../errors.js';
import { openAdminSession, provisionMany, removeTenant, type AdminSession } from '../provision/index.js';
import type { Spec } from '../spec/index.js';
import { metaKey, parseTenantId, parseTenantMeta } from '../tenancy/index.js';
import type { TenantCredentials } from './drivers/index.js';
import { buildPopulation } from './population.js';
import type { Workload } from './workload.js';

export interface ProvisionedBenchTenants {
  tenants: TenantCredentials[];
  /** Remove the tenants (ACL users on every node, their keys, their meta), then close the admin session. */
  remove(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Provision the run's synthetic tenants (`bench-000001`, ...) with their own ACL users, for the tenant-cache
 * driver. Leftovers of an interrupted run (same ids, password unknown) are removed first, on targets the
 * harness may change only.
 */
export async function provisionBenchTenants(
  spec: Spec,
  target: Parameters<typeof openAdminSession>[0],
  w: Workload,
  log: (l: string) => void,
): Promise<ProvisionedBenchTenants> {
  const session: AdminSession = await openAdminSession(target);
  try {
    const population = buildPopulation(spec, w);
    const inputs = population.map((t) => ({ id: t.id, plan: t.plan, channel: 'mobile' }));
    let report = await provisionMany(session, spec, inputs);
    const stale = [...report.existing, ...report.conflicts.map((c) => c.tenant)];
    if (stale.length > 0) {
      if (!target.destructive) {
        throw new HarnessError(
          `${stale.length} bench tenant(s) already exist on the target (e.g. ${stale[0]}); their passwords are unknown`,
          `remove them (\`cache-harness tenant remove ${stale[0]}\` ...) or allow destructive runs`,
        );
      }
      log(`removing ${stale.length} bench tenant(s) left by an earlier run`);
      for (const id of stale) await removeTenant(session, id);
      const again = await provisionMany(
        session,
        spec,
        inputs.filter((i) => stale.includes(i.id)),
      );
      report = { ...report, created: [...report.created, ...again.created] };
    }
    const metas = await Promise.all(report.created.map((c) => session.cluster.get(metaKey(parseTenantId(c.tenant)))));
    // Read back as stored (a meta missing right after provisioning is InvalidTenantMeta, naming the tenant).
    const tenants = report.created.map((c, i) => ({
      tenant: c.tenant,
      aclUser: c.aclUser,
      password: c.password,
      meta: parseTenantMeta(metas[i], `meta config of bench tenant ${c.tenant}`),
    }));
    log(`provisioned ${tenants.length} bench tenant(s) with ACL users on ${report.nodes} node(s)`);
    return {
      tenants,
      async remove() {
        let keys = 0;
        for (const t of tenants) keys += (await removeTenant(session, t.tenant)).totalKeys;
        return keys;
      },
      close: () => session.close(),
    };
  } catch (err) {
    await session.close();
    throw err;
  }
}
