import type { Redis } from 'ioredis';
import type { ClusterNodeInfo } from '../../src/cluster/index.js';
import { escapeGlob, META_KEY_ROOT, metaKey, parseTenantId, slotOf, tenantMetaSchema, type TenantMeta } from '../../src/tenancy/index.js';

/** An admin connection to one live node, as the suite context holds them. */
export interface AdminNode {
  info: ClusterNodeInfo;
  client: Redis;
}

const SCAN_LIMIT = { calls: 100_000, ms: 60_000 };

/** Every `tenant-meta:*` key on one master: SCAN MATCH ... COUNT 1000 (never KEYS), bounded in calls and time. */
export async function scanMetaKeys(client: Redis): Promise<string[]> {
  const keys: string[] = [];
  const until = Date.now() + SCAN_LIMIT.ms;
  let cursor = '0';
  for (let i = 0; i < SCAN_LIMIT.calls; i++) {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${escapeGlob(META_KEY_ROOT)}:*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
    if (cursor === '0') return keys;
    if (Date.now() > until) break;
  }
  throw new Error(`SCAN of tenant-meta:* did not finish within ${SCAN_LIMIT.calls} calls / ${SCAN_LIMIT.ms} ms`);
}

/** The provisioned tenants, read from every master; metas that do not parse are returned apart, with the reason. */
export async function readMetas(nodes: readonly AdminNode[]): Promise<{ metas: TenantMeta[]; invalid: Array<{ key: string; reason: string }> }> {
  const metas: TenantMeta[] = [];
  const invalid: Array<{ key: string; reason: string }> = [];
  for (const n of nodes.filter((x) => x.info.role === 'master')) {
    for (const key of await scanMetaKeys(n.client)) {
      const raw = await n.client.get(key);
      let parsed: ReturnType<typeof tenantMetaSchema.safeParse> | undefined;
      try {
        parsed = tenantMetaSchema.safeParse(JSON.parse(raw ?? 'null'));
      } catch (err) {
        invalid.push({ key, reason: `not JSON: ${(err as Error).message}` });
        continue;
      }
      if (parsed.success) metas.push(parsed.data);
      else invalid.push({ key, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    }
  }
  return { metas: metas.sort((a, b) => a.tenant.localeCompare(b.tenant)), invalid };
}

/** The admin connection of the master serving `key`'s slot (from the live map the context discovered). */
export function ownerOf(nodes: readonly AdminNode[], key: string): Redis {
  const slot = slotOf(key);
  const n = nodes.find((x) => x.info.role === 'master' && x.info.slots.some(([a, b]) => slot >= a && slot <= b));
  if (!n) throw new Error(`no reachable master serves slot ${slot} (key ${key})`);
  return n.client;
}

/** Write metas as the provisioner does: JSON, no TTL. Returns the keys written. */
export async function writeMetas(nodes: readonly AdminNode[], metas: readonly TenantMeta[]): Promise<string[]> {
  const keys: string[] = [];
  for (const m of metas) {
    const key = metaKey(parseTenantId(m.tenant));
    await ownerOf(nodes, key).set(key, JSON.stringify(m));
    keys.push(key);
  }
  return keys;
}

export async function removeKeys(nodes: readonly AdminNode[], keys: readonly string[]): Promise<void> {
  for (const k of keys) await ownerOf(nodes, k).del(k);
}
