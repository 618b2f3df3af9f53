import { z } from 'zod';

/** Redis Cluster has 16384 hash slots, 0..16383. */
export const SLOT_COUNT = 16384;

const name = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be lower-case letters, digits, "_" or "-" (max 32), starting with a letter');
const className = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/, 'must be letters, digits or "_" (max 32), starting with a letter');
const positiveInt = z.number().int().positive();

const slotRange = z
  .tuple([
    z
      .number()
      .int()
      .min(0)
      .max(SLOT_COUNT - 1),
    z
      .number()
      .int()
      .min(0)
      .max(SLOT_COUNT - 1),
  ])
  .refine(([a, b]) => a <= b, { message: 'slot range start must be <= end' });

const master = z.strictObject({ name, slots: z.array(slotRange).min(1) });
const replica = z.strictObject({ name, of: name });

/** A redis.conf directive value: a scalar, or a list for directives that may repeat (save). */
const directiveValue = z.union([z.string(), z.number(), z.array(z.string()).min(1)]);

const ttlClass = z.strictObject({ mobile: positiveInt, web: positiveInt });

const plan = z.strictObject({
  modules: z.array(name).min(1),
  maxKeys: positiveInt,
  maxMemoryMB: positiveInt,
});

const channelSlo = z.strictObject({ p99Ms: z.number().positive(), p999Ms: z.number().positive() });

/**
 * When a perf measurement is not trustworthy (see src/bench/quality.ts): CPU used on the machine by
 * anything but the target and the generator, hypervisor steal, forks of the target (BGSAVE, AOF rewrite)
 * in the window, and the generator's own send lag.
 */
const disturbance = z.strictObject({
  otherCpuPercent: z.number().nonnegative().default(25),
  stealPercent: z.number().nonnegative().default(5),
  forks: z.number().int().nonnegative().default(0),
  sendLagP99Ms: z.number().positive().default(1),
});

export const perfSchema = z.strictObject({
  rate: z.number().positive().default(2000),
  durationSeconds: z.number().positive().default(5),
  warmupSeconds: z.number().nonnegative().default(1),
  /** An SLO breach measured while disturbed is measured again at most this many times, then inconclusive. */
  retries: z.number().int().nonnegative().max(10).default(2),
  disturbance: disturbance.prefault({}),
});
export type PerfSettings = z.output<typeof perfSchema>;

/**
 * `compare` / `gate --baseline`: how much worse than the baseline a metric may get (latencies: percent higher;
 * throughput: percent, negative; errorRate: absolute percentage points). A change is a regression only when it
 * is beyond its threshold AND significant at `alpha`.
 */
export const regressionSchema = z.strictObject({
  p50: z.number().positive().default(25),
  p99: z.number().positive().default(25),
  p99_9: z.number().positive().default(50),
  throughput: z.number().negative().default(-10),
  errorRate: z.number().positive().default(0.1),
  alpha: z.number().gt(0).lt(0.5).default(0.01),
  /**
   * The smallest latency change (µs) that can be a regression, whatever its percent: between two runs of the same
   * cluster a sub-millisecond p99 moves by ±25 % (tens of µs) and p99.9 by a millisecond or more (measured A/A,
   * docs/decisions.md), so a percent alone fails gates on noise.
   */
  floorUs: z
    .strictObject({
      p50: z.number().nonnegative().default(50),
      p99: z.number().nonnegative().default(150),
      p99_9: z.number().nonnegative().default(1000),
    })
    .prefault({}),
});
export type RegressionThresholds = z.output<typeof regressionSchema>;

/**
 * The blast-radius suite's limits (suites/blast-radius): what a noisy tenant, with only its own credentials,
 * may do to a quiet tenant on the same node during each abuse. A breach on a clean measurement fails the gate.
 */
