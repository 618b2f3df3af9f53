import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverNodes, localNodeControl, readState, resumeAllPaused, type NodeControl } from '../../src/cluster/index.js';
import { startAckedWriter, verifyAckedWrites } from '../../src/faults/acked-writes.js';
import { slotOf } from '../../src/tenancy/slot-tags.js';
import { rangesContain } from '../../src/cluster/slot-ranges.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// The acknowledged-write recorder on a real cluster: without a fault every write is acked and read back;
// with the only replica of a master paused, WAIT 1 answers 0 there and those writes are not counted acked.

let c: TestCluster;
let control: NodeControl;

beforeAll(async () => {
  c = await startTestCluster(30);
  control = localNodeControl(c.run.runDir, c.run.password);
}, 60_000);

afterAll(async () => {
  resumeAllPaused();
  await c?.stop();
});

describe('acked-write recorder', () => {
  for (const mode of ['plain', 'wait'] as const) {
    it(`${mode}: no fault, every write acked on its own master, none lost`, async () => {
      const w = startAckedWriter({ target: c.target, mode, keyPrefix: `acked:t:${mode}:`, ratePerSec: 500, maxWrites: 300 });
      await w.done;
      const log = await w.stop();
      expect(log.attempted).toBe(300);
      expect(log.errors).toEqual({});
      expect(log.acked).toBe(log.attempted);
      const masters = (await discoverNodes(c.target)).filter((n) => n.role === 'master');
      for (const [key, rec] of log.ackRecords) {
        const owner = masters.find((m) => rangesContain(m.slots, slotOf(key)));
        expect(rec.node).toBe(`${owner?.host}:${owner?.port}`);
      }
      const check = await verifyAckedWrites(c.target, log);
      expect(check).toMatchObject({ checked: log.acked, lost: 0, stale: 0 });
    });
  }

  it('stops at maxWrites and spreads the keys over every master', async () => {
    const w = startAckedWriter({ target: c.target, mode: 'plain', keyPrefix: 'acked:t:all:', ratePerSec: 1000, maxWrites: 200 });
    await w.done;
    const log = await w.stop();
    expect(log.attempted).toBe(200);
    expect(log.acked).toBe(200);
    expect(new Set([...log.ackRecords.values()].map((r) => r.node)).size).toBe(3);
  });

  it("wait: with the master's replica paused, WAIT answers 0 and those writes are not acked", async () => {
    const nodes = await discoverNodes(c.target);
    const master = nodes.find((n) => n.role === 'master' && n.slots.length > 0);
    if (!master) throw new Error('no master');
    const replicaInfo = nodes.find((n) => n.masterId === master.id);
    const replica = readState(c.run.runDir).nodes.find((n) => n.port === replicaInfo?.port);
    if (!replica) throw new Error('no replica of the master');
    await control.pause(replica.name);
    try {
      const w = startAckedWriter({
        target: c.target,
        mode: 'wait',
        waitTimeoutMs: 100,
        keyPrefix: 'acked:t:paused:',
        ratePerSec: 200,
        maxWrites: 20,
        onlySlots: master.slots,
      });
      await w.done;
      const log = await w.stop();
      expect(log.attempted).toBe(20);
      expect(log.acked).toBe(0);
      // WAIT answered short; a write queued behind blocked WAITs past the reply timeout is TIMEOUT (unknown, not acked either).
      expect(log.errors.WAIT_SHORT).toBeGreaterThan(0);
      expect(Object.keys(log.errors).filter((k) => k !== 'WAIT_SHORT' && k !== 'TIMEOUT')).toEqual([]);
      // A plain writer on the same slots is acked: the master itself is fine.
      const p = startAckedWriter({
        target: c.target,
        mode: 'plain',
        keyPrefix: 'acked:t:paused-plain:',
        ratePerSec: 200,
        maxWrites: 20,
        onlySlots: master.slots,
      });
      await p.done;
      expect((await p.stop()).acked).toBe(20);
    } finally {
      await control.resume(replica.name);
    }
  });
});
