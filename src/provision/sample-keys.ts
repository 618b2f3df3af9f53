import type { Cluster } from 'ioredis';
import type { Spec } from '../spec/index.js';
import { buildKey, modulePlacement, parseModule, type TenantMeta } from '../tenancy/index.js';

export interface SampleKey {
  key: string;
  module: string;
  dataType: string;
  ttl: number;
}

/** `perDataType` keys for every (module, data type) of the tenant's plan, laid out as its meta config's placement says. */
export function sampleKeys(spec: Spec, meta: TenantMeta, perDataType: number): SampleKey[] {
  return meta.modules.flatMap((mod) => {
    const module = parseModule(spec, mod);
    const placement = modulePlacement(meta, mod);
    return Object.entries(meta.ttl[mod] ?? {}).flatMap(([dataType, ttl]) =>
      Array.from({ length: perDataType }, (_, i) => ({
        key: buildKey(spec, meta.tenant, module, placement, dataType, `k${i}`),
        module: mod,
        dataType,
        ttl,
      })),
    );
  });
}

/** SETEX each sample key with its TTL (every data key expires; tenants have SETEX, not SET), auto-pipelined, in bounded batches. */
export async function writeSampleKeys(client: Cluster, keys: readonly SampleKey[], value = 'v', batch = 1000): Promise<void> {
  for (let i = 0; i < keys.length; i += batch) {
    await Promise.all(keys.slice(i, i + batch).map((k) => client.setex(k.key, k.ttl, value)));
  }
}
