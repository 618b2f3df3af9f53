import { randomBytes } from 'node:crypto';
import { parseInfo, rangesContain, type Target } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import { openAdminSession, provisionMany, removeTenant, type AdminNode, type AdminSession } from '../provision/index.js';
import type { Spec } from '../spec/index.js';
import {
  buildKey,
  dataTypesOf,
  limitsKeyOf,
  loadQuotaScripts,
  metaKey,
  modulePlacement,
  parseTenantId,
  parseTenantMeta,
  slotOf,
  TenantCache,
  type ModuleName,
  type TenantMeta,
} from '../tenancy/index.js';
import type { CapacityMemory } from './schema.js';
import { withTemporaryTenants } from './temporary-tenants.js';
import { modelValue, valueSizeModel, type ValueSizeShare } from './value-model.js';

export interface MemoryOptions {
  spec: Spec;
  target: Target;
  /** Share of each tenant-module's maxKeys the per-tenant figures are taken at (default 0.5). */
  fill?: number;
  /** Tenants provisioned per plan (default 2). */
  tenantsPerPlan?: number;
  /** Also fill the first tenant of each plan on to 100% of its quota (default true). */
  full?: boolean;
  /** Run on a target the harness does not own (default: `target.destructive`, i.e. --allow-destructive). */
  allowDestructive?: boolean;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** A tenant this process provisioned, with what TenantCache needs to write as it. */
export interface MeasuredTenant {
  tenant: string;
  plan: string;
  aclUser: string;
  password: string;
  meta: TenantMeta;
}

/** One tenant-module to fill, keys [from, to) of the value model's sequence. */
export interface FillItem {
  tenant: MeasuredTenant;
  module: string;
  from: number;
  to: number;
}

export interface FillTally {
  keys: number;
  /** Data keys written per data type. */
  perDataType: Record<string, number>;
}

/** The i-th user key a fill writes (data type: the module's types in turn). */
export const fillKeyName = (i: number): string => `m${i}`;

/** Keys at `fill` of a tenant-module's quota. */
export const keysAtFill = (maxKeys: number, fill: number): number => Math.round(maxKeys * fill);

/**
 * Provision `inputs` through the real provisioner (meta, quota limits, ACL user on every node) and read each
 * meta back as stored. Ids must be new: a run-unique prefix keeps earlier runs' tenants out of the count.
 */
export async function provisionMeasured(
  session: AdminSession,
  spec: Spec,
  inputs: ReadonlyArray<{ id: string; plan: string; channel?: string }>,
): Promise<MeasuredTenant[]> {
  const r = await provisionMany(session, spec, inputs);
  const created = r.created.map((c) => c.tenant);
  if (r.existing.length + r.conflicts.length > 0) {
    for (const id of created) await removeTenant(session, id);
    throw new HarnessError(
      `${r.existing.length + r.conflicts.length} tenant(s) to measure already exist (e.g. ${r.existing[0] ?? r.conflicts[0]?.tenant})`,
      'use a fresh id prefix',
    );
  }
  const metas = await Promise.all(created.map((id) => session.cluster.get(metaKey(parseTenantId(id)))));
  return r.created.map((c, i) => ({
    tenant: c.tenant,
    plan: c.plan,
    aclUser: c.aclUser,
    password: c.password,
    meta: parseTenantMeta(metas[i], `meta config of tenant ${c.tenant}`),
  }));
}

/**
 * Fill tenant-modules through TenantCache as the tenant's own ACL user: the production write path (codec, quota
 * script with its zset). Keys go to the module's data types in turn; values follow the value model. Channel `web`
 * (the longer TTLs), so no key expires during a long fill. Bounded: `parallel` tenant-modules at once, each with
 * `inFlight` writes outstanding; every client is closed before this returns.
 */
export async function fillTenantModules(
  spec: Spec,
  target: Target,
  items: readonly FillItem[],
  opts: { model?: readonly ValueSizeShare[]; parallel?: number; inFlight?: number; signal?: AbortSignal } = {},
): Promise<FillTally> {
  const model = opts.model ?? valueSizeModel();
  const tally: FillTally = { keys: 0, perDataType: {} };
  let next = 0;
  const fillOne = async (item: FillItem) => {
    const cache = await TenantCache.open({
      spec,
      seeds: target.seeds,
      tenant: item.tenant.tenant,
      module: item.module,
      channel: 'web',
      aclUser: item.tenant.aclUser,
      password: item.tenant.password,
      meta: item.tenant.meta,
    });
    try {
      const types = dataTypesOf(spec, item.module as ModuleName);
      let i = item.from;
      const worker = async () => {
        while (i < item.to) {
          opts.signal?.throwIfAborted();
          const k = i++;
          const dt = types[k % types.length] ?? '';
          await cache.set(dt, fillKeyName(k), modelValue(model, k));
          tally.keys++;
          tally.perDataType[dt] = (tally.perDataType[dt] ?? 0) + 1;
        }
      };
      await Promise.all(Array.from({ length: opts.inFlight ?? 16 }, worker));
    } finally {
      await cache.close();
    }
  };
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item) await fillOne(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.parallel ?? 4, items.length) }, lane));
  return tally;
}

