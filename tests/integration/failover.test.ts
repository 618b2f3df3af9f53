import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOurRedis, localNodeControl, readState, resumeAllPaused, type NodeControl } from '../../src/cluster/index.js';
import { failoverViolations, restoreNode, runFailover, type FailoverResult } from '../../src/faults/failover.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// runFailover on a real local cluster: SIGKILL of the spec's first master under traffic over every shard. The
// spec's replica must take over, the killed node come back as a replica and be failed back, no write
// acknowledged with WAIT be lost, and every figure of the result be there. (Figures: npm run bench:failover.)

let c: TestCluster;
let control: NodeControl;
let r: FailoverResult;

beforeAll(async () => {
  c = await startTestCluster(12);
  control = localNodeControl(c.run.runDir, c.run.password);
  try {
    r = await runFailover(c.target, control, c.spec, { fault: 'kill' });
  } finally {
    await restoreNode(control, 'redis-1');
  }
}, 90_000);

afterAll(async () => {
  resumeAllPaused();
  await c?.stop();
});

describe('runFailover: kill of the first master', () => {
  it("promotes the spec's replica and measures the client-visible window on the faulted shard", () => {
    expect(r.node).toBe('redis-1');
    expect(r.node_timeout_ms).toBe(5000);
    expect(r.expected_promoted).toBe('redis-4');
    expect(r.promoted).toBe('redis-4');
    expect(r.promotion_ms).toBeGreaterThan(0);
    const faulted = r.shards.find((s) => s.name === 'redis-1');
    expect(faulted?.badOps).toBeGreaterThan(0);
    expect(faulted?.windowMs).toBeGreaterThan(0);
    expect(r.window_ms).toBe(Math.round(Math.max(...r.shards.map((s) => s.windowMs))));
    expect(r.windows_closed).toBe(true);
    expect(Object.values(r.errors).reduce((a, b) => a + b, 0)).toBe(r.shards.reduce((n, s) => n + s.failed, 0));
    expect(r.shards.map((s) => s.name).sort()).toEqual(['redis-1', 'redis-2', 'redis-3']);
    expect(r.shards.every((s) => s.ops > 0)).toBe(true);
  });

  it('loses no write acknowledged with WAIT, and reads every acked write back', () => {
    expect(r.acked_writes.wait?.acked).toBeGreaterThan(0);
    expect(r.acked_writes_lost).toBe(0);
    expect(r.acked_writes_lost_no_wait).not.toBeNull();
  });

  it('brings the node back as a replica, recovers, and fails back to the spec layout', () => {
    expect(r.rejoined_as).toBe('replica');
    expect(r.recovered_ms).toBeGreaterThanOrEqual(r.promotion_ms ?? 0);
    expect(r.layout_diff_after_fault).toContain('redis-4: master of [[0,5460]] (spec: replica of redis-1)');
    expect(r.failed_back).toBe(true);
    expect(r.layout_diff_end).toEqual([]);
    const n = readState(c.run.runDir).nodes.find((x) => x.name === 'redis-1');
    expect(n && isOurRedis(n.pid, n.port)).toBe(true);
    expect(failoverViolations(r, 60_000).filter((v) => !v.startsWith('client-visible window'))).toEqual([]);
    expect(r.notes).toEqual([]);
  });
});
