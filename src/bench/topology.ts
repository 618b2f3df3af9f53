import { assertLoadAddresses, discoverNodes, NO_OWNER, ownerIndex, type Target } from '../cluster/index.js';
import { HarnessError } from '../errors.js';

/** The masters and who owns each slot, read once before a run (plain data: workers receive a copy). */
export interface BenchTopology {
  masters: Array<{ host: string; port: number; name?: string }>;
  /** Index into `masters`, per slot (every slot has one: readTopology refuses a partly covered cluster). */
  slotOwner: Uint16Array;
}

export async function readTopology(target: Target): Promise<BenchTopology> {
  const nodes = await discoverNodes(target);
  const masters = nodes.filter((n) => n.role === 'master' && n.slots.length > 0 && !n.flags.includes('fail'));
  if (masters.length === 0)
    throw new HarnessError('the target has no master serving slots', 'is the cluster created? `cache-harness status`');
  assertLoadAddresses(masters); // where the load goes: the announced addresses, not only the seed
  const slotOwner = ownerIndex(masters);
  const uncovered = slotOwner.indexOf(NO_OWNER);
  if (uncovered >= 0)
    throw new HarnessError(`slot ${uncovered} has no master`, 'the cluster is not fully covered; check `cache-harness status`');
  return {
    masters: masters.map((m) => ({
      host: m.host,
      port: m.port,
      ...(target.nodeNames?.[String(m.port)] ? { name: target.nodeNames[String(m.port)] } : {}),
    })),
    slotOwner,
  };
}
