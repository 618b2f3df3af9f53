import type { Cluster } from 'ioredis';
import type { Spec } from '../spec/index.js';
import { buildKey, parseModule, type Placement, type TenantId, type TenantMeta } from '../tenancy/index.js';
import { tenantIdOrExit } from './input.js';

/** A module's placement as the tenant's meta config recorded it (what a TenantCache client reads). */
export function placementFromMeta(meta: TenantMeta, module: string): Placement {
  const p = meta.placement.modules[module];
  if (!p) throw new Error(`tenant ${meta.tenant} has no placement for module ${module}`);
  return { strategy: meta.placement.strategy, tag: p.tag, slot: p.slot };
}

export interface SampleKey {
  key: string;
  module: string;
  dataType: string;
  ttl: number;
}

/** `perDataType` keys for every (module, data type) of the tenant's plan, laid out as the tenancy rules say. */
export function sampleKeys(spec: Spec, meta: TenantMeta, perDataType: number): SampleKey[] {
  const tenant: TenantId = tenantIdOrExit(meta.tenant);
  return meta.modules.flatMap((mod) => {
    const module = parseModule(spec, mod);
    return Object.entries(meta.ttl[mod] ?? {}).flatMap(([dataType, ttl]) => Array.from({ length: perDataType }, (_, i) => ({
      key: buildKey(spec, tenant, module, placementFromMeta(meta, mod), dataType, `k${i}`), module: mod, dataType, ttl,
    })));
  });
}

/** SET each sample key with its TTL (every data key expires), auto-pipelined, in bounded batches. */
export async function writeSampleKeys(client: Cluster, keys: readonly SampleKey[], value = 'v', batch = 1000): Promise<void> {
  for (let i = 0; i < keys.length; i += batch) {
    await Promise.all(keys.slice(i, i + batch).map((k) => client.set(k.key, value, 'EX', k.ttl)));
  }
}
