import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { Cluster } from 'ioredis';
import { closeNode, connectClusterClient } from '../cluster/index.js';
import { errorMessage } from '../errors.js';
import {
  trafficErrorKind,
  type FromTraffic,
  type ShardOps,
  type ToTraffic,
  type TrafficInit,
  type TrafficRecord,
} from '../faults/traffic.js';
import { latencyHistogram } from './histograms.js';

// The failover measurement's traffic (src/faults/traffic.ts): a paced open loop over every shard through one
// ioredis Cluster client, in a thread of its own so the fault injector cannot delay it. Op i is due at
// t0 + i/rate, goes to shard i mod n (half SET, half GET of that shard's keys), and its latency counts from
// that due time; an op without a reply within opTimeoutMs is a TIMEOUT (the client's own promise is left to
// settle or fail on its own). Bounded: maxMs, and at most one op per due time.

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class Timeout extends Error {
  constructor(ms: number) {
    super(`op timed out after ${ms} ms`);
  }
}

async function run(
  client: Cluster,
  init: TrafficInit,
  stopped: () => boolean,
  onStarted: (t0Epoch: number) => void,
): Promise<TrafficRecord> {
  const shards: ShardOps[] = init.shards.map((s) => ({ name: s.name, startMs: [], latencyMs: [], failures: [], samples: {} }));
  const lag = latencyHistogram();
  const interval = 1000 / init.ratePerSec;
  const pending = new Set<Promise<void>>();
  const t0 = performance.now();
  onStarted(performance.timeOrigin + t0);
  const value = 'v'.repeat(64);
  for (let i = 0; ;) {
    const now = performance.now();
    if (stopped() || now - t0 >= init.maxMs) break;
    const due = t0 + i * interval;
    if (due > now) {
      await sleep(Math.min(due - now, 50));
      continue;
    }
    lag.recordValue(Math.max(1, Math.round((now - due) * 1000)));
    const si = i % shards.length;
    const shard = shards[si];
    const keys = init.shards[si]?.keys ?? [];
    const key = keys[Math.floor(i / shards.length) % keys.length];
    if (!shard || key === undefined) throw new Error('traffic: a shard without keys');
    const idx = shard.startMs.length;
    shard.startMs.push(due - t0);
    shard.latencyMs.push(-1);
    const op: Promise<unknown> = i % 2 === 0 ? client.set(key, value) : client.get(key);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Timeout(init.opTimeoutMs)), Math.max(1, due + init.opTimeoutMs - performance.now()));
    });
    const tracked: Promise<void> = Promise.race([op, timeout])
      .then(
        () => {
          shard.latencyMs[idx] = performance.now() - due;
        },
        (err: unknown) => {
          const kind = err instanceof Timeout ? 'TIMEOUT' : trafficErrorKind(err);
          shard.failures.push({ atMs: due - t0, kind });
          shard.samples[kind] ??= errorMessage(err).slice(0, 200);
        },
      )
      .finally(() => {
        clearTimeout(timer);
        pending.delete(tracked);
      });
    op.catch(() => undefined); // a late failure after its timeout is already counted
    pending.add(tracked);
    i++;
  }
  const elapsedMs = performance.now() - t0;
  // Every op has its own timeout, so this ends within opTimeoutMs; the bound is a guard.
  const undrained = await Promise.race([Promise.all(pending).then(() => 0), sleep(init.opTimeoutMs + 2000).then(() => pending.size)]);
  return { t0EpochMs: performance.timeOrigin + t0, elapsedMs, shards, sendLagP99Ms: lag.getValueAtPercentile(99) / 1000, undrained };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const init = workerData as TrafficInit;
  const post = (m: FromTraffic) => port.postMessage(m);
  let client: Cluster;
  try {
    client = await connectClusterClient(
      init.seeds,
      {
        ...(init.username !== undefined ? { username: init.username } : {}),
        ...(init.password !== undefined ? { password: init.password } : {}),
      },
      { slotsRefreshIntervalMs: init.slotsRefreshIntervalMs, autoPipelining: false },
    );
  } catch (err) {
    post({ type: 'error', message: errorMessage(err) });
    port.close();
    return;
  }
  // A node dying under the client emits 'error' events: counted per op, not fatal to the thread.
  client.on('error', () => undefined);
  let stopped = false;
  port.on('message', (m: ToTraffic) => {
    if (m.type === 'start') {
      run(
        client,
        init,
        () => stopped,
        (t0EpochMs) => post({ type: 'started', t0EpochMs }),
      )
        .then(
          (record) => post({ type: 'done', record }),
          (err: unknown) => post({ type: 'error', message: errorMessage(err) }),
        )
        .finally(() => {
          void closeNode(client).finally(() => port.close());
        });
    } else stopped = true;
  });
  post({ type: 'ready' });
}

await main();