/** The live master serving each spec master's slots, by name. */
export function mastersBySpec(session: AdminSession, spec: Spec): Array<{ name: string; node: AdminNode }> {
  return spec.topology.masters.map((m) => {
    const first = m.slots[0]?.[0] ?? 0;
    const node = session.masters.find((n) => rangesContain(n.info.slots, first));
    if (!node) throw new HarnessError(`no live master serves slot ${first} (spec master ${m.name})`, 'repair the cluster first');
    return { name: m.name, node };
  });
}

/** The spec master whose slot ranges hold `slot`. */
export function specMasterOfSlot(spec: Spec, slot: number): string {
  const m = spec.topology.masters.find((x) => rangesContain(x.slots, slot));
  if (!m) throw new Error(`slot ${slot} is in no master's range in the spec`);
  return m.name;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const num = (info: Map<string, string>, k: string) => Number(info.get(k) ?? 0) || 0;

/**
 * The parts of used_memory that follow traffic and connections, not keys: client buffers (mem_clients_normal),
 * the AOF buffer (mem_aof_buffer), cluster bus links (mem_cluster_links) and replication buffers. Redis 7 keeps
 * the replication backlog in the shared replication buffer (mem_total_replication_buffers), which grows with
 * every write until repl-backlog-size (1 MB by default) is full: left in, it adds about a value's size to each
 * key written on a fresh cluster, and nothing on a busy one. Before 7.0: mem_replication_backlog + mem_clients_slaves.
 */
function transientMemory(info: Map<string, string>): number {
  const repl = info.has('mem_total_replication_buffers')
    ? num(info, 'mem_total_replication_buffers')
    : num(info, 'mem_replication_backlog') + num(info, 'mem_clients_slaves');
  return repl + num(info, 'mem_clients_normal') + num(info, 'mem_aof_buffer') + num(info, 'mem_cluster_links');
}

/**
 * A master's memory as the data set sees it: `used_memory` minus transientMemory. Settled: waits for lazy-free to finish (lazyfree_pending_objects 0), then the median of `samples`
 * readings 60 ms apart, again while they spread over more than 0.1% (at most 3 rounds; incremental rehashing
 * and expiry settle within them).
 */
async function settledMemory(node: AdminNode, samples: number): Promise<number> {
  let readings: number[] = [];
  for (let round = 0; round < 3; round++) {
    readings = [];
    for (let tries = 0; readings.length < samples && tries < 100; tries++) {
      const info = parseInfo(String(await node.client.info('memory')));
      if (num(info, 'lazyfree_pending_objects') > 0) {
        await sleep(50);
        continue;
      }
      readings.push(num(info, 'used_memory') - transientMemory(info));
      if (readings.length < samples) await sleep(60);
    }
    readings.sort((a, b) => a - b);
    const spread = (readings[readings.length - 1] ?? 0) - (readings[0] ?? 0);
    if (spread <= Math.max(4096, (readings[0] ?? 0) * 0.001)) break;
  }
  return readings[Math.floor(readings.length / 2)] ?? 0;
}

/** Settled data-set memory per spec master (settledMemory), in the spec's master order. */
export async function memoryByMaster(session: AdminSession, spec: Spec, samples = 3): Promise<Record<string, number>> {
  const masters = mastersBySpec(session, spec);
  const values = await Promise.all(masters.map((m) => settledMemory(m.node, samples)));
  return Object.fromEntries(masters.map((m, i) => [m.name, values[i] ?? 0]));
}

async function evictedKeys(session: AdminSession): Promise<number> {
  const infos = await Promise.all(session.masters.map(async (m) => parseInfo(String(await m.client.info('stats')))));
  return infos.reduce((a, i) => a + num(i, 'evicted_keys'), 0);
}

/** MEMORY USAGE of one key on the master serving it (0 when the key does not exist). */
async function memoryUsage(session: AdminSession, spec: Spec, key: string): Promise<number> {
  const name = specMasterOfSlot(spec, slotOf(key));
  const node = mastersBySpec(session, spec).find((m) => m.name === name)?.node;
  const r = await node?.client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
  return typeof r === 'number' ? r : 0;
}

/** Masters holding a tenant-module's keys (one with a tagged placement; all of them under `none`). */
function mastersOfModule(spec: Spec, t: MeasuredTenant, module: string): string[] {
  const p = modulePlacement(t.meta, module);
  return p.slot === null ? spec.topology.masters.map((m) => m.name) : [specMasterOfSlot(spec, p.slot)];
}

/**
 * The first quota writes a master serves cost it a one-time ~0.2 MB (measured on Redis 7.0; not keys, not
 * buffers) that would land on the first tenant-module measured: one tenant of the plan with the most modules
 * writes 20 keys per module and is removed again, before the baseline.
 */
async function warmUp(session: AdminSession, spec: Spec, target: Target, id: string, log: (line: string) => void) {
  const plan = Object.entries(spec.plans).sort(([, a], [, b]) => b.modules.length - a.modules.length)[0]?.[0];
  if (!plan) return;
  const [t] = await provisionMeasured(session, spec, [{ id, plan, channel: 'mobile' }]);
  if (!t) return;
  await fillTenantModules(
    spec,
    target,
    t.meta.modules.map((module) => ({ tenant: t, module, from: 0, to: 20 })),
  );
  await removeTenant(session, t.tenant);
  log(`warm-up tenant ${id} (${plan}) wrote 20 keys per module and was removed`);
}

const sum = (xs: Iterable<number>) => [...xs].reduce((a, b) => a + b, 0);

/**
 * Memory per key and per tenant, measured on a live cluster through the production write path.
 *
 * Provisions `tenantsPerPlan` tenants of every plan (ids `cap<run>-<plan><n>`), then fills each (plan, module)
 * in turn to `fill` × maxKeys keys through TenantCache (fillTenantModules: value model in value-model.ts),
 * reading the settled data-set memory of every master (memoryByMaster) before and after each step, so each
 * step's growth is that tenant-module's alone. How each cost is counted:
 * - a tenant-module's data keys and its quota zset (written by the same script): the step's growth on the
 *   master(s) holding it, per tenant; its quota limits hash (written at provisioning): its MEMORY USAGE. Their
 *   sum is `bytes_per_tenant_module`.
 * - the ACL user (one per node): each master's provisioning growth minus the limits and meta keys written there
 *   (MEMORY USAGE), per tenant, median over masters; plus the meta key's MEMORY USAGE spread over the masters:
 *   `bytes_per_tenant_each_master`.
 * - `bytes_per_tenant` = its modules + masters × each-master cost. `bytes_per_tenant_full`: the first tenant of
 *   each plan filled on to 100% (measured growth added to its plan's figure at `fill`).
 * - `bytes_per_key`: MEMORY USAGE means per data type (sampled), scaled so that keys × bytes add up to the
 *   measured growth of all data fills (so each includes its share of expires, slot index and quota zset).
 * Removes every tenant it made (keys, limits, meta, ACL users) at the end, on failure and on SIGINT/SIGTERM
 * (withTemporaryTenants: by the run's id prefix).
 * Refuses a target it may not change; stops with an error if any key was evicted meanwhile.
 */
export async function measureMemory(o: MemoryOptions): Promise<CapacityMemory> {
  const { target } = o;
  const log = o.log ?? (() => undefined);
  const fill = o.fill ?? 0.5;
  const perPlan = o.tenantsPerPlan ?? 2;
  if (!(fill > 0 && fill <= 1)) throw new HarnessError(`fill must be in (0, 1], got ${fill}`, 'pass a share of maxKeys, e.g. 0.5');
  if (!Number.isInteger(perPlan) || perPlan < 1) throw new HarnessError(`tenantsPerPlan must be a positive integer, got ${perPlan}`);
  if (!(o.allowDestructive ?? target.destructive))
    throw new HarnessError(
      'the memory measurement writes tenants and keys: this target is not the harness’s to change',
      'pass --allow-destructive if it may be changed (every tenant it makes is removed afterwards)',
    );

  // Every tenant of this run is named cap<run>-…: removed by that prefix at the end, whatever happened.
  const run = randomBytes(3).toString('hex');
  return withTemporaryTenants(target, `cap${run}-`, log, async () => {
    const session = await openAdminSession(target);
    try {
      return await measure(session, o, run, fill, perPlan, log);
    } finally {
      await session.close();
    }
  });
}

async function measure(
  session: AdminSession,
  o: MemoryOptions,
  run: string,
  fill: number,
  perPlan: number,
  log: (line: string) => void,
): Promise<CapacityMemory> {
  const made: MeasuredTenant[] = [];
  const { spec, target, signal } = o;
  const names = spec.topology.masters.map((m) => m.name);
  const plans = Object.keys(spec.plans);
  // Scripts loaded before the baseline: SCRIPT LOAD is idempotent, and the first one must not count as tenants' memory.
  await loadQuotaScripts(session.nodes.map((n) => n.client));
  await warmUp(session, spec, target, `cap${run}-warmup`, log);
  const evicted0 = await evictedKeys(session);
  const base = await memoryByMaster(session, spec);

  const inputs = plans.flatMap((plan) =>
    Array.from({ length: perPlan }, (_, i) => ({ id: `cap${run}-${plan}${i + 1}`, plan, channel: 'mobile' })),
  );
  made.push(...(await provisionMeasured(session, spec, inputs)));
  const provisioned = await memoryByMaster(session, spec);
  log(`provisioned ${made.length} tenant(s) (${perPlan} per plan)`);

  // Quota limits hashes: one per tenant-module, counted with the module. Meta keys: counted per tenant, spread.
  const limits = new Map<string, number>();
  const keyed = new Map(names.map((n) => [n, 0]));
  const addKeyed = (key: string, b: number) => {
    const n = specMasterOfSlot(spec, slotOf(key));
    keyed.set(n, (keyed.get(n) ?? 0) + b);
  };
  let metaBytes = 0;
  for (const t of made) {
    const tenant = parseTenantId(t.tenant);
    for (const m of t.meta.modules) {
      const key = limitsKeyOf(tenant, m as ModuleName, modulePlacement(t.meta, m));
      const b = await memoryUsage(session, spec, key);
      limits.set(`${t.tenant}/${m}`, b);
      addKeyed(key, b);
    }
    const mb = await memoryUsage(session, spec, metaKey(tenant));
    metaBytes += mb;
    addKeyed(metaKey(tenant), mb);
  }
  // The ACL user's cost per master: provisioning growth minus the keys it wrote there, per tenant; the median
  // over masters, so a one-off allocation step on one master (tens of KB, seen on Redis 7.0) does not count.
  const aclPerMaster = names.map((n) => ((provisioned[n] ?? 0) - (base[n] ?? 0) - (keyed.get(n) ?? 0)) / made.length).sort((a, b) => a - b);
  const eachMaster = (aclPerMaster[Math.floor(aclPerMaster.length / 2)] ?? 0) + metaBytes / (made.length * names.length);
  log(
    `ACL user ~${Math.round(eachMaster - metaBytes / (made.length * names.length))} B per master, meta key ~${Math.round(metaBytes / made.length)} B`,
  );

  const bytesPerTenantModule: Record<string, Record<string, number>> = {};
  const perDataType: Record<string, number> = {};
  const keysPerMaster: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  let prev = provisioned;
  let dataGrowth = 0;
  for (const plan of plans) {
    const tenants = made.filter((t) => t.plan === plan);
    const maxKeys = spec.plans[plan]?.maxKeys ?? 0;
    const keys = keysAtFill(maxKeys, fill);
    bytesPerTenantModule[plan] = {};
    for (const module of spec.plans[plan]?.modules ?? []) {
      signal?.throwIfAborted();
      const t0 = performance.now();
      const tally = await fillTenantModules(
        spec,
        target,
        tenants.map((t) => ({ tenant: t, module, from: 0, to: keys })),
        signal ? { signal } : {},
      );
      const now = await memoryByMaster(session, spec);
      const where = new Set(tenants.flatMap((t) => mastersOfModule(spec, t, module)));
      const growth = sum([...where].map((n) => (now[n] ?? 0) - (prev[n] ?? 0)));
      for (const n of where) keysPerMaster[n] = (keysPerMaster[n] ?? 0) + tally.keys / where.size;
      for (const [dt, c] of Object.entries(tally.perDataType)) perDataType[dt] = (perDataType[dt] ?? 0) + c;
      dataGrowth += growth;
      const limitsMean = sum(tenants.map((t) => limits.get(`${t.tenant}/${module}`) ?? 0)) / tenants.length;
      bytesPerTenantModule[plan][module] = growth / tenants.length + limitsMean;
      log(
        `${plan}/${module}: ${tally.keys} keys in ${((performance.now() - t0) / 1000).toFixed(1)} s, +${Math.round(growth)} B on ${[...where].join(', ')}`,
      );
      prev = now;
    }
  }
  const atFill = prev;

  // MEMORY USAGE of a sample of keys per data type (the first tenant of each plan, every module).
  const usage: Record<string, number[]> = {};
  for (const plan of plans) {
    const t = made.find((x) => x.plan === plan);
    if (!t) continue;
    const keys = keysAtFill(spec.plans[plan]?.maxKeys ?? 0, fill);
    for (const module of t.meta.modules) {
      const types = dataTypesOf(spec, module as ModuleName);
      const placement = modulePlacement(t.meta, module);
      for (let i = 0; i < Math.min(keys, types.length * 8); i++) {
        const dt = types[i % types.length] ?? '';
        const key = buildKey(spec, parseTenantId(t.tenant), module as ModuleName, placement, dt, fillKeyName(i));
        (usage[dt] ??= []).push(await memoryUsage(session, spec, key));
      }
    }
  }
  const usageMean = Object.fromEntries(Object.entries(usage).map(([dt, xs]) => [dt, sum(xs) / xs.length]));
  const estimated = sum(Object.entries(perDataType).map(([dt, c]) => (usageMean[dt] ?? 0) * c));
  const scale = estimated > 0 ? dataGrowth / estimated : 0;
  const bytesPerKey = Object.fromEntries(Object.entries(usageMean).map(([dt, b]) => [dt, b * scale]));

  const bytesPerTenant = Object.fromEntries(
    plans.map((p) => [p, sum(Object.values(bytesPerTenantModule[p] ?? {})) + eachMaster * names.length]),
  );

  const full: Record<string, number> = {};
  if (o.full ?? true) {
    for (const plan of plans) {
      signal?.throwIfAborted();
      const t = made.find((x) => x.plan === plan);
      const maxKeys = spec.plans[plan]?.maxKeys ?? 0;
      if (!t) continue;
      const t0 = performance.now();
      const from = keysAtFill(maxKeys, fill);
      const before = await memoryByMaster(session, spec);
      const tally = await fillTenantModules(
        spec,
        target,
        t.meta.modules.map((module) => ({ tenant: t, module, from, to: maxKeys })),
        signal ? { signal } : {},
      );
      const after = await memoryByMaster(session, spec);
      const where = new Set(t.meta.modules.flatMap((m) => mastersOfModule(spec, t, m)));
      full[plan] = (bytesPerTenant[plan] ?? 0) + sum([...where].map((n) => (after[n] ?? 0) - (before[n] ?? 0)));
      log(
        `${plan} at 100%: +${tally.keys} keys in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${Math.round(full[plan])} B per tenant`,
      );
    }
  }
  const evicted = (await evictedKeys(session)) - evicted0;
  if (evicted > 0)
    throw new HarnessError(
      `${evicted} key(s) were evicted during the memory measurement: the figures would undercount`,
      'run it on a cluster with free memory (lower --fill or tenants per plan, or raise maxmemory)',
    );

  return {
    fill,
    bytes_per_key: bytesPerKey,
    memory_usage_sample: usageMean,
    bytes_per_tenant: bytesPerTenant,
    bytes_per_tenant_full: full,
    bytes_per_tenant_each_master: eachMaster,
    bytes_per_tenant_module: bytesPerTenantModule,
    per_master: names.map((n) => ({
      name: n,
      used_memory_delta: (atFill[n] ?? 0) - (base[n] ?? 0),
      keys: Math.round(keysPerMaster[n] ?? 0),
    })),
    tenants_per_plan: Object.fromEntries(plans.map((p) => [p, perPlan])),
  };
}
