import { PacedTenantThread, type PacedOutcome, type PacedWindow } from '../../src/bench/paced-tenant.js';
import { TenantCache, type TenantCacheOptions } from '../../src/tenancy/index.js';

// The quiet tenant: a paced open-loop workload through its own TenantCache (its own ACL user), 80% GET and
// 20% overwriting SET of its own keys. Each op's latency counts from its intended start, so a stall of the
// node (or of the workload's thread) shows in full instead of only delaying the next op (no coordinated
// omission). The workload runs in its own worker thread (src/bench/paced-tenant-thread.ts driven by src/bench/paced-tenant.ts, its own connection), so the
// aggressor's JavaScript in the suite's thread cannot delay it; seeding and reading back stay here.

export const VICTIM_DATA_TYPE = 'users';

export type VictimWindow = PacedWindow;

/** What both connections of the quiet tenant open with (data only: the thread gets a structured clone). */
export type VictimCacheOptions = Pick<
  TenantCacheOptions,
  'spec' | 'seeds' | 'tenant' | 'module' | 'channel' | 'aclUser' | 'password' | 'meta'
>;

export interface VictimOptions {
  /** This thread's connection as the quiet tenant: seeding and reading its keys back, between windows. */
  cache: TenantCache;
  keys: number;
  ratePerSec: number;
  /** The paced workload's thread, with its own TenantCache. */
  thread: PacedTenantThread;
}

export function victimKey(i: number): string {
  return `v${i}`;
}

/** Both connections of the quiet tenant: this thread's TenantCache and the workload thread (closed again if it cannot start). */
export async function openVictim(cacheOptions: VictimCacheOptions, keys: number, ratePerSec: number): Promise<VictimOptions> {
  const cache = await TenantCache.open(cacheOptions);
  try {
    const names = Array.from({ length: keys }, (_, i) => victimKey(i));
    return {
      cache,
      keys,
      ratePerSec,
      thread: await PacedTenantThread.start(
        { cache: cacheOptions, keys: names, dataType: VICTIM_DATA_TYPE, ratePerSec },
        'the quiet tenant',
      ),
    };
  } catch (err) {
    await cache.close();
    throw err;
  }
}

/** Ends the workload thread and closes this thread's connection (both, even if one fails). */
export async function closeVictim(o: VictimOptions): Promise<void> {
  const results = await Promise.allSettled([o.thread.close(), o.cache.close()]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

/** Write every key of the quiet tenant (through the quota script: its normal write path). */
export async function seedVictim(o: VictimOptions): Promise<void> {
  for (let i = 0; i < o.keys; i += 50)
    await Promise.all(
      Array.from({ length: Math.min(50, o.keys - i) }, (_, j) => o.cache.set(VICTIM_DATA_TYPE, victimKey(i + j), { i: i + j, v: 'quiet' })),
    );
}

/** How many of the quiet tenant's keys are missing now, read back as the tenant. */
export async function victimKeysLost(o: VictimOptions): Promise<number> {
  const values = await o.cache.mget(
    VICTIM_DATA_TYPE,
    Array.from({ length: o.keys }, (_, i) => victimKey(i)),
  );
  return values.filter((v) => v === undefined).length;
}

/**
 * Run the workload (in its thread) for at least `minMs` and until `during` settles (capped at `maxMs`), then wait
 * (bounded) for the ops in flight. Returns the window's figures and what `during` returned (or threw).
 */
export function victimWindow<T>(
  o: VictimOptions,
  minMs: number,
  maxMs: number,
  during: () => Promise<T>,
): Promise<{ window: VictimWindow; outcome: PacedOutcome<T> }> {
  return o.thread.window(minMs, maxMs, during);
}
