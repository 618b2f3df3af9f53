import type { Redis } from 'ioredis';
import type { ClusterNodeInfo } from '../../src/cluster/index.js';
import type { Spec } from '../../src/spec/index.js';
import {
  bindSpecMasters,
  buildKey,
  checkModulePlacement,
  modulePlacement,
  parseModule,
  placeTenantModule,
  type PlacementReport,
  type PlacementStrategy,
  type ProbedKey,
  type TenantMeta,
} from '../../src/tenancy/index.js';

/** What the placement check needs from the live cluster: its nodes and an admin node to ask CLUSTER KEYSLOT. */
export interface LiveView {
  nodes: readonly ClusterNodeInfo[];
  nodeNames?: Readonly<Record<string, string>>;
  admin: Redis;
}

/** Slots the server computes (CLUSTER KEYSLOT, pipelined), not our CRC16. */
export async function serverSlots(admin: Redis, keys: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < keys.length; i += 1000) {
    const p = admin.pipeline();
    for (const k of keys.slice(i, i + 1000)) p.cluster('KEYSLOT', k);
    for (const [err, slot] of (await p.exec()) ?? []) {
      if (err) throw err;
      out.push(Number(slot));
    }
  }
  return out;
}

/**
 * One key per data type of every provisioned (tenant, module), laid out with the meta's placement, or with
 * `strategy` instead (to compare layouts on the same pairs). Slots come from the server.
 */
export async function probeKeys(
  spec: Spec,
  admin: Redis,
  metas: readonly TenantMeta[],
  strategy?: PlacementStrategy,
): Promise<ProbedKey[]> {
  const drafts: Array<Omit<ProbedKey, 'serverSlot'>> = [];
  for (const meta of metas) {
    const tenant = meta.tenant;
    for (const m of meta.modules) {
      const mod = parseModule(spec, m);
      const placement = strategy ? placeTenantModule(spec, tenant, mod, strategy) : modulePlacement(meta, m);
      for (const dt of Object.keys(spec.modules[m]?.dataTypes ?? {})) {
        drafts.push({ tenant, module: m, key: buildKey(spec, tenant, mod, placement, dt, 'probe'), expectedSlot: placement.slot });
      }
    }
  }
  const slots = await serverSlots(
    admin,
    drafts.map((d) => d.key),
  );
  return drafts.map((d, i) => ({ ...d, serverSlot: slots[i] ?? -1 }));
}

/** The sharding check: every tenant-module key in its promised slot, and that slot served by its module's shard master. */
export async function checkLivePlacement(
  spec: Spec,
  live: LiveView,
  metas: readonly TenantMeta[],
  strategy?: PlacementStrategy,
): Promise<PlacementReport & { probes: ProbedKey[]; unbound: string[] }> {
  const { bound, unbound } = bindSpecMasters(spec, live.nodes, live.nodeNames);
  const probes = await probeKeys(spec, live.admin, metas, strategy);
  return { ...checkModulePlacement(spec, probes, live.nodes, bound), probes, unbound };
}
