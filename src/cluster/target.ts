import { z } from 'zod';
import { HarnessError } from '../errors.js';
import { hostPort, isLoopbackHost, type NodeAddress } from './address.js';
import { parseClusterNodes, type ClusterNodeInfo } from './cluster-nodes.js';
import type { Credentials } from './connect.js';
import { liveNodes, openLocalRun, type LocalCluster } from './local-cluster.js';
import { closeNode, connectNode } from './node-client.js';
import { rememberSecret, redactUrlPasswords } from '../redact.js';
import { checkedPassword, PASSWORD_ENV } from './password.js';

/** What the suites run against; handed to them as JSON in CACHE_HARNESS_TARGET. */
export const targetSchema = z.object({
  backend: z.enum(['local', 'external', 'compose', 'containers']),
  seeds: z.array(z.object({ host: z.string(), port: z.number().int() })).min(1),
  username: z.string().optional(),
  password: z.string().optional(),
  /** Spec node name per port, where the harness started the nodes itself. */
  nodeNames: z.record(z.string(), z.string()).optional(),
  /** Container id or name per spec node name, where the harness started the nodes as containers (their faults: docker). */
  containers: z.record(z.string(), z.string()).optional(),
  /** Suites that change the cluster (stop nodes, migrate slots) run only when true. */
  destructive: z.boolean(),
  runDir: z.string().optional(),
});
export type Target = z.infer<typeof targetSchema>;

export const TARGET_ENV = 'CACHE_HARNESS_TARGET';
export const ALLOW_REMOTE_LOAD_ENV = 'CACHE_HARNESS_ALLOW_REMOTE_LOAD';

export interface UrlTargetOptions {
  /** --allow-destructive: suites and comparisons may change the cluster. Default false: it is someone else's. */
  allowDestructive?: boolean | undefined;
  /** Where CACHE_HARNESS_PASSWORD is read. */
  env?: NodeJS.ProcessEnv;
}

/**
 * `redis://[user:pass@]host:port` → an external target. The admin password is the URL's, else
 * CACHE_HARNESS_PASSWORD (what the connect errors tell the user to set).
 */
export function parseTargetUrl(url: string, opts: UrlTargetOptions = {}): Target {
  // Error messages show the URL with its password as ***, even when it does not parse.
  const shown = redactUrlPasswords(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new HarnessError(`--target "${shown}" is not a URL`, 'use redis://[user:pass@]host:port, e.g. redis://:secret@127.0.0.1:7001');
  }
  rememberSecret(u.password);
  if (u.protocol !== 'redis:')
    throw new HarnessError(
      `--target scheme "${u.protocol}" is not supported`,
      'use redis://[user:pass@]host:port (TLS is not supported yet)',
    );
  if (!u.port) throw new HarnessError(`--target "${shown}" has no port`, 'add the port of any cluster node, e.g. redis://127.0.0.1:7001');
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const fromEnv = (opts.env ?? process.env)[PASSWORD_ENV] || undefined;
  const password = u.password
    ? checkedPassword(decodeUrlPart(u.password, 'password'), 'the --target URL')
    : fromEnv && checkedPassword(fromEnv, PASSWORD_ENV);
  return {
    backend: 'external',
    seeds: [{ host, port: Number(u.port) }],
    ...(u.username ? { username: decodeUrlPart(u.username, 'user name') } : {}),
    ...(password !== undefined ? { password } : {}),
    destructive: opts.allowDestructive ?? false,
  };
}

function decodeUrlPart(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HarnessError(
      `the ${what} in the --target URL is not valid percent-encoding (not shown)`,
      'encode it with encodeURIComponent',
    );
  }
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

/** The --target, --port-base and --allow-destructive options, as the commands parse them. */
export interface TargetArgs {
  target?: string | undefined;
  portBase: number;
  allowDestructive?: boolean | undefined;
}

export interface TargetUse {
  /** Benchmark load goes there: refuse a non-loopback target unless CACHE_HARNESS_ALLOW_REMOTE_LOAD=1. */
  load?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * The cluster a command works on: `--target` (see parseTargetUrl), else the local cluster `up` started at
 * `--port-base`, which must be running (a clear "start it" beats a connection error per node).
 */
export function resolveTarget(o: TargetArgs, use: TargetUse = {}): Target {
  const env = use.env ?? process.env;
  const t = o.target ? parseTargetUrl(o.target, { allowDestructive: o.allowDestructive, env }) : runningLocalTarget(o.portBase);
  if (use.load) assertLoadAllowed(t, env);
  return t;
}

function runningLocalTarget(portBase: number): Target {
  const run = openLocalRun(portBase);
  if (liveNodes(run.state).length === 0) {
    throw new HarnessError(
      `the local cluster on port base ${portBase} is not running (run dir ${run.runDir})`,
      `start it with \`cache-harness up --port-base ${portBase}\``,
    );
  }
  return targetFromLocal(run);
}

export function targetCredentials(t: Target): Credentials {
  return { ...(t.username ? { username: t.username } : {}), ...(t.password ? { password: t.password } : {}) };
}

/** Read the target the gate handed to the suites. */
export function targetFromEnv(env: NodeJS.ProcessEnv = process.env): Target {
  const raw = env[TARGET_ENV];
  if (!raw) throw new HarnessError(`${TARGET_ENV} is not set`, 'run suites through `cache-harness gate`, which starts or names the target');
  const t = targetSchema.parse(JSON.parse(raw));
  rememberSecret(t.password);
  return t;
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

/**
 * Load (benchmarks, the perf suite) goes to loopback clusters only, unless the operator opts in with
 * CACHE_HARNESS_ALLOW_REMOTE_LOAD=1: an open-loop run against someone's production cluster by mistake does harm.
 */
export function assertLoadAllowed(t: Target, env: NodeJS.ProcessEnv = process.env): void {
  assertLoadAddresses(t.seeds, env);
}

/**
 * The same rule for the nodes the load really goes to: a loopback seed may announce other addresses
 * (cluster-announce-ip), and the bench follows the announced ones.
 */
export function assertLoadAddresses(nodes: readonly NodeAddress[], env: NodeJS.ProcessEnv = process.env): void {
  const remote = nodes.filter((s) => !isLoopbackHost(s.host));
  if (remote.length === 0 || env[ALLOW_REMOTE_LOAD_ENV] === '1') return;
  throw new HarnessError(
    `refusing to send benchmark load to ${remote.map(hostPort).join(', ')}: not a loopback address`,
    `set ${ALLOW_REMOTE_LOAD_ENV}=1 if you mean to load that cluster`,
  );
}
