import { SLOT_COUNT } from '../spec/schema.js';

/** Inclusive hash-slot range `[first, last]`, as CLUSTER NODES, ADDSLOTSRANGE and the spec write it. */
export type SlotRange = readonly [first: number, last: number];

/** A node as far as slot ownership goes; ClusterNodeInfo and the spec's NodeLayout fit. */
export interface SlotServer {
  role: 'master' | 'replica';
  slots: readonly SlotRange[];
}

export function rangeContains([first, last]: SlotRange, slot: number): boolean {
  return slot >= first && slot <= last;
}

/** Whether any of `ranges` holds `slot`: "does this node serve this slot". */
export function rangesContain(ranges: readonly SlotRange[], slot: number): boolean {
  return ranges.some((r) => rangeContains(r, slot));
}

/** Every slot of the ranges, in range order. */
export function slotsOf(ranges: readonly SlotRange[]): number[] {
  return ranges.flatMap(([first, last]) => Array.from({ length: last - first + 1 }, (_, i) => first + i));
}

/** `0-5460 10923` (a single-slot range as one number): how status and reports print a node's slots. */
export function formatSlotRanges(ranges: readonly SlotRange[]): string {
  return ranges.map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`)).join(' ');
}

/** `ownerIndex` value of a slot no master serves. */
export const NO_OWNER = 0xffff;

/**
 * Per slot, the index in `nodes` of the master serving it, or NO_OWNER: one flat array, cheap to copy to
 * worker threads and to index on a hot path. Replicas serve no slot and are skipped; where two masters
 * claim a slot (a stale view mid-migration), the later one wins.
 */
export function ownerIndex(nodes: readonly SlotServer[]): Uint16Array {
  const owner = new Uint16Array(SLOT_COUNT).fill(NO_OWNER);
  nodes.forEach((n, i) => {
    if (n.role !== 'master') return;
    for (const [first, last] of n.slots) owner.fill(i, first, last + 1);
  });
  return owner;
}

/** Per slot, the master serving it (undefined where none): `ownerMap(nodes)[slot]`. */
export function ownerMap<N extends SlotServer>(nodes: readonly N[]): Array<N | undefined> {
  return Array.from(ownerIndex(nodes), (i) => (i === NO_OWNER ? undefined : nodes[i]));
}
