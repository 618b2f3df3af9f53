import type { Redis } from 'ioredis';
import {
  closeNode,
  connectNode,
  discoverNodes,
  hostPort,
  scanKeys,
  targetCredentials,
  type ScanTally,
  type Target,
} from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import { InvalidTenantMeta, parseTenantMeta, type TenantMeta } from '../tenancy/index.js';
import { classifyKey, moduleLabel } from './parse-key.js';

/**
 * Per tenant-module usage of the cluster, counted with SCAN on every master (never KEYS: SCAN is
 * incremental, KEYS blocks the node and, in a cluster, sees one node only).
 *
 * - keys: exact count of `cliente:<tenant>:<module>:...` keys on the masters at scan time (the quota's
 *   `__quota` bookkeeping zsets are excluded). SCAN may return a key twice when a node's table is resized
 *   mid-scan; with `dedupe` (default) each node's keys go through a Set, so the count stays exact.
 *   Keys written or deleted during the scan may or may not be seen (SCAN's guarantee).
 * - bytes: an ESTIMATE. A uniform reservoir sample of up to `samplesPerTenantModule` keys per
 *   tenant-module, measured with MEMORY USAGE (key, value and allocator overhead of the master's copy;
 *   nested types sampled by Redis), mean × keys. Replicas hold a second copy that is not counted.
 * - limits: from the tenant's meta (`tenant-meta:<id>`, src/tenancy/meta.ts). The plan's maxKeys and
 *   maxMemoryMB are read PER TENANT-MODULE, the unit the quota script enforces (docs/quota.md), and
 *   the unit of the `redis_client_*{client_id, module, plan}` series the alerts divide.
 * - quotaEntries: ZCARD (O(1), pipelined beside MEMORY USAGE) of the tenant-module's quota zset, the one
 *   key the tenant may ZADD into (its ACL quota selector). Written only through the quota scripts this stays
 *   <= maxKeys (see `quotaEntries` below), so more means a tenant's raw ZADD: members without a TTL that
 *   `volatile-*` eviction never reclaims (docs/quota.md, "Tampering").
 */

export interface AccountingOptions {
  /** SCAN COUNT hint per call. */
  scanCount?: number;
  /** Keys per tenant-module measured with MEMORY USAGE. */
  samplesPerTenantModule?: number;
  /** Drop keys SCAN returns twice (costs one Set entry per key while scanning a node). */
  dedupe?: boolean;
  /** Give up (HarnessError) when a scan takes longer. */
  timeoutMs?: number;
  /** Random source for the reservoir (tests pass a seeded one). */
  random?: () => number;
  /**
   * The spec's modules. Given (the exporter always gives them), keys under any other module name count
   * under one `unknown` row per tenant, so a tenant cannot create rows (and series) at will.
   */
  modules?: readonly string[];
}

export interface TenantModuleUsage {
  tenant: string;
  module: string;
  /** null: the tenant has no valid meta (never provisioned, removed, or invalid JSON). */
  plan: string | null;
  /** Whether the module is in the tenant's plan (false also when the plan is unknown). */
  inPlan: boolean;
  /** The hash tag of the tenant-module's keys (its slot) from the meta; null outside the plan, without meta, or under placement `none`. */
  placementTag: string | null;
  keys: number;
  /** mean MEMORY USAGE of the sampled keys × keys (0 when there are no keys). */
  bytesEstimate: number;
  sampledKeys: number;
  keysLimit: number | null;
  memoryLimitBytes: number | null;
  /** keys / keysLimit (what the quota alert compares with the spec's quotaRatio); null without a limit. */
  keysRatio: number | null;
  /**
   * What the tenant-module holds on the masters: bytesEstimate plus its quota zset's bytes (exact up to
   * QUOTA_EXACT_BYTES_MAX_MEMBERS members). The bookkeeping counts: the tenant writes it, and can grow it.
   */
  memoryBytes: number;
  /** memoryBytes / memoryLimitBytes; null without a limit. */
  memoryRatio: number | null;
  /**
   * MEMORY USAGE of the tenant-module's quota zset (summed if there are several), null if there is none. Exact
   * (SAMPLES 0) up to QUOTA_EXACT_BYTES_MAX_MEMBERS members; Redis's default samples only the 5 lowest-scored,
   * so fat members behind small ones would go unseen (docs/quota.md, Tampering). Above it: sampled.
   */
  quotaKeyBytes: number | null;
  /**
   * Members of the tenant-module's quota zset (ZCARD, expired members included; summed if there are
   * several, e.g. under `unknown`); null when there is none. Invariant of the quota
   * scripts (src/tenancy/quota-script.ts), by induction from an empty zset: quota-set adds at most one
   * member; an overwrite of a present member (live or not) adds none; a new member is refused once the LIVE
   * count (ZCOUNT now..+inf) reaches maxKeys, and before that check the script drops min(expired, 100)
   * expired members, so when any member is expired at least one goes and ZCARD does not grow, and when none
   * is, ZCARD = live < maxKeys before the add; quota-del and quota-reconcile only remove. So through the
   * scripts ZCARD <= maxKeys always, and this above `keysLimit` means members written outside them (a
   * tenant's raw ZADD), or the plan's maxKeys lowered below what the tenant already held.
   */
  quotaEntries: number | null;
  /** quotaEntries / keysLimit (above 1: TenantQuotaIndexTampered); null without a limit or without a quota zset. */
  quotaEntriesRatio: number | null;
}

