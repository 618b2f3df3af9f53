import { withCleanupOnSignal, type Target } from '../cluster/index.js';
import { errorMessage } from '../errors.js';
import { listTenants, removeTenant, withAdminSession } from '../provision/index.js';
import { tenantOfAclUser } from '../tenancy/index.js';

/**
 * Run `fn`, which provisions tenants whose ids all start with `prefix` (run-unique, e.g. `cap3fa9c1-`); afterwards
 * every tenant with that prefix is removed (keys, limits, meta, ACL users), on success, on failure and on
 * SIGINT/SIGTERM. Found on the servers, not from a list `fn` kept, so a provisioning that failed half-way is
 * removed too (an ACL user without its meta included). The removal opens its own admin session: one held through
 * a long fill may have been closed by the server's idle `timeout`. A tenant that cannot be removed is named with
 * the command that removes it.
 */
export async function withTemporaryTenants<T>(
  target: Target,
  prefix: string,
  log: (line: string) => void,
  fn: () => Promise<T>,
): Promise<T> {
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    try {
      await withAdminSession(target, async (s) => {
        const ids = new Set<string>((await listTenants(s)).tenants.map((t) => t.tenant).filter((id) => id.startsWith(prefix)));
        for (const n of s.nodes) {
          const users = (await n.client.call('ACL', 'USERS')) as string[];
          for (const id of users.map(tenantOfAclUser)) if (id?.startsWith(prefix)) ids.add(id);
        }
        for (const id of ids) {
          try {
            await removeTenant(s, id);
          } catch (err) {
            log(`could not remove tenant ${id}: ${errorMessage(err)} (\`cache-harness tenant remove ${id}\`)`);
          }
        }
      });
    } catch (err) {
      log(`could not remove the tenants ${prefix}*: ${errorMessage(err)} (\`cache-harness tenant list\`, then \`tenant remove\`)`);
    }
  };
  return withCleanupOnSignal(
    {
      run: cleanup,
      emergency: () => {
        if (!cleaned) log(`interrupted: tenants ${prefix}* may remain; remove them with \`tenant remove\``);
      },
    },
    async () => {
      try {
        return await fn();
      } finally {
        await cleanup();
      }
    },
    log,
  );
}
