import { PacedTenantThread } from '../../src/bench/paced-tenant.js';
import type { Spec } from '../../src/spec/index.js';
import type { TenantMeta } from '../../src/tenancy/index.js';
import type { Target } from '../../src/cluster/index.js';

// A tenant's TenantCache traffic on one channel, in a worker thread of its own (its own TenantCache, as its own ACL
// user): an application next to the exporter, never in the exporter's thread. What the exporter sees of it is only
// what the cluster shows (CLIENT LIST, the keys).

export interface ChannelTrafficOptions {
  spec: Spec;
  target: Target;
  meta: TenantMeta;
  password: string;
  module: string;
  channel: 'mobile' | 'web';
  ratePerSec: number;
}

export interface ChannelTraffic {
  /** Run the traffic until `during` settles (at most `maxMs`); returns what `during` returned, throws what it threw. */
  during<T>(maxMs: number, during: () => Promise<T>): Promise<{ ops: number; errors: number; errorMessages: string[]; value: T }>;
  close(): Promise<void>;
}

export async function startChannelTraffic(o: ChannelTrafficOptions): Promise<ChannelTraffic> {
  const thread = await PacedTenantThread.start(
    {
      cache: {
        spec: o.spec,
        seeds: o.target.seeds,
        tenant: o.meta.tenant,
        module: o.module,
        channel: o.channel,
        aclUser: o.meta.aclUser,
        password: o.password,
        meta: o.meta,
      },
      keys: Array.from({ length: 20 }, (_, i) => `k${i}`),
      dataType: 'users',
      ratePerSec: o.ratePerSec,
    },
    `tenant ${o.meta.tenant} (${o.channel})`,
  );
  return {
    during: async (maxMs, fn) => {
      const { window, outcome } = await thread.window(0, maxMs, fn);
      if (!outcome.ok) throw outcome.error;
      return { ops: window.ops, errors: window.errors, errorMessages: window.errorMessages, value: outcome.value };
    },
    close: () => thread.close(),
  };
}