export const blastRadiusSchema = z.strictObject({
  /** The quiet tenant's p99.9 latency (from each op's intended start) during any abuse window. */
  victimP999Ms: z.number().positive().default(50),
  /** Operations of the quiet tenant that fail during the abuses. */
  victimErrors: z.number().int().nonnegative().default(0),
  /** Keys of the quiet tenant missing when read back after each abuse. */
  victimKeysLost: z.number().int().nonnegative().default(0),
  /**
   * An abuse Redis cannot refuse per tenant (a connection flood, writes past quota, growing its own quota zset
   * under memory pressure) that breaks the limits above: false (default) reports it as a warning with its
   * measured effect and the mitigation; true fails the gate (for a cluster with a proxy or guard in front that
   * is meant to stop them). Abuses Redis can refuse always fail the gate when they break a limit.
   */
  failOnUnenforceable: z.boolean().default(false),
});
export type BlastRadiusLimits = z.output<typeof blastRadiusSchema>;

/** The failover suite's limits (suites/failover) and the rolling restart's (issue 11). */
export const failoverSchema = z.strictObject({
  /**
   * The longest client-visible window per shard when a master dies (first failed or stalled op to the first
   * success after it). 10000 fits cluster-node-timeout 5000: detection (node-timeout) + election + clients
   * refreshing their slot map.
   */
  maxWindowMs: z.number().positive().default(10_000),
  /** Failed client operations allowed during a rolling restart (with client retries). */
  rollingRestartMaxFailedOps: z.number().int().nonnegative().default(0),
});
export type FailoverLimits = z.output<typeof failoverSchema>;

export const specSchema = z.strictObject({
  version: z.literal(1),
  name,
  description: z.string().optional(),
  topology: z.strictObject({
    host: z.string().min(1),
    /**
     * The image the container backends (compose, containers) run, unless CACHE_HARNESS_REDIS_IMAGE names
     * another. Never pulled by the harness: `cache-harness image build` makes one from this host's Redis.
     */
    image: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._/:@-]*$/, 'an image reference: lower-case name[:tag], e.g. redis:7.2-alpine')
      .default('redis:7.2-alpine'),
    masters: z.array(master).min(1),
    replicas: z.array(replica),
  }),
  redis: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'directive names are lower-case redis.conf names'), directiveValue),
  security: z.strictObject({
    requirePassword: z.boolean(),
    bind: z.array(z.string().min(1)).min(1),
  }),
  modules: z.record(name, z.strictObject({ shard: name, dataTypes: z.record(name, className) })),
  commonDataTypes: z.record(name, className).default({}),
  ttlClasses: z.record(className, ttlClass),
  plans: z.record(name, plan),
  placement: z.strictObject({ strategy: z.enum(['module-shard', 'tenant-slot', 'none']) }).default({ strategy: 'module-shard' }),
  slo: z.strictObject({ mobile: channelSlo, web: channelSlo }),
  /** The gate's perf suite: an open-loop run per channel at this rate, and what counts as a disturbed measurement. */
  perf: perfSchema.optional(),
  /** Baseline comparison thresholds (`compare`, `gate --baseline`). */
  regression: regressionSchema.prefault({}),
  /** What one tenant may do to another: the blast-radius suite's limits. */
  isolation: z.strictObject({ blastRadius: blastRadiusSchema.prefault({}) }).prefault({}),
  /** How long clients may see errors when a master fails, and what a rolling restart may cost. */
  failover: failoverSchema.prefault({}),
  alerts: z.strictObject({
    quotaRatio: z.number().gt(0).lte(1),
    memoryRatio: z.number().gt(0).lte(1),
    latencyP99Seconds: z.number().positive(),
    mobileRatioMinPercent: z.number().min(0).max(100),
  }),
});

/** The spec as written in YAML (before cross-field rules). */
export type SpecInput = z.input<typeof specSchema>;
/** A validated spec: only `parseSpec` hands these out. */
export type Spec = z.output<typeof specSchema> & { readonly __validated: true };
export type MasterSpec = z.output<typeof master>;
export type ReplicaSpec = z.output<typeof replica>;
export type DirectiveValue = z.output<typeof directiveValue>;
