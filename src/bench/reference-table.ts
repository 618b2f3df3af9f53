import { slotOf, type DataType } from '../tenancy/index.js';
import { KeyInterner, OP_GET, OP_NAMES, OP_SET, type OpTable } from './op-table.js';
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
  const size = 2 ** Math.max(10, Math.ceil(Math.log2(o.size)));
  const rng = mulberry32(o.seed);
  const keys = uniformSampler(o.keyspace);
  const kind = o.op === 'get' ? OP_GET : OP_SET;
  const t: OpTable = {
    size, kind: new Uint8Array(size).fill(kind), dim: new Uint16Array(size), channel: new Uint8Array(size), slot: new Uint16Array(size),
    ttl: new Uint32Array(size), valueSize: new Uint32Array(size).fill(o.valueBytes), tm: new Uint32Array(size),
    // Not a tenancy data type: reference tables never go through TenantCache (the comparison refuses that driver).
    dataType: new Array<DataType>(size).fill('reference' as DataType), userKey: new Array<string>(size), key: new Array<string>(size),
    dims: [{ op: OP_NAMES[kind] ?? 'get', module: 'reference', channel: 'mobile', plan: 'reference' }], tenantModules: [],
  };
  const flat = new KeyInterner();
  for (let i = 0; i < size; i++) {
    const key = flat.intern(`${REFERENCE_KEY_PREFIX}${keys.sample(rng)}`);
    t.key[i] = key;
    t.userKey[i] = key;
    t.slot[i] = slotOf(key);
  }
  return t;
}
