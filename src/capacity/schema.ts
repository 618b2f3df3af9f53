import { z } from 'zod';

/**
 * The capacity document (`cache-harness capacity --json`, issue 13): a throughput sweep with its knee, memory per
 * key and per tenant measured through the product's own write path, placement skew, and a per-shard projection
 * for a population. CI jobs read the keys named in the issue; everything else is evidence for a reader.
 */
export const CAPACITY_SCHEMA_VERSION = 1;

/** One open-loop step of a sweep (the whole cluster, or one master alone). */
export const sweepStepSchema = z.object({
  offered_ops_per_s: z.number(),
  achieved_ops_per_s: z.number(),
  p50_us: z.number(),
  p99_us: z.number(),
  p99_9_us: z.number(),
  /** Per channel p99 / p99.9 against the spec's SLO. */
  channels: z.array(z.object({ channel: z.enum(['mobile', 'web']), p99_us: z.number(), p99_9_us: z.number() })),
  errors: z.number().int().nonnegative(),
  /** The spec's SLO held on every channel. */
  slo_met: z.boolean(),
  /** Achieved ≥ 99% of offered, no error, SLO met. */
  ok: z.boolean(),
  /** Why the step is not ok (empty when it is). */
  reasons: z.array(z.string()),
  /** The measurement was disturbed (other load on the machine, forks, generator lag): the step says so. */
  disturbed: z.boolean(),
});
export type SweepStep = z.infer<typeof sweepStepSchema>;

export const sweepSchema = z.object({
  /** 'cluster' or a master's name. */
  scope: z.string(),
  steps: z.array(sweepStepSchema),
  /** The highest ok step; null when even the first failed. */
  knee: z.object({ ops_per_s: z.number(), p99_us: z.number(), p99_9_us: z.number() }).nullable(),
  /** Why the sweep stopped. */
  stopped: z.string(),
});
export type Sweep = z.infer<typeof sweepSchema>;

export const memorySchema = z.object({
  /** Fill level the per-tenant figures are at (share of each tenant-module's maxKeys). */
  fill: z.number(),
  /** Bytes per key per data type (used_memory difference over keys written; MEMORY USAGE samples beside it). */
  bytes_per_key: z.record(z.string(), z.number()),
  memory_usage_sample: z.record(z.string(), z.number()),
  /** Bytes per tenant per plan at `fill`, and at 100% of its quota; quota bookkeeping and the ACL user included. */
  bytes_per_tenant: z.record(z.string(), z.number()),
  bytes_per_tenant_full: z.record(z.string(), z.number()),
  /** Bytes every tenant costs on each master whatever its modules: its ACL user (on every node) and its meta key (spread). */
  bytes_per_tenant_each_master: z.number(),
  /** Bytes per tenant-module per plan at `fill` (plan → module → bytes): what the per-shard projection adds up. */
  bytes_per_tenant_module: z.record(z.string(), z.record(z.string(), z.number())),
  /** Measured used_memory growth per master over the whole fill (bytes). */
  per_master: z.array(z.object({ name: z.string(), used_memory_delta: z.number(), keys: z.number() })),
  tenants_per_plan: z.record(z.string(), z.number()),
});
export type CapacityMemory = z.infer<typeof memorySchema>;

export const placementSchema = z.object({
  strategy: z.string(),
  shards: z.array(
    z.object({
      name: z.string(),
      /** Share of the population's keys and ops that land on this shard (from the spec and population). */
      key_share: z.number(),
      ops_share: z.number(),
      /** The same share from a live sample of keys, when one was taken. */
      live_key_share: z.number().nullable(),
      modules: z.array(z.string()),
    }),
  ),
});
export type Placement = z.infer<typeof placementSchema>;

export const projectionSchema = z.object({
  tenants: z.number().int().nonnegative(),
  plan_mix: z.record(z.string(), z.number()),
  shards: z.array(
    z.object({
      name: z.string(),
      memory_bytes: z.number(),
      maxmemory_bytes: z.number(),
      ops_per_s: z.number(),
      knee_ops_per_s: z.number().nullable(),
      memory_headroom_pct: z.number(),
      ops_headroom_pct: z.number().nullable(),
    }),
  ),
  /** The largest tenant count (same mix) that fits every shard's memory and knee. */
  max_tenants: z.number().int().nonnegative(),
  /** `shard` is a master's name, or 'cluster' when the whole cluster's knee caps the total ops first. */
  first_limit: z.object({ shard: z.string(), resource: z.enum(['memory', 'ops']) }),
  /** For `target_tenants`: masters needed and a module → shard map that fits them. */
  target_tenants: z.number().int().positive().nullable(),
  masters_needed: z.number().int().positive().nullable(),
  module_map: z.record(z.string(), z.number()).nullable(),
  assumptions: z.array(z.string()),
});
export type Projection = z.infer<typeof projectionSchema>;

export const capacityDocumentSchema = z.object({
  schema: z.literal('cache-harness.capacity'),
  schema_version: z.literal(CAPACITY_SCHEMA_VERSION),
  started_at: z.string(),
  duration_ms: z.number(),
  target: z.object({ backend: z.string(), masters: z.array(z.string()) }),
  /** The whole cluster's sweep; its knee is `knee` (the issue's `knee.ops_per_s`, `knee.p99_us`). */
  knee: sweepSchema.shape.knee,
  steps: z.array(sweepStepSchema),
  sweeps: z.array(sweepSchema),
  memory: memorySchema,
  placement: placementSchema,
  projection: projectionSchema,
});
export type CapacityDocument = z.infer<typeof capacityDocumentSchema>;
