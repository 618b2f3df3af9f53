import type { Spec } from '../spec/index.js';
import { buildDataKey, CHANNELS, dataTypesOf, parseDataType, slotOf, ttlSeconds, type Channel, type DataType } from '../tenancy/index.js';
import { buildPopulation, tenantModules, type TenantModule } from './population.js';
import { mulberry32, uniformSampler, weightedSampler, zipfSampler, type WeightedSampler } from './prng.js';
import type { Workload } from './workload.js';

export const OP_GET = 0;
export const OP_SET = 1;
export const OP_NAMES = ['get', 'set'] as const;
export type OpName = (typeof OP_NAMES)[number];

/** One histogram dimension: op × module × channel × plan. */
export interface Dim {
  op: OpName;
  module: string;
  channel: Channel;
  plan: string;
}

export function dimKey(d: Dim): string {
  return `${d.op}|${d.module}|${d.channel}|${d.plan}`;
}

/**
 * A pre-generated ring of operations sampled from the workload, struct-of-arrays so the hot path only
 * indexes typed arrays (op i of the run is entry i & (size-1)). Keys are built once, here.
 */
export interface OpTable {
  size: number;
  kind: Uint8Array;
  /** Index into `dims`. */
  dim: Uint16Array;
  /** Index into CHANNELS. */
  channel: Uint8Array;
  slot: Uint16Array;
  ttl: Uint32Array;
  /** Bytes written by a SET; for a GET, the size of the value the prefill stores. */
  valueSize: Uint32Array;
  /** Index into `tenantModules`. */
  tm: Uint32Array;
  dataType: DataType[];
  userKey: string[];
  key: string[];
  dims: Dim[];
  tenantModules: TenantModule[];
}

/** Op tables hold a power of two of entries (at least 1024): the op index wraps with a mask. */
export function opTableSize(entries: number): number {
  return 2 ** Math.max(10, Math.ceil(Math.log2(Math.max(1, entries))));
}

/** A table of `size` zeroed entries (every op a GET until told otherwise) over these dims and tenant-modules. */
export function allocOpTable(size: number, dims: Dim[], tenantModules: TenantModule[]): OpTable {
  return {
    size,
    kind: new Uint8Array(size),
    dim: new Uint16Array(size),
    channel: new Uint8Array(size),
    slot: new Uint16Array(size),
    ttl: new Uint32Array(size),
    valueSize: new Uint32Array(size),
    tm: new Uint32Array(size),
    dataType: new Array<DataType>(size),
    userKey: new Array<string>(size),
    key: new Array<string>(size),
    dims,
    tenantModules,
  };
}

