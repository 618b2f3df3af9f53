import { HarnessError } from '../errors.js';
import { openAdmin, provisionMany, removeTenant, type AdminSession } from '../provision/index.js';
import type { Spec } from '../spec/index.js';
import { metaKey, parseTenantId } from '../tenancy/index.js';
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
 * Provision the run's synthetic tenants (`bench-<plan>-<n>`) with their own ACL users, for the tenant-cache
 * driver. Leftovers of an interrupted run (same ids, password unknown) are removed first, on targets the
 * harness may change only.
 */
export async function provisionBenchTenants(spec: Spec, target: Parameters<typeof openAdmin>[0], w: Workload, log: (l: string) => void): Promise<ProvisionedBenchTenants> {
  const session: AdminSession = await openAdmin(target);
  try {
    const population = buildPopulation(spec, w);
    const inputs = population.map((t) => ({ id: t.id, plan: t.plan, channel: 'mobile' }));
    let report = await provisionMany(session, spec, inputs);
    const stale = [...report.existing, ...report.conflicts.map((c) => c.tenant)];
    if (stale.length > 0) {
      if (!target.destructive) {
        throw new HarnessError(`${stale.length} bench tenant(s) already exist on the target (e.g. ${stale[0]}); their passwords are unknown`, `remove them (\`cache-harness tenant remove ${stale[0]}\` ...) or allow destructive runs`);
      }
      log(`removing ${stale.length} bench tenant(s) left by an earlier run`);
      for (const id of stale) await removeTenant(session, id);
      const again = await provisionMany(session, spec, inputs.filter((i) => stale.includes(i.id)));
      report = { ...report, created: [...report.created, ...again.created] };
    }
    const metas = await Promise.all(report.created.map((c) => session.cluster.get(metaKey(parseTenantId(c.tenant)))));
    const tenants = report.created.map((c, i) => {
      const raw = metas[i];
      if (raw === null || raw === undefined) throw new HarnessError(`meta config of bench tenant ${c.tenant} is missing right after provisioning`);
      return { tenant: c.tenant, aclUser: c.aclUser, password: c.password, meta: JSON.parse(raw) as unknown };
    });
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
