import { rangesContain, slotsOf } from '../cluster/index.js';
import type { TenantInput } from '../provision/index.js';
import { SLOT_COUNT, type Spec } from '../spec/index.js';
import { parseModule, parseTenantId, placeTenantModule } from '../tenancy/index.js';
import type { CapacityMemory } from './schema.js';

/**
 * The bytes a population adds to each master of the spec, from measured memory (measureMemory): every tenant
 * costs `bytes_per_tenant_each_master` on every master (its ACL user, its meta key), and each of its
 * tenant-modules `bytes_per_tenant_module[plan][module]` on the master serving the slot placement gives it
 * (placeTenantModule; under `none` its keys hash over every slot, so it is split by the masters' slot counts).
 * Pure. Throws for a plan or plan-module the measurement does not cover.
 */
export function projectMemory(
  spec: Spec,
  memory: CapacityMemory,
  population: readonly TenantInput[],
): Array<{ name: string; memory_bytes: number }> {
  const masters = spec.topology.masters;
  const bytes = masters.map(() => 0);
  const slotShare = masters.map((m) => slotsOf(m.slots).length / SLOT_COUNT);
  for (const t of population) {
    const plan = spec.plans[t.plan];
    if (!plan) throw new Error(`tenant ${t.id}: plan ${t.plan} is not in the spec`);
    const tenant = parseTenantId(t.id);
    masters.forEach((_, i) => (bytes[i] = (bytes[i] ?? 0) + memory.bytes_per_tenant_each_master));
    for (const m of plan.modules) {
      const b = memory.bytes_per_tenant_module[t.plan]?.[m];
      if (b === undefined) throw new Error(`the memory measurement has no figure for ${t.plan}/${m}`);
      const { slot } = placeTenantModule(spec, tenant, parseModule(spec, m));
      if (slot === null) {
        masters.forEach((_, i) => (bytes[i] = (bytes[i] ?? 0) + b * (slotShare[i] ?? 0)));
        continue;
      }
      const i = masters.findIndex((x) => rangesContain(x.slots, slot));
      if (i < 0) throw new Error(`slot ${slot} is in no master's range in the spec`);
      bytes[i] = (bytes[i] ?? 0) + b;
    }
  }
  return masters.map((m, i) => ({ name: m.name, memory_bytes: bytes[i] ?? 0 }));
}
