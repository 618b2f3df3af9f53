import { randomBytes } from 'node:crypto';
import { summarize } from '../bench/histograms.js';
import { PacedTenantThread, type PacedOutcome, type PacedWindow } from '../bench/paced-tenant.js';
import type { NodeControl, Target } from '../cluster/index.js';
import { HarnessError, errorMessage } from '../errors.js';
import { createTenant, openAdminSession, removeTenant, withAdminSession } from '../provision/index.js';
import type { Spec } from '../spec/index.js';
import { TenantCache, type TenantCacheOptions } from '../tenancy/index.js';
import { rollingRestart, type RollingRestartReport } from './rolling-restart.js';

// The rolling restart under traffic: one real tenant per master (provisioned through the provisioner, on a module
// whose shard is that master), each running the paced open-loop workload in its own worker thread
// (src/bench/paced-tenant.ts) through its own TenantCache, for one window that spans the whole restart.

/** What a TenantCache (ioredis Cluster) retries on its own, so a reader knows what "failed op" means here. */
export const CLIENT_RETRIES =
  'ioredis Cluster as TenantCache configures it: MOVED/ASK followed (up to 16 redirections), CLUSTERDOWN, TRYAGAIN and a closed node connection retried after 100 ms (within the 16), 2 retries per request on a reconnecting node connection, the whole cluster connection re-established up to 3 times (200/400/600 ms)';

const KEYS_PER_TENANT = 200;
/** The window: at least this long, and until the restart is over. */
const WINDOW_MIN_MS = 1000;
/** A bound far above a restart's own (12 steps, each bounded by its step timeout): the window never runs on. */
const WINDOW_MAX_MS = 15 * 60_000;

export interface TenantTraffic {
  tenant: string;
  module: string;
  /** The master its keys live on (the module's shard in the spec). */
  shard: string;
  ops: number;
  failed_ops: number;
  /** The first error messages (at most 5). */
  errors: string[];
  p99_us: number;
  p99_9_us: number;
  max_us: number;
  /** The pacer's own lateness (p99, µs): a large one means the machine, not the cluster, added latency. */
  send_lag_p99_us: number;
  elapsed_ms: number;
}

export interface RollingRunResult {
  rate_per_tenant: number;
  client_retries: string;
  restart: RollingRestartReport;
  tenants: TenantTraffic[];
  failed_ops: number;
  ops: number;
  worst_latency_us: number;
  worst_latency_tenant: string;
}

export interface RollingRunOptions {
  /** Ops/s per tenant (paced, open loop). */
  ratePerSec: number;
  log?: (line: string) => void;
  stepTimeoutMs?: number;
  signal?: AbortSignal;
}

interface Party {
  tenant: string;
  module: string;
  shard: string;
  cache: Pick<TenantCacheOptions, 'spec' | 'seeds' | 'tenant' | 'module' | 'channel' | 'aclUser' | 'password' | 'meta'>;
  dataType: string;
}

/** A plan of the spec with a module on every master's shard, and that module per master. */
export function modulePerMaster(spec: Spec): { plan: string; modules: Array<{ master: string; module: string }> } {
  for (const [plan, p] of Object.entries(spec.plans)) {
    const modules = spec.topology.masters.map((m) => ({
      master: m.name,
      module: p.modules.find((x) => spec.modules[x]?.shard === m.name),
    }));
    if (modules.every((m) => m.module !== undefined))
      return { plan, modules: modules.map((m) => ({ master: m.master, module: m.module ?? '' })) };
  }
  throw new HarnessError('no plan of the spec has a module on every master: the rolling restart needs traffic on every shard');
}

/**
 * Provision one tenant per master, run their paced workloads through one window spanning `rollingRestart`, then
 * remove the tenants. Threads, tenants and stopped nodes are cleaned up on every path.
 */