/** Sizes are rounded up to a power of two (at least 1024). */
export function buildOpTable(spec: Spec, w: Workload, opts: { size?: number; seed?: number } = {}): OpTable {
  const size = opTableSize(opts.size ?? 65536);
  const rng = mulberry32(opts.seed ?? w.seed);
  const tms = tenantModules(spec, buildPopulation(spec, w));
  const tenants = [...new Set(tms.map((t) => t.tenant))];
  const byTenant = tenants.map((id) => tms.map((tm, i) => ({ tm, i })).filter((x) => x.tm.tenant === id));
  const tenantSampler = weightedSampler(byTenant.map((list) => w.tenants.activity[list[0]?.tm.plan ?? ''] ?? 1));
  const moduleSamplers = byTenant.map((list) => weightedSampler(list.map((x) => w.modules[x.tm.module]?.weight ?? 1)));
  const dtCache = new Map<string, { types: DataType[]; sampler: WeightedSampler }>();
  const dataTypeSampler = (tm: TenantModule) => {
    let e = dtCache.get(tm.module);
    if (!e) {
      const types = dataTypesOf(spec, tm.module).map((d) => parseDataType(spec, tm.module, d));
      const weights = w.modules[tm.module]?.dataTypes;
      e = { types, sampler: weights ? weightedSampler(types.map((t) => weights[t] ?? 0)) : uniformSampler(types.length) };
      dtCache.set(tm.module, e);
    }
    return e;
  };
  const channelSampler = weightedSampler([w.channels.mobile, w.channels.web]);
  const sizeSamplers = CHANNELS.map((ch) => weightedSampler(w.channel[ch].valueSizes.map((v) => v.weight)));
  const keySampler =
    w.keys.popularity === 'zipf' ? zipfSampler(w.keys.perTenantModule, w.keys.zipfExponent) : uniformSampler(w.keys.perTenantModule);

  const t = allocOpTable(size, [], tms);
  const dimIndex = new Map<string, number>();
  // Dim index per (kind, tenant-module, channel), so no Dim object or key string is built per entry.
  const dimOf = new Int32Array(2 * tms.length * 2).fill(-1);
  const keys = new KeyInterner();
  for (let i = 0; i < size; i++) {
    const ch = channelSampler.sample(rng);
    const channel = CHANNELS[ch] ?? 'mobile';
    const ti = tenantSampler.sample(rng);
    const pick = byTenant[ti]?.[moduleSamplers[ti]?.sample(rng) ?? 0];
    if (!pick) throw new Error('op table: a tenant has no modules');
    const { tm, i: tmIndex } = pick;
    const dts = dataTypeSampler(tm);
    const dataType = dts.types[dts.sampler.sample(rng)];
    if (!dataType) throw new Error(`op table: no data type for ${tm.module}`);
    const readRatio = w.modules[tm.module]?.readRatio?.[channel] ?? w.channel[channel].readRatio;
    const kind = rng() < readRatio ? OP_GET : OP_SET;
    const userKey = `k${keySampler.sample(rng)}`;
    const key = keys.intern(buildDataKey(tm.tenant, tm.module, tm.placement, dataType, userKey));
    const combo = (kind * tms.length + tmIndex) * 2 + ch;
    let di = dimOf[combo] ?? -1;
    if (di < 0) {
      const dim: Dim = { op: OP_NAMES[kind] ?? 'get', module: tm.module, channel, plan: tm.plan };
      const dk = dimKey(dim);
      di = dimIndex.get(dk) ?? t.dims.length;
      if (di === t.dims.length) {
        t.dims.push(dim);
        dimIndex.set(dk, di);
      }
      dimOf[combo] = di;
    }
    t.kind[i] = kind;
    t.dim[i] = di;
    t.channel[i] = ch;
    t.slot[i] = tm.placement.slot ?? slotOf(key);
    t.ttl[i] = ttlSeconds(spec, tm.module, dataType, channel);
    t.valueSize[i] = w.channel[channel].valueSizes[sizeSamplers[ch]?.sample(rng) ?? 0]?.bytes ?? 1;
    t.tm[i] = tmIndex;
    t.dataType[i] = dataType;
    t.userKey[i] = userKey;
    t.key[i] = key;
  }
  return t;
}

/**
 * One flat copy of each distinct key. A key built by concatenation is a tree of string pieces in V8
 * (about 300 bytes for a 47-character key): a 64k-entry table of them held 20 MB, the flat, shared copies 2.
 * `normalize()` returns a flat copy (measured: the cheapest way, no Buffer); a key it would change (not
 * NFC) is copied through a Buffer instead, byte for byte.
 */
export class KeyInterner {
  private readonly seen = new Map<string, string>();

  intern(key: string): string {
    const first = this.seen.get(key);
    if (first !== undefined) return first;
    const normalized = key.normalize();
    const flat = normalized === key ? normalized : Buffer.from(key, 'utf8').toString('utf8');
    this.seen.set(flat, flat);
    return flat;
  }
}

/** The keys the run reads, once each, with the size and TTL to store them with (the prefill). */
export function readKeys(t: OpTable): Array<{ key: string; bytes: number; ttl: number }> {
  const seen = new Map<string, { key: string; bytes: number; ttl: number }>();
  for (let i = 0; i < t.size; i++) {
    const key = t.key[i];
    if (t.kind[i] === OP_GET && key !== undefined && !seen.has(key)) seen.set(key, { key, bytes: t.valueSize[i] ?? 1, ttl: t.ttl[i] ?? 1 });
  }
  return [...seen.values()];
}

/** Every key the table touches (for cleanup). */
export function allKeys(t: OpTable): string[] {
  return [...new Set(t.key)];
}

/** A deterministic, incompressible-enough value of `bytes` bytes (printable ASCII). */
export function valueOf(bytes: number, seed = 7): Buffer {
  const rng = mulberry32(seed + bytes);
  const b = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) b[i] = 33 + Math.floor(rng() * 94);
  return b;
}
