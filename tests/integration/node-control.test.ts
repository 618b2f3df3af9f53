import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeNode,
  connectNode,
  isAlive,
  isOurRedis,
  localNodeControl,
  readState,
  resumeAllPaused,
  stopProcesses,
  waitRejoined,
  type NodeControl,
} from '../../src/cluster/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// The fault verbs the failover work injects, on real redis-server processes: a paused node answers nothing and
// comes back on resume; a killed node is gone and starts again on its own files, its new pid in state.json.

let c: TestCluster;
let control: NodeControl;

/** PING as the admin (connect, AUTH, PING) within `ms`: 'PONG', or why not. A paused node accepts the TCP connection (the kernel does) but never answers AUTH. */
async function ping(port: number, ms = 500): Promise<string> {
  const attempt = connectNode({ host: '127.0.0.1', port }, { password: c.run.password }, ms).then(async (client) => {
    try {
      return await client.ping();
    } finally {
      await closeNode(client);
    }
  });
  const timer = new Promise<string>((r) => setTimeout(() => r('no reply'), ms));
  return Promise.race([attempt.catch((err: unknown) => `connect: ${err instanceof Error ? err.message : String(err)}`), timer]);
}

beforeAll(async () => {
  c = await startTestCluster(0);
  control = localNodeControl(c.run.runDir, c.run.password);
}, 60_000);

afterAll(async () => {
  resumeAllPaused();
  await c?.stop();
});

describe('localNodeControl', () => {
  it('pause: the node holds its port but answers nothing; resume: it answers again', async () => {
    const replica = readState(c.run.runDir).nodes.find((n) => n.role === 'replica');
    if (!replica) throw new Error('no replica in the spec');
    await control.pause(replica.name);
    expect(await ping(replica.port)).toBe('no reply');
    await control.resume(replica.name);
    expect(await ping(replica.port, 2000)).toBe('PONG');
  });

  it('kill then start: a new pid recorded in state.json, the node back in the cluster as a replica', async () => {
    const replica = readState(c.run.runDir).nodes.filter((n) => n.role === 'replica')[1];
    if (!replica) throw new Error('no second replica in the spec');
    await control.kill(replica.name);
    expect(isAlive(replica.pid)).toBe(false);
    expect(await ping(replica.port)).toMatch(/^connect:/);
    const pid = await control.start(replica.name);
    expect(pid).not.toBe(replica.pid);
    expect(control.node(replica.name).pid).toBe(pid);
    expect(isOurRedis(pid, replica.port)).toBe(true);
    await waitRejoined({ host: '127.0.0.1', port: replica.port }, c.run.password, 'replica', 30_000);
  });

  it('stopping a paused node does not wait for SIGKILL: SIGCONT goes first, so SIGTERM is taken', async () => {
    const replica = readState(c.run.runDir).nodes.filter((n) => n.role === 'replica')[2];
    if (!replica) throw new Error('no third replica in the spec');
    await control.pause(replica.name);
    // A grace long enough that a SIGKILL fallback would make this test time out.
    await stopProcesses([replica.pid], 60_000);
    expect(isAlive(replica.pid)).toBe(false);
    await control.start(replica.name);
    await waitRejoined({ host: '127.0.0.1', port: replica.port }, c.run.password, 'replica', 30_000);
  }, 20_000);

  it('names an unknown node and the ones that exist', () => {
    expect(() => control.node('redis-99')).toThrow(/no node redis-99 in this cluster/);
  });
});
