import { z } from 'zod';
import { HarnessError } from '../errors.js';
import type { LocalCluster } from './local-cluster.js';
import { parseClusterNodes, type ClusterNodeInfo } from './cluster-nodes.js';
import { closeNode, connectNode, type Credentials, type NodeAddress } from './node-client.js';

/** What the suites run against; handed to them as JSON in CACHE_HARNESS_TARGET. */
export const targetSchema = z.object({
  backend: z.enum(['local', 'external', 'compose']),
  seeds: z.array(z.object({ host: z.string(), port: z.number().int() })).min(1),
  username: z.string().optional(),
  password: z.string().optional(),
  /** Spec node name per port, where the harness started the nodes itself. */
  nodeNames: z.record(z.string(), z.string()).optional(),
  /** Suites that change the cluster (stop nodes, migrate slots) run only when true. */
  destructive: z.boolean(),
  runDir: z.string().optional(),
});
export type Target = z.infer<typeof targetSchema>;

export const TARGET_ENV = 'CACHE_HARNESS_TARGET';

/** redis://[user:pass@]host:port → a target. */
export function parseTargetUrl(url: string, allowDestructive = false): Target {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new HarnessError(`--target "${url}" is not a URL`, 'use redis://[user:pass@]host:port, e.g. redis://:secret@127.0.0.1:7001');
  }
  if (u.protocol !== 'redis:') throw new HarnessError(`--target scheme "${u.protocol}" is not supported`, 'use redis://[user:pass@]host:port (TLS is not supported yet)');
  if (!u.port) throw new HarnessError(`--target "${url}" has no port`, 'add the port of any cluster node, e.g. redis://127.0.0.1:7001');
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    backend: 'external',
    seeds: [{ host, port: Number(u.port) }],
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    destructive: allowDestructive,
  };
}

export function targetFromLocal(run: LocalCluster): Target {
  return {
    backend: 'local',
    seeds: run.state.nodes.map((n) => ({ host: run.state.host, port: n.port })),
    password: run.password,
    nodeNames: Object.fromEntries(run.state.nodes.map((n) => [String(n.port), n.name])),
    destructive: true,
    runDir: run.runDir,
  };
}

export function targetCredentials(t: Target): Credentials {
  return { ...(t.username ? { username: t.username } : {}), ...(t.password ? { password: t.password } : {}) };
}

/** Read the target the gate handed to the suites. */
export function targetFromEnv(env: NodeJS.ProcessEnv = process.env): Target {
  const raw = env[TARGET_ENV];
  if (!raw) throw new HarnessError(`${TARGET_ENV} is not set`, 'run suites through `cache-harness gate`, which starts or names the target');
  return targetSchema.parse(JSON.parse(raw));
}

/** The live cluster's nodes as one node (the first seed that answers) sees them. */
export async function discoverNodes(t: Target): Promise<ClusterNodeInfo[]> {
  let lastErr: unknown;
  for (const seed of t.seeds) {
    try {
      const c = await connectNode(seed, targetCredentials(t));
      try {
        const nodes = parseClusterNodes(String(await c.call('CLUSTER', 'NODES')));
        // CLUSTER NODES may print an empty host for "myself" on some versions; use the seed's.
        return nodes.map((n) => (n.host === '' ? { ...n, host: seed.host } : n));
      } finally {
        await closeNode(c);
      }
    } catch (err) {
      lastErr = err;
    }
  }
  throw lastErr instanceof Error ? lastErr : new HarnessError('no seed node answered');
}

export function addressOf(n: ClusterNodeInfo): NodeAddress {
  return { host: n.host, port: n.port };
}

/** 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export const ALLOW_REMOTE_LOAD_ENV = 'CACHE_HARNESS_ALLOW_REMOTE_LOAD';

/**
 * Load (benchmarks, the perf suite) goes to loopback clusters only, unless the operator opts in with
 * CACHE_HARNESS_ALLOW_REMOTE_LOAD=1: an open-loop run against someone's production cluster by mistake does harm.
 */
export function assertLoadAllowed(t: Target, env: NodeJS.ProcessEnv = process.env): void {
  const remote = t.seeds.filter((s) => !isLoopbackHost(s.host));
  if (remote.length === 0 || env[ALLOW_REMOTE_LOAD_ENV] === '1') return;
  throw new HarnessError(`refusing to send benchmark load to ${remote.map((s) => `${s.host}:${s.port}`).join(', ')}: not a loopback address`, `set ${ALLOW_REMOTE_LOAD_ENV}=1 if you mean to load that cluster`);
}
