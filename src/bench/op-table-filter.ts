import { allocOpTable, opTableSize, type OpTable } from './op-table.js';

/**
 * The entries of `t` that `keep` accepts, as a new op table (same dims and tenant-modules, so the recorder's
 * groups keep their meaning). Op tables hold a power of two of entries: the largest power of two of kept
 * entries is kept, in order (no entry is sent more often than another); fewer than 1024 kept entries are
 * repeated in order up to 1024. Null when nothing is kept.
 */
export function filterOpTable(t: OpTable, keep: (i: number) => boolean): OpTable | null {
  const kept: number[] = [];
  for (let i = 0; i < t.size; i++) if (keep(i)) kept.push(i);
  if (kept.length === 0) return null;
  const min = opTableSize(1);
  const size = kept.length < min ? min : 2 ** Math.floor(Math.log2(kept.length));
  const out = allocOpTable(size, t.dims, t.tenantModules);
  for (let j = 0; j < size; j++) {
    const i = kept[j % kept.length] as number;
    out.kind[j] = t.kind[i] ?? 0;
    out.dim[j] = t.dim[i] ?? 0;
    out.channel[j] = t.channel[i] ?? 0;
    out.slot[j] = t.slot[i] ?? 0;
    out.ttl[j] = t.ttl[i] ?? 0;
    out.valueSize[j] = t.valueSize[i] ?? 0;
    out.tm[j] = t.tm[i] ?? 0;
    out.dataType[j] = t.dataType[i] as OpTable['dataType'][number];
    out.userKey[j] = t.userKey[i] as string;
    out.key[j] = t.key[i] as string;
  }
  return out;
}

/** The ops of `t` whose slot the master at `master` (an index into the topology's masters) owns. */
export function opTableForMaster(t: OpTable, slotOwner: Uint16Array, master: number): OpTable | null {
  return filterOpTable(t, (i) => slotOwner[t.slot[i] ?? 0] === master);
}
