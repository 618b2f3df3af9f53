import type { Redis } from 'ioredis';
import {
  closeNode,
  connectNode,
  discoverNodes,
  hostPort,
  isLoopbackHost,
  parseInfo,
  targetCredentials,
  type Target,
} from '../cluster/index.js';

/** One connection per node of the target (masters and replicas: replicas fork for their own saves too). */
export interface TargetNodes {
  nodes: Array<{ address: string; client: Redis }>;
  /** Whether the target runs on this machine (its CPU competes with the generator's). */
  local: boolean;
  close(): Promise<void>;
}

export async function openTargetNodes(target: Target): Promise<TargetNodes> {
  const live = await discoverNodes(target);
  const nodes: TargetNodes['nodes'] = [];
  try {
    for (const n of live.filter((x) => !x.flags.includes('fail')))
      nodes.push({ address: hostPort(n), client: await connectNode(n, targetCredentials(target)) });
  } catch (err) {
    await Promise.all(nodes.map((n) => closeNode(n.client)));
    throw err;
  }
  return {
    nodes,
    local: live.every((n) => isLoopbackHost(n.host)),
    close: async () => {
      await Promise.all(nodes.map((n) => closeNode(n.client)));
    },
  };
}

/** Per node: CPU seconds used (forked children included), forks so far, and whether a fork runs now. */
export interface NodeActivity {
  address: string;
  /** The server's pid (INFO process_id): on this machine, its CPU is the target's, not other load. */
  pid: number;
  cpuSec: number;
  forks: number;
  forking: boolean;
  /** Writes not yet in an RDB snapshot. */
  changesSinceSave: number;
  /** The AOF has grown past half of what sets off its automatic rewrite (auto-aof-rewrite-percentage from its base). */
  aofNearRewrite: boolean;
}

export async function sampleTargetActivity(t: TargetNodes): Promise<NodeActivity[]> {
  return Promise.all(
    t.nodes.map(async ({ address, client }) => {
      const info = parseInfo(String(await client.info()));
      const num = (k: string) => Number(info.get(k) ?? 0) || 0;
      return {
        address,
        pid: num('process_id'),
        cpuSec: num('used_cpu_sys') + num('used_cpu_user') + num('used_cpu_sys_children') + num('used_cpu_user_children'),
        forks: num('total_forks'),
        forking: num('rdb_bgsave_in_progress') === 1 || num('aof_rewrite_in_progress') === 1 || num('module_fork_in_progress') === 1,
        changesSinceSave: num('rdb_changes_since_last_save'),
        aofNearRewrite: num('aof_enabled') === 1 && num('aof_base_size') > 0 && num('aof_current_size') > 1.5 * num('aof_base_size'),
      };
    }),
  );
}