export interface MasterScan {
  address: string;
  scanCalls: number;
  /** Keys SCAN returned, duplicates included. */
  keysReturned: number;
  duplicates: number;
  /** DBSIZE after the scan, for comparison. */
  dbsize: number;
}

export interface UsageSnapshot {
  takenAt: string;
  durationMs: number;
  masters: MasterScan[];
  /** Distinct keys scanned on all masters. */
  keysScanned: number;
  tenants: Array<{ tenant: string; plan: string | null; metaProblem?: string }>;
  tenantModules: TenantModuleUsage[];
  /** Keys that are not tenant data: quota zsets, meta keys, anything else, and `cliente:` keys that do not parse. */
  quotaKeys: number;
  metaKeys: number;
  otherKeys: number;
  malformedKeys: number;
}

/** A master to scan: its address (for reports) and an admin connection to it. */
export interface MasterConnection {
  address: string;
  client: Redis;
}

interface Sample {
  node: number;
  key: string;
}

interface Acc {
  tenant: string;
  module: string;
  keys: number;
  reservoir: Sample[];
  /** Its `__quota` bookkeeping zsets: one per tenant-module, several only in the `unknown` row (or by hand). */
  quotaZsets: Sample[];
}

const MAX_SCAN_CALLS = 50_000_000;
const PIPELINE_CHUNK = 1000;
/**
 * Largest quota zset whose MEMORY USAGE is taken exactly (SAMPLES 0, O(members)): the largest plan's maxKeys
 * in the spec (100,000), which a zset written only through the quota scripts never exceeds.
 */
export const QUOTA_EXACT_BYTES_MAX_MEMBERS = 100_000;

/** Discover the target's masters, account them, close the connections. */
export async function accountUsage(target: Target, opts: AccountingOptions = {}): Promise<UsageSnapshot> {
  const masters = (await discoverNodes(target)).filter((n) => n.role === 'master' && n.slots.length > 0 && !n.flags.includes('fail'));
  if (masters.length === 0) throw new HarnessError('no master with slots found', 'is the cluster up and its slots assigned?');
  const conns: MasterConnection[] = [];
  try {
    for (const m of masters) conns.push({ address: hostPort(m), client: await connectNode(m, targetCredentials(target)) });
    return await accountMasters(conns, opts);
  } finally {
    await Promise.all(conns.map((c) => closeNode(c.client)));
  }
}

