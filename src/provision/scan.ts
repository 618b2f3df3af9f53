import type { Redis } from 'ioredis';
import { escapeGlob, META_KEY_ROOT, tenantPrefix, type TenantId } from '../tenancy/index.js';

/** SCAN (never KEYS: O(N), blocking, and one node only) with MATCH and COUNT; yields each non-empty batch. */
export async function* scanKeys(client: Redis, match: string, count = 1000): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', count);
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

/** `cliente:<id>:*`, glob-escaped: removing `1` matches `cliente:1:...` and never `cliente:10:...`. */
export function tenantKeysMatch(tenant: TenantId): string {
  return `${escapeGlob(tenantPrefix(tenant))}*`;
}

/** Every meta config key: `tenant-meta:*`. */
export const META_KEYS_MATCH = `${escapeGlob(`${META_KEY_ROOT}:`)}*`;

/** Count the keys one node holds under a pattern. */
export async function countKeys(client: Redis, match: string): Promise<number> {
  let n = 0;
  for await (const batch of scanKeys(client, match)) n += batch.length;
  return n;
}
