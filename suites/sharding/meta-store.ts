import type { Redis } from 'ioredis';
import { rangesContain, scanKeys } from '../../src/cluster/index.js';
import { META_KEYS_MATCH, type AdminNode } from '../../src/provision/index.js';
import { InvalidTenantMeta, metaKey, parseTenantId, parseTenantMeta, slotOf, type TenantMeta } from '../../src/tenancy/index.js';

const SCAN_LIMIT = { calls: 100_000, ms: 60_000 };

/** Every `tenant-meta:*` key on one master: SCAN MATCH ... COUNT 1000 (never KEYS), bounded in calls and time. */
export async function scanMetaKeys(client: Redis): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of scanKeys(client, { match: META_KEYS_MATCH, maxCalls: SCAN_LIMIT.calls, deadline: Date.now() + SCAN_LIMIT.ms }))
    keys.push(...batch);
  return keys;
}

/** The provisioned tenants, read from every master; metas that do not parse are returned apart, with the reason. */
export async function readMetas(
  nodes: readonly AdminNode[],
): Promise<{ metas: TenantMeta[]; invalid: Array<{ key: string; reason: string }> }> {
  const metas: TenantMeta[] = [];
  const invalid: Array<{ key: string; reason: string }> = [];
  for (const n of nodes.filter((x) => x.info.role === 'master')) {
    for (const key of await scanMetaKeys(n.client)) {
      try {
        metas.push(parseTenantMeta(await n.client.get(key), key));
      } catch (err) {
        if (!(err instanceof InvalidTenantMeta)) throw err;
        invalid.push({ key, reason: err.message });
      }
    }
  }
  return { metas: metas.sort((a, b) => a.tenant.localeCompare(b.tenant)), invalid };
}

/** The admin connection of the master serving `key`'s slot (from the live map the context discovered). */
export function ownerOf(nodes: readonly AdminNode[], key: string): Redis {
  const slot = slotOf(key);
  const n = nodes.find((x) => x.info.role === 'master' && rangesContain(x.info.slots, slot));
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
