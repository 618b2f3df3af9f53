import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOurRedis, localNodeControl, readState, resumeAllPaused, waitRejoined, type NodeControl } from '../../src/cluster/index.js';
import { failoverViolations, restoreNode, runFailover, type FailoverResult } from '../../src/faults/failover.js';
import { runCli } from '../support/cli.js';
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

describe('cache-harness failover, interrupted', () => {
  it('Ctrl-C while a master is paused: exit 130, the node resumed (not left stopped), every node running and the cluster ok', async () => {
    // Field 3 of /proc/<pid>/stat is the process state: T = stopped (SIGSTOP).
    const stateOf = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    let sent = false;
    let pausedAtSignal: string | undefined;
    const run = await runCli(['failover', '--port-base', String(c.portBase), '--node', 'redis-2', '--fault', 'pause'], {
      timeoutMs: 90_000,
      onStderr: (text, pid) => {
        if (!sent && text.includes('pause redis-2 (cluster-node-timeout')) {
          sent = true;
          // Signal once the node really is stopped, so the test covers a paused node's cleanup.
          setTimeout(() => {
            pausedAtSignal = stateOf(control.node('redis-2').pid);
            process.kill(pid, 'SIGINT');
          }, 300);
        }
      },
    });
    expect(sent, run.stderr).toBe(true);
    expect(pausedAtSignal, 'redis-2 was stopped when SIGINT was sent').toBe('T');
    expect(run.code, run.stderr).toBe(130);
    for (const n of readState(c.run.runDir).nodes) {
      expect(isOurRedis(n.pid, n.port), n.name).toBe(true);
      expect(stateOf(n.pid), `${n.name} process state`).not.toBe('T');
    }
    const n = control.node('redis-2');
    await waitRejoined({ host: '127.0.0.1', port: n.port }, c.run.password, 'any', 30_000);
  }, 120_000);
});
