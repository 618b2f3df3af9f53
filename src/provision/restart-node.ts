import { closeNode, connectNode, localNodeControl, readState, waitRejoined, type NodeControl } from '../cluster/index.js';
import { loadQuotaScripts } from '../tenancy/index.js';

export interface Restarted {
  name: string;
  port: number;
  oldPid: number;
  newPid: number;
  /** From the stop signal until the node said cluster_state:ok again (and, for a replica, its link was up). */
  downMs: number;
}

/**
 * Restart one node of a local cluster we started: a clean stop (SIGTERM), the same redis.conf again
 * (`localNodeControl`: the new pid goes to state.json, so `down` and test teardown still stop it), then wait
 * until it is back in the cluster, and reload the quota scripts (a restart empties the script cache).
 * `role`: the role it must come back in, default the spec's (a master demoted by a failover comes back a replica).
 */
export async function restartLocalNode(
  runDir: string,
  name: string,
  adminPassword: string,
  timeoutMs = 30_000,
  role?: 'master' | 'replica',
): Promise<Restarted> {
  return restartNode(localNodeControl(runDir, adminPassword), readState(runDir).host, name, adminPassword, timeoutMs, role);
}

/** The same through any backend's fault verbs (local processes, or containers: docker stop and start). */
export async function restartNode(
  control: NodeControl,
  host: string,
  name: string,
  adminPassword: string,
  timeoutMs = 30_000,
  role?: 'master' | 'replica',
): Promise<Restarted> {
  const before = control.node(name);
  const t0 = performance.now();
  await control.stop(name);
  const newPid = await control.start(name, timeoutMs);
  const addr = { host, port: before.port };
  await waitRejoined(addr, adminPassword, role ?? before.role, timeoutMs);
  // Tenants call the quota scripts with EVALSHA.
  const admin = await connectNode(addr, { password: adminPassword });
  try {
    await loadQuotaScripts([admin]);
  } finally {
    await closeNode(admin);
  }
  return { name, port: before.port, oldPid: before.pid, newPid, downMs: performance.now() - t0 };
}
