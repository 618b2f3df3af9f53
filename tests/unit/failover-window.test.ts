import { describe, expect, it } from 'vitest';
import { parseClusterNodes } from '../../src/cluster/index.js';
import { layoutDiff, failoverViolations, type FailoverResult } from '../../src/faults/failover.js';
import { errorsByKind, keysForShards, latencyBetween, shardWindow, summarizeTraffic, trafficErrorKind } from '../../src/faults/traffic.js';
import { loadSpec } from '../../src/spec/index.js';
import { slotOf } from '../../src/tenancy/index.js';

// The client-visible window from synthetic op records: ops every 10 ms, latency in ms, -1 = failed.
function ops(latencies: readonly number[], stepMs = 10) {
  return { startMs: latencies.map((_, i) => i * stepMs), latencyMs: [...latencies] };
}

describe('shardWindow', () => {
  it('is 0 when no op failed or stalled', () => {
    expect(shardWindow(ops([1, 2, 900, 3]), 1000, 40)).toEqual({
      windowMs: 0,
      firstBadMs: null,
      recoveredAtMs: null,
      recovered: true,
      badOps: 0,
      stalledOps: 0,
    });
  });

  it('runs from the first failed op to the completion of the first good op after the last bad one', () => {
    // ops at 0..90 ms; 20 and 30 fail, 40 succeeds after 5 ms: window = (40 + 5) - 20
    const w = shardWindow(ops([1, 1, -1, -1, 5, 1, 1, 1, 1, 1]), 1000, 100);
    expect(w).toMatchObject({ windowMs: 25, firstBadMs: 20, recoveredAtMs: 45, recovered: true, badOps: 2, stalledOps: 0 });
  });

  it('counts a stalled op (slower than stallMs) as bad, and spans every bad op (a flapping shard is one window)', () => {
    // 10: stalled (1500 ms), 30: failed, 40: good after 2 ms → window (40 + 2) - 10
    const w = shardWindow(ops([1, 1500, 1, -1, 2]), 1000, 50);
    expect(w).toMatchObject({ windowMs: 32, firstBadMs: 10, recoveredAtMs: 42, badOps: 2, stalledOps: 1 });
  });

  it('ends at a good op launched after the last bad one, even if an earlier-launched op finished later', () => {
    // the op at 0 took 500 ms (good, < stall); the op at 10 failed; the op at 20 is the first good one after it
    const w = shardWindow(ops([500, -1, 3]), 1000, 30);
    expect(w).toMatchObject({ windowMs: 13, firstBadMs: 10, recoveredAtMs: 23 });
  });

  it('is open (not recovered) when no good op follows the last bad one: measured to the end of the traffic', () => {
    const w = shardWindow(ops([1, -1, -1, 1500]), 1000, 5000);
    expect(w).toMatchObject({ windowMs: 4990, firstBadMs: 10, recoveredAtMs: null, recovered: false, badOps: 3 });
  });
});

describe('traffic records', () => {
  it('counts errors by kind and summarizes each shard, with the latency during the event only', () => {
    const rec = {
      t0EpochMs: 0,
      elapsedMs: 100,
      sendLagP99Ms: 0,
      undrained: 0,
      shards: [
        {
          name: 'a',
          ...ops([1, -1, -1, 2]),
          failures: [
            { atMs: 10, kind: 'TIMEOUT' },
            { atMs: 20, kind: 'CLUSTERDOWN' },
          ],
          samples: {},
        },
        { name: 'b', ...ops([1, 300, 400, 1]), failures: [], samples: {} },
      ],
    };
    expect(errorsByKind(rec.shards[0] ?? { failures: [] })).toEqual({ TIMEOUT: 1, CLUSTERDOWN: 1 });
    const [a, b] = summarizeTraffic(rec, 1000, { fromMs: 10, toMs: 30 });
    expect(a).toMatchObject({ name: 'a', ops: 4, failed: 2, windowMs: 22, errors: { TIMEOUT: 1, CLUSTERDOWN: 1 } });
    expect(b).toMatchObject({ name: 'b', ops: 4, failed: 0, windowMs: 0 });
    // b's ops launched at 10 and 20 ms: 300 and 400 ms
    expect(b?.latencyDuringEvent.count).toBe(2);
    expect(b?.latencyDuringEvent.max_us).toBeGreaterThanOrEqual(399_000);
    expect(latencyBetween(rec.shards[1] ?? ops([]), 0, 10).totalCount).toBe(1);
  });

  it("names ioredis's exhausted redirections after their last error", () => {
    expect(trafficErrorKind(new Error('Too many Cluster redirections. Last error: ReplyError: MOVED 764 127.0.0.1:17000'))).toBe(
      'MOVED_STORM',
    );
    expect(trafficErrorKind(new Error('Too many Cluster redirections. Last error: Error: Connection is closed.'))).toBe('CONNECTION');
    expect(trafficErrorKind(new Error('CLUSTERDOWN The cluster is down'))).toBe('CLUSTERDOWN');
  });

  it("puts every shard's keys in that shard's slots", () => {
    const spec = loadSpec();
    const shards = keysForShards('t:', spec.topology.masters, 50);
    expect(shards.map((s) => s.keys.length)).toEqual([50, 50, 50]);
    for (const [i, s] of shards.entries()) {
      const ranges = spec.topology.masters[i]?.slots ?? [];
      for (const k of s.keys)
        expect(
          ranges.some(([lo, hi]) => slotOf(k) >= lo && slotOf(k) <= hi),
          k,
        ).toBe(true);
    }
  });
});

