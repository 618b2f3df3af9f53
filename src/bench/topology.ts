import { discoverNodes, type Target } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import { SLOT_COUNT } from '../spec/index.js';

/** The masters and who owns each slot, read once before a run (plain data: workers receive a copy). */
export interface BenchTopology {
  masters: Array<{ host: string; port: number; name?: string }>;
  /** Index into `masters`, per slot. */
  slotOwner: Uint8Array;
}

export async function readTopology(target: Target): Promise<BenchTopology> {
  const nodes = await discoverNodes(target);
  const masters = nodes.filter((n) => n.role === 'master' && n.slots.length > 0 && !n.flags.includes('fail'));
  if (masters.length === 0) throw new HarnessError('the target has no master serving slots', 'is the cluster created? `cache-harness status`');
  const slotOwner = new Uint8Array(SLOT_COUNT).fill(255);
  masters.forEach((m, i) => {
    for (const [a, b] of m.slots) slotOwner.fill(i, a, b + 1);
  });
  const uncovered = slotOwner.indexOf(255);
  if (uncovered >= 0) throw new HarnessError(`slot ${uncovered} has no master`, 'the cluster is not fully covered; check `cache-harness status`');
  return {
    masters: masters.map((m) => ({ host: m.host, port: m.port, ...(target.nodeNames?.[String(m.port)] ? { name: target.nodeNames[String(m.port)] } : {}) })),
    slotOwner,
  };
}
