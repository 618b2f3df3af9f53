import { performance } from 'node:perf_hooks';
import type { Cluster, Redis } from 'ioredis';
import { errorMessage } from '../errors.js';
import { escapeGlob, PROBE_KEY_ROOT, probeKeyOf, type ModuleName, type TenantId } from '../tenancy/index.js';
import type { UsageSnapshot } from './usage.js';

/**
 * Per-tenant latency from the server side, as blackbox_exporter does it: each interval the exporter times a SET
 * and a GET of a probe key in each tenant-module's slot (`probeKeyOf`), so it measures the shard that serves that
 * tenant without any application in the loop. It runs as its own ACL user, allowed only those commands on
 * `cache-harness-probe:*` keys. Bounded: `maxPerRound` tenant-modules per interval (a rotation covers the
 * rest over the next rounds), `concurrency` ops in flight, `timeoutMs` per op.
 */

/** The probe's ACL user on every node (created by the exporter with a random password it never prints). */
export const PROBE_USER = 'cache-harness-probe';

export interface ProbeOptions {
  /** Tenant-modules probed per round; with more, a rotation covers them over several rounds. */
  maxPerRound: number;
  /** Probe ops in flight at once. */
  concurrency: number;
  /** An op without a reply after this long counts as an error, observed at its elapsed time. */
  timeoutMs: number;
}

export const DEFAULT_PROBE_OPTIONS: ProbeOptions = { maxPerRound: 1000, concurrency: 8, timeoutMs: 1000 };

export interface ProbeTarget {
  tenant: string;
  module: string;
  plan: string;
  key: string;
}

export interface ProbeSample {
  target: ProbeTarget;
  op: 'set' | 'get';
  seconds: number;
  error?: string;
}

export interface ProbeRoundResult {
  probed: number;
  targets: number;
  errors: number;
  durationMs: number;
  firstError?: string;
}

/** `ACL SETUSER` arguments (after `ACL`) of the probe user: the password as its SHA-256, SET/GET on probe keys only, and what a Cluster client needs. */
export function probeUserAclArgs(passwordSha256: string): string[] {
  return [
    'SETUSER',
    PROBE_USER,
    'reset',
    'on',
    `#${passwordSha256}`,
    `~${escapeGlob(PROBE_KEY_ROOT)}:*`,
    'resetchannels',
    '-@all',
    '+get',
    '+set',
    '+ping',
    '+cluster|slots',
    '+cluster|info',
    '+readonly',
  ];
}

/** Create the probe user on every node that lacks it (a node restarted since loses it: it is never ACL SAVEd). */
export async function ensureProbeUser(nodes: readonly Redis[], passwordSha256: string): Promise<void> {
  await Promise.all(
    nodes.map(async (n) => {
      if ((await n.call('ACL', 'GETUSER', PROBE_USER)) === null) await n.call('ACL', ...probeUserAclArgs(passwordSha256));
    }),
  );
}

/** Remove the probe user from every node (best effort: a node may be gone). */
export async function dropProbeUser(nodes: readonly Redis[]): Promise<void> {
  await Promise.allSettled(nodes.map((n) => n.call('ACL', 'DELUSER', PROBE_USER)));
}

/** The tenant-modules to probe: every module in a provisioned tenant's plan that has a slot (placement with a tag). */
export function probeTargets(s: UsageSnapshot): ProbeTarget[] {
  return s.tenantModules.flatMap((r) =>
    r.inPlan && r.plan !== null && r.placementTag !== null
      ? [
          {
            tenant: r.tenant,
            module: r.module,
            plan: r.plan,
            key: probeKeyOf(r.tenant as TenantId, r.module as ModuleName, r.placementTag),
          },
        ]
      : [],
  );
}

/**
 * Which tenant-modules each round probes: up to `n`, starting after the last one probed (by key, so tenants added
 * or removed between rounds do not reset the rotation); every target is probed once per ceil(targets / n) rounds.
 */
export class ProbeRotation {
  private lastKey: string | null = null;

  next(targets: readonly ProbeTarget[], n: number): ProbeTarget[] {
    if (targets.length <= n) return [...targets];
    const sorted = [...targets].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const last = this.lastKey;
    let start = last === null ? 0 : sorted.findIndex((t) => t.key > last);
    if (start < 0) start = 0;
    const out = sorted.slice(start, start + n);
    if (out.length < n) out.push(...sorted.slice(0, n - out.length));
    this.lastKey = out[out.length - 1]?.key ?? null;
    return out;
  }
}

/** Time a SET (with a TTL, so probe keys never outlive the exporter by long) and a GET on each target's key. */
export async function probeRound(
  client: Pick<Cluster, 'set' | 'get'>,
  targets: readonly ProbeTarget[],
  total: number,
  o: Pick<ProbeOptions, 'concurrency'> & { keyTtlMs: number },
  observe: (s: ProbeSample) => void,
): Promise<ProbeRoundResult> {
  const t0 = performance.now();
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const timed = async (target: ProbeTarget, op: 'set' | 'get', run: () => Promise<unknown>): Promise<void> => {
    const s = performance.now();
    try {
      await run();
      observe({ target, op, seconds: (performance.now() - s) / 1000 });
    } catch (err) {
      const error = errorMessage(err);
      errors++;
      firstError ??= `${target.tenant}/${target.module} ${op}: ${error}`;
      observe({ target, op, seconds: (performance.now() - s) / 1000, error });
    }
  };
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const t = targets[next++];
      if (!t) break;
      await timed(t, 'set', () => client.set(t.key, '1', 'PX', o.keyTtlMs));
      await timed(t, 'get', () => client.get(t.key));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, targets.length)) }, worker));
  return {
    probed: targets.length,
    targets: total,
    errors,
    durationMs: Math.round(performance.now() - t0),
    ...(firstError ? { firstError } : {}),
  };
}
