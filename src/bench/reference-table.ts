import { slotOf, type DataType } from '../tenancy/index.js';
import { allocOpTable, KeyInterner, OP_GET, OP_NAMES, OP_SET, opTableSize, type OpTable } from './op-table.js';
import { mulberry32, uniformSampler } from './prng.js';

/** Our keys in a comparison: `cache-harness-ref:<n>`, n uniform over the keyspace, spread over every slot by CRC16. */
export const REFERENCE_KEY_PREFIX = 'cache-harness-ref:';

export interface ReferenceTableOptions {
  op: 'set' | 'get';
  valueBytes: number;
  /** Distinct keys: n is drawn uniformly from [0, keyspace). */
  keyspace: number;
  /** Entries (a power of two); the run cycles through them. */
  size: number;
  seed: number;
}

/**
 * The op table of a like-for-like comparison with redis-benchmark / memtier: one op, one value size,
 * uniform keys, plain `SET k v` (no TTL: theirs have none), none of the tenancy layout or the shard skew
 * of the spec's placement. The keys are removed after the run.
 */
export function referenceOpTable(o: ReferenceTableOptions): OpTable {
  const rng = mulberry32(o.seed);
  const keys = uniformSampler(o.keyspace);
  const kind = o.op === 'get' ? OP_GET : OP_SET;
  const t = allocOpTable(
    opTableSize(o.size),
    [{ op: OP_NAMES[kind] ?? 'get', module: 'reference', channel: 'mobile', plan: 'reference' }],
    [],
  );
  t.kind.fill(kind);
  t.valueSize.fill(o.valueBytes);
  // Not a tenancy data type: reference tables never go through TenantCache (the comparison refuses that driver).
  t.dataType.fill('reference' as DataType);
  const flat = new KeyInterner();
  for (let i = 0; i < t.size; i++) {
    const key = flat.intern(`${REFERENCE_KEY_PREFIX}${keys.sample(rng)}`);
    t.key[i] = key;
    t.userKey[i] = key;
    t.slot[i] = slotOf(key);
  }
  return t;
}
