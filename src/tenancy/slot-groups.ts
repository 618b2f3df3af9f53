import { slotOf } from './slot-tags.js';

/**
 * Positions of `keys` grouped by hash slot, so multi-key commands stay single-slot (CROSSSLOT otherwise).
 * Tagged layouts give one group per tenant-module; `none` gives up to one group per key.
 */
export function groupBySlot(keys: readonly string[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  keys.forEach((k, i) => {
    const s = slotOf(k);
    const g = groups.get(s);
    if (g) g.push(i);
    else groups.set(s, [i]);
  });
  return groups;
}
