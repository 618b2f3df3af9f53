import { hostPort } from '../cluster/address.js';
import { ownerMap, type SlotRange } from '../cluster/slot-ranges.js';
import type { Spec } from '../spec/index.js';

/** The part of a live CLUSTER NODES entry the check needs (ClusterNodeInfo fits). */
export interface LiveNode {
  id: string;
  host: string;
  port: number;
  role: 'master' | 'replica';
  masterId: string | null;
  slots: readonly SlotRange[];
}

/** One key of a tenant-module and the slot the SERVER computed for it (CLUSTER KEYSLOT), not ours. */
export interface ProbedKey {
  tenant: string;
  module: string;
  key: string;
  serverSlot: number;
  /** The slot the tenant's placement promises; null for `none` (no tag, no promise). */
  expectedSlot: number | null;
}

export interface PlacementProblem {
  tenant: string;
  module: string;
  slot: number;
  message: string;
}

export interface PlacementReport {
  total: number;
  /** Keys whose slot is served by their module's shard master. */
  onShard: number;
  problems: PlacementProblem[];
}

/**
 * Spec master name → the live master that now serves that shard. With node names (a cluster we started):
 * the named node, or its master if a failover made it a replica. Without: the live master owning the spec
 * master's first slot. Names that cannot be bound are returned in `unbound`.
 */
export function bindSpecMasters(
  spec: Spec,
  live: readonly LiveNode[],
  nodeNames?: Readonly<Record<string, string>>,
): { bound: Map<string, LiveNode>; unbound: string[] } {
  const owners = ownerMap(live);
  const byId = new Map(live.map((n) => [n.id, n]));
  const bound = new Map<string, LiveNode>();
  const unbound: string[] = [];
  for (const m of spec.topology.masters) {
    let node: LiveNode | undefined;
    if (nodeNames) {
      const named = live.find((n) => nodeNames[String(n.port)] === m.name);
      node = named?.role === 'replica' && named.masterId ? byId.get(named.masterId) : named;
    } else {
      const first = m.slots[0]?.[0];
      node = first === undefined ? undefined : owners[first];
    }
    if (node) bound.set(m.name, node);
    else unbound.push(m.name);
  }
  return { bound, unbound };
}

/**
 * Each key must sit in the slot its placement promises (server's CLUSTER KEYSLOT) and that slot must be
 * served by the live master of its module's shard. Problems name the slot, so a moved slot is findable.
 */
export function checkModulePlacement(
  spec: Spec,
  keys: readonly ProbedKey[],
  live: readonly LiveNode[],
  shardMasters: ReadonlyMap<string, LiveNode>,
): PlacementReport {
  const owners = ownerMap(live);
  const problems: PlacementProblem[] = [];
  let onShard = 0;
  for (const k of keys) {
    const where = { tenant: k.tenant, module: k.module, slot: k.serverSlot };
    if (k.expectedSlot !== null && k.serverSlot !== k.expectedSlot) {
      problems.push({
        ...where,
        message: `key ${JSON.stringify(k.key)} hashes to slot ${k.serverSlot} on the server, but its placement promises slot ${k.expectedSlot}`,
      });
    }
    const shard = spec.modules[k.module]?.shard;
    const want = shard === undefined ? undefined : shardMasters.get(shard);
    const owner = owners[k.serverSlot];
    if (!want) {
      problems.push({ ...where, message: `module ${k.module}'s shard ${shard ?? '(none in the spec)'} has no live master` });
    } else if (!owner) {
      problems.push({ ...where, message: `slot ${k.serverSlot} is served by no master` });
    } else if (owner.id !== want.id) {
      problems.push({
        ...where,
        message: `slot ${k.serverSlot} is served by ${hostPort(owner)}, but module ${k.module}'s shard ${shard} is ${hostPort(want)}`,
      });
    } else {
      onShard++;
    }
  }
  return { total: keys.length, onShard, problems };
}

/** Fraction of keys on their module's shard, ignoring placement promises: how the `none`/`tenant-slot` layouts fare. */
export function shardMatchRate(
  spec: Spec,
  keys: readonly ProbedKey[],
  live: readonly LiveNode[],
  shardMasters: ReadonlyMap<string, LiveNode>,
): number {
  if (keys.length === 0) return 0;
  const r = checkModulePlacement(
    spec,
    keys.map((k) => ({ ...k, expectedSlot: null })),
    live,
    shardMasters,
  );
  return r.onShard / r.total;
}
