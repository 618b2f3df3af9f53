import { createHash } from 'node:crypto';
import { slotsOf } from '../cluster/slot-ranges.js';
import type { Spec } from '../spec/index.js';
import type { ModuleName, TenantId } from './ids.js';
import { slotOf, tagForSlot } from './slot-tags.js';

export type PlacementStrategy = Spec['placement']['strategy'];

/** Where a tenant-module's keys go: the hash tag in its keys and the slot that tag means (null for `none`). */
export interface Placement {
  strategy: PlacementStrategy;
  tag: string | null;
  slot: number | null;
}

const slotCache = new WeakMap<Spec, Map<string, readonly number[]>>();

/** Every slot of a master, in order. Memoised per spec: placement runs once per tenant-module. */
export function shardSlots(spec: Spec, master: string): readonly number[] {
  let bySpec = slotCache.get(spec);
  if (!bySpec) slotCache.set(spec, (bySpec = new Map<string, readonly number[]>()));
  const cached = bySpec.get(master);
  if (cached) return cached;
  const m = spec.topology.masters.find((x) => x.name === master);
  if (!m) throw new Error(`no master ${master} in the spec`);
  const slots = slotsOf(m.slots);
  bySpec.set(master, slots);
  return slots;
}

/**
 * module-shard: a slot of the module's shard, chosen by a stable hash of (tenant, module), so tenants
 *   spread evenly over all of the shard's slots and one tenant-module shares one slot (atomic quota scripts).
 * tenant-slot: the seed's braces read literally, `{tenant}`: all of a tenant in one slot.
 * none: the seed's literal layout, no tag: plain CRC16 of the whole key.
 */
export function placeTenantModule(
  spec: Spec,
  tenant: TenantId,
  module: ModuleName,
  strategy: PlacementStrategy = spec.placement.strategy,
): Placement {
  if (strategy === 'none') return { strategy, tag: null, slot: null };
  if (strategy === 'tenant-slot') return { strategy, tag: tenant, slot: slotOf(`{${tenant}}`) };
  const shard = spec.modules[module]?.shard;
  if (!shard) throw new Error(`module ${module} has no shard`);
  const slots = shardSlots(spec, shard);
  const slot = slots[stableIndex(`${tenant}\u0000${module}`, slots.length)] ?? 0;
  return { strategy, tag: tagForSlot(slot), slot };
}

/** Uniform, stable across processes and versions: the first 6 bytes of SHA-1, mod n. */
function stableIndex(s: string, n: number): number {
  return createHash('sha1').update(s).digest().readUIntBE(0, 6) % n;
}