/** Scan each master (in parallel), then read metas and sample MEMORY USAGE on the node that holds each key. */
export async function accountMasters(masters: readonly MasterConnection[], opts: AccountingOptions = {}): Promise<UsageSnapshot> {
  const t0 = Date.now();
  const scanCount = opts.scanCount ?? 1000;
  const k = opts.samplesPerTenantModule ?? 32;
  const dedupe = opts.dedupe ?? true;
  const deadline = t0 + (opts.timeoutMs ?? 120_000);
  const random = opts.random ?? Math.random;
  const accs = new Map<string, Acc>();
  const metas: Sample[] = [];
  const metaTenants: string[] = [];
  const counts = { quota: 0, meta: 0, other: 0, malformed: 0 };
  let distinct = 0;

  const known = opts.modules ? new Set(opts.modules) : null;
  const accOf = (tenant: string, rawModule: string): Acc => {
    const module = known ? moduleLabel(rawModule, known) : rawModule;
    const id = `${tenant}\u0000${module}`;
    let a = accs.get(id);
    if (!a) {
      a = { tenant, module, keys: 0, reservoir: [], quotaZsets: [] };
      accs.set(id, a);
    }
    return a;
  };
  const onKey = (node: number, key: string): void => {
    distinct++;
    const c = classifyKey(key);
    switch (c.kind) {
      case 'data': {
        const a = accOf(c.tenant, c.module);
        a.keys++;
        if (a.reservoir.length < k) a.reservoir.push({ node, key });
        else {
          const j = Math.floor(random() * a.keys);
          if (j < k) a.reservoir[j] = { node, key };
        }
        return;
      }
      case 'quota':
        counts.quota++;
        accOf(c.tenant, c.module).quotaZsets.push({ node, key });
        return;
      case 'meta':
        counts.meta++;
        metas.push({ node, key });
        metaTenants.push(c.tenant);
        return;
      case 'malformed':
        counts.malformed++;
        return;
      default:
        counts.other++;
    }
  };

  const scans = await Promise.all(masters.map((m, node) => scanMaster(m, node, scanCount, dedupe, deadline, onKey)));

  // Metas, read from the node whose SCAN returned them (it owns the slot).
  const metaByTenant = new Map<string, { meta: TenantMeta | null; problem?: string }>();
  const metaReplies = await pipelined(masters, metas, (p, s) => p.get(s.key));
  metaTenants.forEach((tenant, i) => metaByTenant.set(tenant, parseMeta(metaReplies[i])));

  // Make sure every module of a provisioned tenant's plan has a row (0 keys is a value, not an absence).
  for (const [tenant, m] of metaByTenant) for (const mod of m.meta?.modules ?? []) accOf(tenant, mod);

  const rows = [...accs.values()];
  const samples = rows.flatMap((a) => a.reservoir);
  const quotaSamples = rows.flatMap((a) => a.quotaZsets);
  const sampleBytes = await pipelined(masters, samples, (p, s) => p.call('MEMORY', 'USAGE', s.key));
  // ZCARD is O(1); a zset deleted since the scan reads as 0 members.
  const zcards = await pipelined(masters, quotaSamples, (p, s) => p.zcard(s.key));
  const membersOf = new Map<Sample, number>();
  quotaSamples.forEach((s, i) => membersOf.set(s, toBytes(zcards[i]) ?? 0));
  // Exact bytes (SAMPLES 0 walks every member) up to QUOTA_EXACT_BYTES_MAX_MEMBERS: Redis's default 5 samples are
  // the lowest-scored members, so fat members behind small ones would go unseen. A bigger zset is flagged by its
  // count already (quotaEntries > maxKeys), and is sampled so the walk stays bounded.
  const quotaBytes = await pipelined(masters, quotaSamples, (p, s) => {
    return (membersOf.get(s) ?? 0) <= QUOTA_EXACT_BYTES_MAX_MEMBERS
      ? p.call('MEMORY', 'USAGE', s.key, 'SAMPLES', '0')
      : p.call('MEMORY', 'USAGE', s.key);
  });
  const bytesOf = new Map<Sample, number | null>();
  samples.forEach((s, i) => bytesOf.set(s, toBytes(sampleBytes[i])));
  quotaSamples.forEach((s, i) => bytesOf.set(s, toBytes(quotaBytes[i])));
  const sumOf = (list: readonly Sample[], of: Map<Sample, number | null>): number | null => {
    const known = list.map((s) => of.get(s)).filter((b): b is number => typeof b === 'number');
    return known.length ? known.reduce((x, y) => x + y, 0) : null;
  };

  const tenantModules: TenantModuleUsage[] = rows
    .map((a) => {
      const meta = metaByTenant.get(a.tenant)?.meta ?? null;
      // A sampled key deleted since the scan has no MEMORY USAGE: leave it out of the mean.
      const measured = a.reservoir.map((s) => bytesOf.get(s)).filter((b): b is number => typeof b === 'number');
      const mean = measured.length ? measured.reduce((x, y) => x + y, 0) / measured.length : 0;
      const bytesEstimate = Math.round(mean * a.keys);
      const memoryLimitBytes = meta ? meta.maxMemoryMB * 1024 * 1024 : null;
      const quotaEntries = sumOf(a.quotaZsets, membersOf);
      const quotaKeyBytes = sumOf(a.quotaZsets, bytesOf);
      const memoryBytes = bytesEstimate + (quotaKeyBytes ?? 0);
      return {
        tenant: a.tenant,
        module: a.module,
        plan: meta?.plan ?? null,
        inPlan: meta?.modules.includes(a.module) ?? false,
        placementTag: meta?.placement.modules[a.module]?.tag ?? null,
        keys: a.keys,
        bytesEstimate,
        sampledKeys: measured.length,
        keysLimit: meta?.maxKeys ?? null,
        memoryLimitBytes,
        keysRatio: meta ? a.keys / meta.maxKeys : null,
        memoryBytes,
        memoryRatio: memoryLimitBytes ? memoryBytes / memoryLimitBytes : null,
        quotaKeyBytes,
        quotaEntries,
        quotaEntriesRatio: meta && quotaEntries !== null ? quotaEntries / meta.maxKeys : null,
      };
    })
    .sort((x, y) => (x.tenant === y.tenant ? x.module.localeCompare(y.module) : x.tenant.localeCompare(y.tenant)));

  const tenantIds = new Set([...tenantModules.map((r) => r.tenant), ...metaByTenant.keys()]);
  const tenants = [...tenantIds].sort().map((tenant) => {
    const m = metaByTenant.get(tenant);
    return {
      tenant,
      plan: m?.meta?.plan ?? null,
      ...(m?.problem ? { metaProblem: m.problem } : m ? {} : { metaProblem: 'no tenant-meta key' }),
    };
  });

  return {
    takenAt: new Date(t0).toISOString(),
    durationMs: Date.now() - t0,
    masters: scans,
    keysScanned: distinct,
    tenants,
    tenantModules,
    quotaKeys: counts.quota,
    metaKeys: counts.meta,
    otherKeys: counts.other,
    malformedKeys: counts.malformed,
  };
}

