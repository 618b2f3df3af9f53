import { z } from 'zod';

/**
 * A tenant's meta config, stored as JSON at `tenant-meta:<id>` with NO TTL (volatile-* eviction
 * never evicts it). Written by `tenant create`; read by TenantCache, metrics, and the suites.
 */
export const tenantMetaSchema = z.object({
  version: z.literal(1),
  tenant: z.string(),
  plan: z.string(),
  modules: z.array(z.string()).min(1),
  maxKeys: z.number().int().positive(),
  maxMemoryMB: z.number().int().positive(),
  /** Default channel of the tenant's clients (`tenant create --web` → web). */
  channel: z.enum(['mobile', 'web']),
  /** module → data type → seconds, for the default channel (both channels are derivable from the spec). */
  ttl: z.record(z.string(), z.record(z.string(), z.number().int().positive())),
  placement: z.object({
    strategy: z.enum(['module-shard', 'tenant-slot', 'none']),
    modules: z.record(z.string(), z.object({ tag: z.string().nullable(), slot: z.number().int().nullable() })),
  }),
  aclUser: z.string(),
  createdAt: z.string(),
});
export type TenantMeta = z.infer<typeof tenantMetaSchema>;

/** The tenant's ACL user name on every node. */
export function aclUserName(tenant: string): string {
  return `tenant-${tenant}`;
}