export async function runRollingRestart(
  target: Target,
  control: NodeControl,
  spec: Spec,
  opts: RollingRunOptions,
): Promise<RollingRunResult> {
  const log = opts.log ?? (() => undefined);
  if (!Number.isFinite(opts.ratePerSec) || opts.ratePerSec <= 0) throw new HarnessError('the rate must be a positive number of ops/s');
  const run = randomBytes(3).toString('hex');
  const { plan, modules } = modulePerMaster(spec);
  const parties: Party[] = [];
  const created: string[] = [];
  const threads: PacedTenantThread[] = [];
  try {
    await withAdminSession(target, async (admin) => {
      for (const [i, m] of modules.entries()) {
        const id = `rr-${run}-${i + 1}`;
        const r = await createTenant(admin, spec, { id, plan });
        if (r.status !== 'created') throw new Error(`${id}: expected a new tenant, got ${r.status}`);
        created.push(id);
        const dataType = Object.keys(spec.modules[m.module]?.dataTypes ?? {})[0];
        if (dataType === undefined) throw new Error(`module ${m.module} has no data type`);
        parties.push({
          tenant: id,
          module: m.module,
          shard: m.master,
          dataType,
          cache: {
            spec,
            seeds: target.seeds,
            tenant: id,
            module: m.module,
            channel: 'mobile',
            aclUser: r.meta.aclUser,
            password: r.password,
            meta: r.meta,
          },
        });
      }
    });
    log(`tenants ${parties.map((p) => `${p.tenant} (${p.module} on ${p.shard})`).join(', ')}: ${opts.ratePerSec} ops/s each`);
    const keys = Array.from({ length: KEYS_PER_TENANT }, (_, i) => `k${i}`);
    for (const p of parties) {
      await seed(p, keys);
      threads.push(
        await PacedTenantThread.start({ cache: p.cache, keys, dataType: p.dataType, ratePerSec: opts.ratePerSec }, `tenant ${p.tenant}`),
      );
    }

    // One window per thread, all spanning the same restart: it starts once every thread's clock has started, and
    // does not start at all if one thread cannot.
    let ready = 0;
    let release: () => void = () => undefined;
    let refuse: (err: unknown) => void = () => undefined;
    const allStarted = new Promise<void>((resolve, reject) => {
      release = resolve;
      refuse = reject;
    });
    const restart = allStarted.then(() =>
      rollingRestart(target, control, spec, {
        log,
        ...(opts.stepTimeoutMs ? { stepTimeoutMs: opts.stepTimeoutMs } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      }),
    );
    restart.catch(() => undefined); // read through each window's outcome
    const settled = await Promise.allSettled(
      threads.map((t) =>
        t
          .window(WINDOW_MIN_MS, WINDOW_MAX_MS, () => {
            if (++ready === threads.length) release();
            return restart;
          })
          .catch((err: unknown) => {
            refuse(err);
            throw err;
          }),
      ),
    );
    const windows = settled.map((s) => {
      if (s.status === 'rejected') throw s.reason;
      return s.value;
    });
    const report = outcomeOf(windows[0]?.outcome);
    return summarizeRun(
      opts.ratePerSec,
      report,
      parties,
      windows.map((w) => w.window),
    );
  } finally {
    const problems: string[] = [];
    for (const t of threads) await t.close().catch((err: unknown) => problems.push(errorMessage(err)));
    if (created.length > 0) {
      // The restart closed the connections of any session opened before it: a fresh one.
      const admin = await openAdminSession(target).catch((err: unknown) => {
        problems.push(`admin session: ${errorMessage(err)}`);
        return undefined;
      });
      if (admin) {
        for (const id of created)
          await removeTenant(admin, id).catch((err: unknown) => problems.push(`remove ${id}: ${errorMessage(err)}`));
        await admin.close();
      }
    }
    if (problems.length > 0) log(`cleanup: ${problems.join('; ')}`);
  }
}

function outcomeOf(o: PacedOutcome<RollingRestartReport> | undefined): RollingRestartReport {
  if (!o) throw new Error('no traffic window ran');
  if (!o.ok) throw o.error;
  return o.value;
}

/** Write every key the workload reads, through the tenant's own write path (the quota script). */
async function seed(p: Party, keys: readonly string[]): Promise<void> {
  const cache = await TenantCache.open(p.cache);
  try {
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(keys.slice(i, i + 50).map((k, j) => cache.set(p.dataType, k, { i: i + j, v: 'rolling' })));
  } finally {
    await cache.close();
  }
}

function summarizeRun(
  rate: number,
  restart: RollingRestartReport,
  parties: readonly Party[],
  windows: readonly PacedWindow[],
): RollingRunResult {
  const tenants = parties.map((p, i): TenantTraffic => {
    const w = windows[i];
    if (!w) throw new Error(`no window for ${p.tenant}`);
    const s = summarize(w.latency);
    return {
      tenant: p.tenant,
      module: p.module,
      shard: p.shard,
      ops: w.ops,
      failed_ops: w.errors,
      errors: w.errorMessages,
      p99_us: s.p99_us,
      p99_9_us: s.p99_9_us,
      max_us: s.max_us,
      send_lag_p99_us: summarize(w.sendLag).p99_us,
      elapsed_ms: Math.round(w.elapsedMs),
    };
  });
  const worst = tenants.reduce<TenantTraffic | undefined>((a, t) => (a === undefined || t.max_us > a.max_us ? t : a), undefined);
  return {
    rate_per_tenant: rate,
    client_retries: CLIENT_RETRIES,
    restart,
    tenants,
    failed_ops: tenants.reduce((n, t) => n + t.failed_ops, 0),
    ops: tenants.reduce((n, t) => n + t.ops, 0),
    worst_latency_us: worst?.max_us ?? 0,
    worst_latency_tenant: worst?.tenant ?? '',
  };
}

/** Why a rolling restart did not go as it must (empty: it did): the spec's failed-ops limit, completion, the end state. */
export function rollingProblems(r: RollingRunResult, spec: Spec): string[] {
  const limit = spec.failover.rollingRestartMaxFailedOps;
  return [
    ...(r.failed_ops > limit
      ? [
          `${r.failed_ops} failed op(s) > failover.rollingRestartMaxFailedOps ${limit} (${r.tenants.flatMap((t) => t.errors.slice(0, 2)).join('; ')})`,
        ]
      : []),
    ...(r.restart.completed ? [] : [`the restart did not complete: stopped at ${r.restart.stoppedAt ?? '?'}`]),
    ...r.restart.topologyProblems.map((p) => `the cluster does not end as the spec describes: ${p}`),
  ];
}
