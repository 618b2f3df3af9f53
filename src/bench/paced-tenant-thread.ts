import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../errors.js';
import { parseSpec } from '../spec/index.js';
import { TenantCache, type TenantCacheOptions } from '../tenancy/index.js';
import { encodeHistogram, latencyHistogram } from './histograms.js';

// One tenant's paced open-loop workload through its own TenantCache, in a worker thread of its own, so nothing
// the starting thread does (an aggressor's JavaScript, a fault injector) can delay its pacer: only the cluster
// and the machine can. 80% GET, 20% overwriting SET of its own keys; each op's latency counts from its intended
// start (no coordinated omission). Started through `threadEntry('paced-tenant-thread')`, one window at a time.

/** What the starting thread passes in `workerData` (data only: the thread gets a structured clone; credentials never in argv/env). */
export interface PacedTenantInit {
  cache: Pick<TenantCacheOptions, 'seeds' | 'tenant' | 'module' | 'channel' | 'aclUser' | 'password' | 'meta'> & { spec: unknown };
  keys: readonly string[];
  dataType: string;
  ratePerSec: number;
}

export type ToPacedTenant = { type: 'window'; minMs: number; maxMs: number } | { type: 'settled' } | { type: 'close' };

/** One window's figures; histograms as compressed base64 (encodeHistogram). */
export interface EncodedWindow {
  ops: number;
  errors: number;
  errorMessages: string[];
  elapsedMs: number;
  latency: string;
  /** How late the pacer launched ops (its own lateness in its own thread, µs). */
  sendLag: string;
}

export type FromPacedTenant =
  | { type: 'ready' }
  | { type: 'started' }
  | { type: 'done'; report: EncodedWindow }
  | { type: 'error'; message: string }
  | { type: 'closed' };

/** Ops still unanswered this long after a window count as errors (a stalled node must not hang the caller). */
const DRAIN_MS = 5000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const us = (ms: number) => Math.max(1, Math.round(ms * 1000));

/**
 * One window: runs at least `minMs` and until `isSettled()` (capped at `maxMs`), then waits (bounded) for the
 * ops in flight. `onStarted` is called once the clock has started.
 */
async function runWindow(
  cache: TenantCache,
  init: PacedTenantInit,
  window: { minMs: number; maxMs: number },
  isSettled: () => boolean,
  onStarted: () => void,
): Promise<EncodedWindow> {
  const latency = latencyHistogram();
  const sendLag = latencyHistogram();
  const errorMessages: string[] = [];
  let ops = 0;
  let errors = 0;
  const interval = 1000 / init.ratePerSec;
  const pending = new Set<Promise<void>>();
  const t0 = performance.now();
  onStarted();
  for (let i = 0; ;) {
    const now = performance.now();
    const elapsed = now - t0;
    if ((elapsed >= window.minMs && isSettled()) || elapsed >= window.maxMs) break;
    const due = t0 + i * interval;
    if (due > now) {
      await sleep(due - now);
      continue;
    }
    sendLag.recordValue(us(now - due));
    const k = init.keys[i % init.keys.length] ?? '';
    const op: Promise<unknown> = i % 5 === 4 ? cache.set(init.dataType, k, { i, v: 'quiet' }) : cache.get(init.dataType, k);
    const tracked: Promise<void> = op
      .then(
        () => {
          latency.recordValue(us(performance.now() - due));
        },
        (err: unknown) => {
          errors++;
          if (errorMessages.length < 5) errorMessages.push(errorMessage(err));
        },
      )
      .finally(() => pending.delete(tracked));
    pending.add(tracked);
    ops++;
    i++;
  }
  const elapsedMs = performance.now() - t0;
  const stuck = await Promise.race([Promise.all(pending).then(() => 0), sleep(DRAIN_MS).then(() => pending.size)]);
  if (stuck > 0) {
    errors += stuck;
    errorMessages.push(`${stuck} op(s) unanswered ${DRAIN_MS / 1000} s after the window`);
  }
  return { ops, errors, errorMessages, elapsedMs, latency: encodeHistogram(latency), sendLag: encodeHistogram(sendLag) };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const init = workerData as PacedTenantInit;
  const post = (m: FromPacedTenant) => port.postMessage(m);
  let cache: TenantCache;
  try {
    cache = await TenantCache.open({ ...init.cache, spec: parseSpec(init.cache.spec, 'spec (paced tenant thread)') });
  } catch (err) {
    post({ type: 'error', message: errorMessage(err) });
    port.close();
    return;
  }
  let settled = false;
  port.on('message', (m: ToPacedTenant) => {
    if (m.type === 'window') {
      settled = false;
      runWindow(
        cache,
        init,
        m,
        () => settled,
        () => post({ type: 'started' }),
      ).then(
        (report) => post({ type: 'done', report }),
        (err: unknown) => post({ type: 'error', message: errorMessage(err) }),
      );
    } else if (m.type === 'settled') {
      settled = true;
    } else {
      cache.close().then(
        () => {
          post({ type: 'closed' });
          port.close();
        },
        (err: unknown) => {
          post({ type: 'error', message: errorMessage(err) });
          port.close();
        },
      );
    }
  });
  post({ type: 'ready' });
}

await main();
