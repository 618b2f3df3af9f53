import { z } from 'zod';
import type { Spec } from '../spec/index.js';
import { InvalidTenantMeta, NotProvisioned } from './errors.js';
import { parseModule, TENANT_ID_RULE, type Channel, type ModuleName, type PlanName, type TenantId } from './ids.js';
import { placeTenantModule, type Placement } from './placement.js';
import { quotaKeyOf } from './quota-script.js';
import { slotOf } from './slot-tags.js';
import { ttlTable } from './ttl.js';

const placementSchema = z.object({ tag: z.string().nullable(), slot: z.number().int().nullable() });

/**
 * A tenant's meta config, stored as JSON at `tenant-meta:<id>` with NO TTL (volatile-* eviction never
 * evicts it). Built here (`buildTenantMeta`), read back here (`parseTenantMeta`); a module's placement is
 * read with `modulePlacement`. Written by `tenant create`; read by TenantCache, metrics, and the suites.
 */
const tenantMetaSchema = z
  .object({
    version: z.literal(1),
    tenant: z.custom<TenantId>((v) => typeof v === 'string' && TENANT_ID_RULE.test(v), `tenant id must match ${TENANT_ID_RULE.source}`),
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
      modules: z.record(z.string(), placementSchema),
    }),
    aclUser: z.string(),
    createdAt: z.string(),
  })
  .superRefine((meta, ctx) => {
    // A placement a client would refuse makes the whole meta unusable: reject it wherever a meta is read.
    for (const m of meta.modules) {
      const r = recordedPlacement(meta, m);
      if (typeof r === 'string') ctx.addIssue({ code: 'custom', path: ['placement', 'modules', m], message: r });
    }
  });
export type TenantMeta = z.output<typeof tenantMetaSchema>;

const ACL_USER_PREFIX = 'tenant-';

/** The tenant's ACL user name on every node. */
export function aclUserName(tenant: TenantId): string {
  return `${ACL_USER_PREFIX}${tenant}`;
}

/** The tenant id of an ACL user name (`tenant-<id>`), or null for any other user (admin, default, a probe). */
export function tenantOfAclUser(user: string): TenantId | null {
  if (!user.startsWith(ACL_USER_PREFIX)) return null;
  const id = user.slice(ACL_USER_PREFIX.length);
  return TENANT_ID_RULE.test(id) ? (id as TenantId) : null;
}

/** The meta config of a tenant: plan limits, modules, TTL table and placement of each module, all from the spec. */
export function buildTenantMeta(spec: Spec, tenant: TenantId, plan: PlanName, channel: Channel, createdAt: Date): TenantMeta {
  const p = spec.plans[plan];
  if (!p) throw new Error(`plan ${plan} vanished from the spec`);
  const modules = p.modules.map((m) => parseModule(spec, m));
  return {
    version: 1,
    tenant,
    plan,
    modules,
    maxKeys: p.maxKeys,
    maxMemoryMB: p.maxMemoryMB,
    channel,
    ttl: Object.fromEntries(modules.map((m) => [m, ttlTable(spec, m, channel)])),
    placement: {
      strategy: spec.placement.strategy,
      modules: Object.fromEntries(
        modules.map((m) => {
          const pl = placeTenantModule(spec, tenant, m);
          return [m, { tag: pl.tag, slot: pl.slot }];
        }),
      ),
    },
    aclUser: aclUserName(tenant),
    createdAt: createdAt.toISOString(),
  };
}

/**
 * A stored meta config, validated: the JSON text of `tenant-meta:<id>` or that text already decoded.
 * Anything else (missing, not JSON, not the schema, a placement that does not hold) is InvalidTenantMeta,
 * whose message starts with `source` (e.g. the key it was read from).
 */
export function parseTenantMeta(stored: unknown, source = 'the tenant meta config'): TenantMeta {
  if (stored === null || stored === undefined) throw new InvalidTenantMeta(`${source} is missing`);
  let doc: unknown = stored;
  if (typeof stored === 'string') {
    try {
      doc = JSON.parse(stored);
    } catch {
      throw new InvalidTenantMeta(`${source} does not hold JSON`);
    }
  }
  const res = tenantMetaSchema.safeParse(doc);
  if (!res.success) {
    throw new InvalidTenantMeta(
      `${source} is not a valid tenant meta config: ${res.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return res.data;
}

/**
 * Where one module of the tenant keeps its keys, as its meta config recorded it. The meta's placement is
 * authoritative (keys stay where they were written even if the spec's strategy changes later).
 * Throws NotProvisioned for a module outside the tenant's plan, InvalidTenantMeta for a placement that does not hold.
 */
export function modulePlacement(meta: TenantMeta, module: string): Placement {
  if (!meta.modules.includes(module)) {
    throw new NotProvisioned(
      `tenant ${meta.tenant} (plan ${meta.plan}) is not provisioned for module ${module}; its modules: ${meta.modules.join(', ')}`,
      'module',
    );
  }
  const r = recordedPlacement(meta, module);
  if (typeof r === 'string') throw new InvalidTenantMeta(r);
  return r;
}

/**
 * The exact quota zset of each module of the tenant that has one (a tagged placement: without a tag there is
 * no quota). The tenant's ACL grants the zset commands on these keys only, never on a pattern: a pattern such
 * as `cliente:<id>:*:__quota` would also let the tenant create new zsets (no TTL) under any name ending so.
 */
export function tenantQuotaKeys(meta: TenantMeta): string[] {
  return meta.modules.flatMap((m) => {
    const p = modulePlacement(meta, m);
    return p.tag === null ? [] : [quotaKeyOf(meta.tenant, m as ModuleName, p)];
  });
}

/** Tags are base-36 strings or tenant ids: never a brace, which would change what Redis hashes. */
const TAG_RULE = /^[A-Za-z0-9_-]{1,64}$/;

/** The recorded placement of a module, or why it cannot be used. */
function recordedPlacement(meta: Pick<TenantMeta, 'tenant' | 'placement'>, module: string): Placement | string {
  const p = meta.placement.modules[module];
  const strategy = meta.placement.strategy;
  if (!p) return `tenant ${meta.tenant}: meta config has no placement for module ${module}`;
  if (strategy === 'none') {
    return p.tag === null
      ? { strategy, tag: null, slot: null }
      : `tenant ${meta.tenant}/${module}: placement "none" must have no tag, got ${JSON.stringify(p.tag)}`;
  }
  // A tag that does not hash to the recorded slot would scatter keys: refuse rather than write them.
  if (p.tag === null || p.slot === null || !TAG_RULE.test(p.tag) || slotOf(`{${p.tag}}`) !== p.slot) {
    return `tenant ${meta.tenant}/${module}: placement tag ${JSON.stringify(p.tag)} does not hash to its recorded slot ${p.slot}`;
  }
  return { strategy, tag: p.tag, slot: p.slot };
}