async function scanMaster(
  m: MasterConnection,
  node: number,
  count: number,
  dedupe: boolean,
  deadline: number,
  onKey: (node: number, key: string) => void,
): Promise<MasterScan> {
  const seen = dedupe ? new Set<string>() : null;
  const tally: ScanTally = { calls: 0, keys: 0 };
  let duplicates = 0;
  for await (const keys of scanKeys(m.client, { count, deadline, maxCalls: MAX_SCAN_CALLS, tally })) {
    for (const key of keys) {
      if (seen) {
        if (seen.has(key)) {
          duplicates++;
          continue;
        }
        seen.add(key);
      }
      onKey(node, key);
    }
  }
  return { address: m.address, scanCalls: tally.calls, keysReturned: tally.keys, duplicates, dbsize: await m.client.dbsize() };
}

type Pipe = ReturnType<Redis['pipeline']>;

/** Run one command per item on the item's node, pipelined in chunks; replies in item order (errors as null). */
async function pipelined(
  masters: readonly MasterConnection[],
  items: readonly Sample[],
  add: (p: Pipe, s: Sample) => void,
): Promise<unknown[]> {
  const out = new Array<unknown>(items.length).fill(null);
  const byNode = new Map<number, number[]>();
  items.forEach((s, i) => {
    const list = byNode.get(s.node) ?? [];
    list.push(i);
    byNode.set(s.node, list);
  });
  await Promise.all(
    [...byNode].map(async ([node, idx]) => {
      const client = masters[node]?.client;
      if (!client) return;
      for (let off = 0; off < idx.length; off += PIPELINE_CHUNK) {
        const chunk = idx.slice(off, off + PIPELINE_CHUNK);
        const p = client.pipeline();
        for (const i of chunk) {
          const s = items[i];
          if (s) add(p, s);
        }
        const res = (await p.exec()) ?? [];
        chunk.forEach((i, j) => {
          const r = res[j];
          out[i] = r && !r[0] ? r[1] : null;
        });
      }
    }),
  );
  return out;
}

function toBytes(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return null;
}

function parseMeta(raw: unknown): { meta: TenantMeta | null; problem?: string } {
  if (typeof raw !== 'string') return { meta: null, problem: 'meta key vanished or is not a string' };
  try {
    return { meta: parseTenantMeta(raw, 'meta') };
  } catch (err) {
    if (err instanceof InvalidTenantMeta) return { meta: null, problem: err.message };
    throw err;
  }
}
