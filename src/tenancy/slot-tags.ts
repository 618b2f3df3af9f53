import keySlot from 'cluster-key-slot';
import { SLOT_COUNT } from '../spec/index.js';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
let table: string[] | undefined;

/**
 * The shortest base-36 string whose CRC16 slot is `slot`: the hash tag that pins a key to that slot.
 * Built once (about 50k CRC16s, a few ms); deterministic, so every process agrees.
 */
export function tagForSlot(slot: number): string {
  table ??= buildTable();
  const tag = table[slot];
  if (tag === undefined) throw new RangeError(`slot ${slot} is out of range 0-${SLOT_COUNT - 1}`);
  return tag;
}

function buildTable(): string[] {
  const t = new Array<string | undefined>(SLOT_COUNT);
  let missing = SLOT_COUNT;
  for (let len = 1; missing > 0 && len <= 4; len++) {
    const total = ALPHABET.length ** len;
    for (let i = 0; i < total && missing > 0; i++) {
      const s = i.toString(36).padStart(len, '0');
      const slot = keySlot(s);
      if (t[slot] === undefined) {
        t[slot] = s;
        missing--;
      }
    }
  }
  if (missing > 0) throw new Error(`no tag found for ${missing} slots`);
  return t as string[];
}

/** The slot Redis Cluster puts a key in (honours {hash tags}). */
export function slotOf(key: string): number {
  return keySlot(key);
}

/** Keys grouped by slot, at most `max` per group: each group fits one multi-key command (which must stay in one slot). */
export function slotGroups(keys: Iterable<string>, max: number): string[][] {
  const bySlot = new Map<number, string[]>();
  for (const k of keys) {
    const slot = slotOf(k);
    const list = bySlot.get(slot);
    if (list) list.push(k);
    else bySlot.set(slot, [k]);
  }
  const groups: string[][] = [];
  for (const list of bySlot.values()) for (let i = 0; i < list.length; i += max) groups.push(list.slice(i, i + max));
  return groups;
}
