import { randomBytes } from 'node:crypto';
import type { Target } from '../cluster/index.js';
import type { Workload } from '../bench/workload.js';
import { withAdminSession, type TenantInput } from '../provision/index.js';
import type { Spec } from '../spec/index.js';
import { TENANT_KEY_ROOT } from '../tenancy/index.js';
import { fillTenantModules, keysAtFill, mastersBySpec, provisionMeasured } from './memory.js';
import { computePlacement, countLiveTenantKeys } from './placement.js';
import type { Placement } from './schema.js';
import { withTemporaryTenants } from './temporary-tenants.js';

/** Tenants in the live sample: enough to cover every plan of a 60/30/10 mix several times, fast to fill. */
export const LIVE_SAMPLE_TENANTS = 60;
/** The sample's fill: 0.1% of maxKeys (10 keys per basic tenant-module, 100 per enterprise one). */
export const LIVE_SAMPLE_FILL = 0.001;

export interface LiveSample {
  tenants: number;
  keys: number;
  /** Data keys counted on each master (SCAN of the sample's own prefix), by spec master name. */
  counts: Record<string, number>;
  /** The same sample's shares as computed from the spec (computePlacement), to compare with `counts`. */
  computed: Placement;
}

/**
 * Placement checked on the servers (issue 13 part 3): provision the population's first tenants (same plans and
 * channels, run-unique ids `cap<run>s<n>` so their keys can be told apart from anyone else's) through the real
 * provisioner, write keys at LIVE_SAMPLE_FILL through TenantCache, count each master's keys by SCAN, and remove
 * the tenants again (also on failure and Ctrl-C). Under module-shard a tenant's id does not move its keys; under
 * a tenant-slot strategy the sample is a sample of tenants, not the population's exact slots.
 */
export async function takeLiveSample(o: {
  spec: Spec;
  target: Target;
  population: readonly TenantInput[];
  workload: Workload;
  size?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}): Promise<LiveSample> {
  const log = o.log ?? (() => undefined);
  const run = randomBytes(3).toString('hex');
  const prefix = `cap${run}s`;
  const inputs = o.population
    .slice(0, o.size ?? LIVE_SAMPLE_TENANTS)
    .map((t, i) => ({ id: `${prefix}${i + 1}`, plan: t.plan, channel: t.channel ?? 'mobile' }));
  return withTemporaryTenants(o.target, prefix, log, () =>
    withAdminSession(o.target, async (session) => {
      const made = await provisionMeasured(session, o.spec, inputs);
      const items = made.flatMap((t) =>
        t.meta.modules.map((module) => ({ tenant: t, module, from: 0, to: Math.max(1, keysAtFill(t.meta.maxKeys, LIVE_SAMPLE_FILL)) })),
      );
      const tally = await fillTenantModules(o.spec, o.target, items, {
        parallel: 8,
        inFlight: 8,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      const masters = mastersBySpec(session, o.spec).map((m) => ({ name: m.name, client: m.node.client }));
      const counts = await countLiveTenantKeys(masters, { match: `${TENANT_KEY_ROOT}:${prefix}*` });
      log(`live sample: ${made.length} tenant(s), ${tally.keys} keys; counted per master ${JSON.stringify(counts)}`);
      return { tenants: made.length, keys: tally.keys, counts, computed: computePlacement(o.spec, inputs, o.workload, LIVE_SAMPLE_FILL) };
    }),
  );
}
