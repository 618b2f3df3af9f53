import { countKeys, scanKeys } from '../cluster/index.js';
import { HarnessError, errorMessage } from '../errors.js';
import { aclUserName, metaKey, parseTenantMeta, type TenantMeta } from '../tenancy/index.js';
import { getUser } from './acl-nodes.js';
import type { AdminSession } from './admin-session.js';
import { parseTenantIdInput } from './input.js';
import { META_KEYS_MATCH, tenantKeysMatch } from './scan.js';

export interface TenantListing {
  /** Sorted by tenant id. */
  tenants: TenantMeta[];
  /** Meta keys that do not parse: listed, never hidden. */
  invalid: Array<{ node: string; key: string; reason: string }>;
}

/** Every tenant: SCAN `tenant-meta:*` on every master (each master holds its own slots' keys), GETs pipelined per node. */
export async function listTenants(session: AdminSession): Promise<TenantListing> {
  const tenants: TenantMeta[] = [];
  const invalid: TenantListing['invalid'] = [];
  for (const m of session.masters) {
    for await (const keys of scanKeys(m.client, { match: META_KEYS_MATCH })) {
      const p = m.client.pipeline();
      for (const k of keys) p.get(k);
      const res = (await p.exec()) ?? [];
      res.forEach(([err, value], i) => {
        const key = keys[i] ?? '?';
        if (err || typeof value !== 'string') {
          invalid.push({ node: m.address, key, reason: err ? err.message : 'gone or not a string' });
          return;
        }
        try {
          tenants.push(parseTenantMeta(value, key));
        } catch (e) {
          invalid.push({ node: m.address, key, reason: errorMessage(e) });
        }
      });
    }
  }
  tenants.sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
  return { tenants, invalid };
}

export interface TenantDetails {
  meta: TenantMeta;
  keys: Array<{ node: string; keys: number }>;
  totalKeys: number;
  aclUser: {
    name: string;
    presentOn: string[];
    missingOn: string[];
    /** Same rules (flags, password hash, commands, key patterns) on every node that has the user. */
    consistent: boolean;
  };
}

/** One tenant: its meta config, its keys per master (SCAN, escaped MATCH) and where its ACL user exists. */
export async function showTenant(session: AdminSession, rawId: string): Promise<TenantDetails> {
  const tenant = parseTenantIdInput(rawId);
  const key = metaKey(tenant);
  const raw = await session.cluster.get(key);
  if (raw === null) throw new HarnessError(`tenant ${tenant} not found (no ${key})`, 'see `cache-harness tenant list`');
  const meta = parseTenantMeta(raw, key);
  const keys = await Promise.all(
    session.masters.map(async (m) => ({ node: m.address, keys: await countKeys(m.client, tenantKeysMatch(tenant)) })),
  );
  const name = aclUserName(tenant);
  const users = await Promise.all(session.nodes.map(async (n) => ({ node: n.address, user: await getUser(n, name) })));
  const present = users.filter((u) => u.user !== null);
  const rules = new Set(present.map((u) => canonicalRules(u.user)));
  return {
    meta,
    keys,
    totalKeys: keys.reduce((a, k) => a + k.keys, 0),
    aclUser: {
      name,
      presentOn: present.map((u) => u.node),
      missingOn: users.filter((u) => u.user === null).map((u) => u.node),
      consistent: rules.size <= 1,
    },
  };
}

/**
 * ACL GETUSER lists a user's commands in the order of the node's command table, which differs between
 * processes (randomised dict hashing): compare token sets, not strings.
 */
function canonicalRules(user: Record<string, unknown> | null): string {
  // Redis lists a rule's commands in its own per-process order, so each field's tokens are sorted; a selector
  // (an array of field/value pairs under `selectors`) is canonicalised the same way, field by field.
  const tokens = (v: unknown): string[] =>
    (Array.isArray(v)
      ? v.map((x) => (Array.isArray(x) ? JSON.stringify(x.map((f) => tokens(f))) : String(x)))
      : typeof v === 'string'
        ? v.split(' ').filter(Boolean)
        : []
    ).sort();
  return JSON.stringify(
    Object.keys(user ?? {})
      .sort()
      .map((k) => [k, tokens(user?.[k])]),
  );
}
