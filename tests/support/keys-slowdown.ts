import type { Cluster } from 'ioredis';
import type { BenchTopology } from '../../src/bench/index.js';
import { tagForSlot } from '../../src/tenancy/slot-tags.js';

/**
 * A real server-side slowdown that costs the load generator nothing: filler keys on every master, then an admin
 * client running `KEYS <no match>` on each master every `everyMs` (KEYS walks every key of its node, blocking it
 * for a few ms per call). One long-lived connection per master, so no process churn disturbs the machine.
 */
export async function writeFiller(admin: Cluster, topology: BenchTopology, perMaster: number): Promise<void> {
  for (let m = 0; m < topology.masters.length; m++) {
    const tag = tagForSlot(topology.slotOwner.indexOf(m)); // one slot of this master: MSET stays on one node
    for (let i = 0; i < perMaster; i += 1000)
      await admin.mset(...Array.from({ length: Math.min(1000, perMaster - i) }, (_, j) => [`zz-filler:{${tag}}:${i + j}`, 'x']).flat());
  }
}

/** Run KEYS on every master every `everyMs` until `until` settles (bounded: at most `maxCalls`); resolves to the rounds run. */
export async function keysLoopWhile(admin: Cluster, until: Promise<unknown>, everyMs = 100, maxCalls = 1000): Promise<number> {
  let done = false;
  const stop = until.finally(() => (done = true));
  const masters = admin.nodes('master');
  let calls = 0;
  while (!done && calls < maxCalls) {
    await Promise.all(masters.map((n) => n.keys('zz-no-match-*')));
    calls++;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  await stop.catch(() => undefined);
  return calls;
}