describe('layoutDiff and failoverViolations', () => {
  const spec = loadSpec();
  const names: Record<number, string> = {
    7001: 'redis-1',
    7002: 'redis-2',
    7003: 'redis-3',
    7004: 'redis-4',
    7005: 'redis-5',
    7006: 'redis-6',
  };
  const line = (id: string, port: number, flags: string, master: string, slots: string) =>
    `${id} 127.0.0.1:${port}@${port + 10000} ${flags} ${master} 0 0 1 connected ${slots}`.trim();
  const asSpec = [
    line('a1', 7001, 'master', '-', '0-5460'),
    line('a2', 7002, 'master', '-', '5461-10922'),
    line('a3', 7003, 'master', '-', '10923-16383'),
    line('a4', 7004, 'slave', 'a1', ''),
    line('a5', 7005, 'slave', 'a2', ''),
    line('a6', 7006, 'slave', 'a3', ''),
  ];

  it("is empty for the spec's layout and names each node that differs after a failover", () => {
    expect(layoutDiff(spec, parseClusterNodes(asSpec.join('\n')), (p) => names[p])).toEqual([]);
    const after = [...asSpec];
    after[0] = line('a1', 7001, 'slave', 'a4', '');
    after[3] = line('a4', 7004, 'master', '-', '0-5460');
    expect(layoutDiff(spec, parseClusterNodes(after.join('\n')), (p) => names[p])).toEqual([
      'redis-1: replica of redis-4 (spec: master)',
      'redis-4: master of [[0,5460]] (spec: replica of redis-1)',
    ]);
  });

  const good: FailoverResult = {
    fault: 'kill',
    node: 'redis-1',
    node_timeout_ms: 5000,
    window_ms: 8000,
    windows_closed: true,
    shards: [],
    errors: {},
    promoted: 'redis-4',
    expected_promoted: 'redis-4',
    promotion_ms: 7000,
    recovered_ms: 9000,
    rejoined: true,
    rejoined_as: 'replica',
    acked_writes_lost: 0,
    acked_writes_lost_no_wait: 3,
    acked_writes: { wait: null, plain: null },
    layout_diff_after_fault: [],
    failed_back: true,
    layout_diff_end: [],
    traffic: { rate_per_sec: 600, op_timeout_ms: 1000, duration_ms: 12000, send_lag_p99_ms: 1, undrained: 0 },
    notes: [],
  };

  it('passes a failover within the limits (writes lost without WAIT are reported, not failed)', () => {
    expect(failoverViolations(good, 10_000)).toEqual([]);
  });

  it('fails a long window, the wrong replica, a lost WAIT write, no recovery, an open window', () => {
    const v = failoverViolations(
      { ...good, window_ms: 12_000, windows_closed: false, promoted: 'redis-5', acked_writes_lost: 2, recovered_ms: null, rejoined: false },
      10_000,
    );
    expect(v).toEqual([
      'a shard was still failing when the traffic stopped',
      'client-visible window 12000 ms > failover.maxWindowMs 10000',
      "redis-5 was promoted, not the spec's replica redis-4",
      '2 write(s) acknowledged with WAIT were lost',
      'the cluster did not come back (ok, every replica in sync)',
      'redis-1 did not rejoin',
    ]);
    expect(failoverViolations({ ...good, promoted: null }, 10_000)).toEqual(['no replica was promoted']);
    expect(failoverViolations({ ...good, acked_writes_lost: null }, 10_000)).toEqual(['acknowledged writes with WAIT were not checked']);
  });
});
