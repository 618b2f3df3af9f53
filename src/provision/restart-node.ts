import { spawn } from 'node:child_process';
import { loadQuotaScripts } from '../tenancy/index.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  closeNode,
  connectNode,
  isOurRedis,
  parseInfo,
  readState,
  requireBinary,
  stopProcesses,
  waitUntil,
  withPrivateUmask,
} from '../cluster/index.js';
import { HarnessError, errorMessage } from '../errors.js';

export interface Restarted {
  name: string;
  port: number;
  oldPid: number;
  newPid: number;
  /** From the stop signal until the node said cluster_state:ok again (and, for a replica, its link was up). */
  downMs: number;
}

/**
 * Restart one node of a local cluster we started: SIGTERM (a clean shutdown), spawn redis-server on the
 * same redis.conf, record the new pid in state.json (so `down` and test teardown still stop it), wait until it
 * is back in the cluster. For the ACL-survives-restart check; belongs in src/cluster in the long run.
 */
export async function restartLocalNode(runDir: string, name: string, adminPassword: string, timeoutMs = 30_000): Promise<Restarted> {
  const state = readState(runDir);
  const node = state.nodes.find((n) => n.name === name);
  if (!node) throw new HarnessError(`no node ${name} in ${runDir}/state.json`);
  if (!isOurRedis(node.pid, node.port))
    throw new HarnessError(`${name} (pid ${node.pid}) is not our running redis-server on port ${node.port}`);
  const bin = requireBinary('redis-server');
  const t0 = performance.now();
  await stopProcesses([node.pid], 10_000);
  const [cmd, args] = withPrivateUmask(bin, [join(node.dir, 'redis.conf')]);
  const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
  child.unref();
  if (child.pid === undefined) throw new HarnessError(`could not spawn ${bin} for ${name}`);
  const oldPid = node.pid;
  node.pid = child.pid;
  writeFileSync(join(runDir, 'state.json'), JSON.stringify(state, null, 2), { mode: 0o600 });

  const addr = { host: state.host, port: node.port };
  await waitUntil(
    `${name} to rejoin the cluster after restart`,
    async () => {
      // connectNode's errors are final for waitUntil; while the node boots, "refused" just means "not yet".
      const c = await connectNode(addr, { password: adminPassword }, 500).catch((err: unknown) => errorMessage(err));
      if (typeof c === 'string') return c;
      try {
        const info = parseInfo(String(await c.call('CLUSTER', 'INFO')));
        if (info.get('cluster_state') !== 'ok') return `cluster_state:${info.get('cluster_state')}`;
        if (node.role === 'replica') {
          const repl = parseInfo(await c.info('replication'));
          if (repl.get('master_link_status') !== 'up') return `master_link_status:${repl.get('master_link_status')}`;
        }
        return true;
      } finally {
        await closeNode(c);
      }
    },
    timeoutMs,
    100,
  );
  // A restart empties the node's script cache: reload the quota scripts tenants call with EVALSHA.
  const admin = await connectNode(addr, { password: adminPassword });
  try {
    await loadQuotaScripts([admin]);
  } finally {
    await closeNode(admin);
  }
  return { name, port: node.port, oldPid, newPid: child.pid, downMs: performance.now() - t0 };
}
