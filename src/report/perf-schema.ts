import { z } from 'zod';
import { PERCENTILES, percentileFields, type Percentile } from './percentiles.js';

/**
 * The `benches` section of the result document: one entry per benchmark run. Everything the report
 * needs is here (summaries, per-second series, percentile curves); the encoded HDR histograms
 * (compressed base64, µs) let later runs be merged or re-analysed.
 */
export const latencySummarySchema = z.object({
  count: z.number().int().nonnegative(),
  min_us: z.number(),
  mean_us: z.number(),
  ...percentileFields(PERCENTILES),
});
export type LatencySummary = z.infer<typeof latencySummarySchema>;

export const channelSchema = z.enum(['mobile', 'web']);

export const benchGroupSchema = latencySummarySchema.extend({
  op: z.string(),
  module: z.string(),
  channel: channelSchema,
  plan: z.string(),
  /** Encoded HDR histogram (µs, 3 significant digits). */
  hist: z.string(),
});
export type BenchGroup = z.infer<typeof benchGroupSchema>;

/** The per-second series keeps three figures, to keep many seconds small (a subset of PERCENTILES). */
export const PER_SECOND_PERCENTILES = [50, 99, 100] as const satisfies readonly Percentile[];

export const perSecondPointSchema = z.object({
  second: z.number().int().nonnegative(),
  channel: z.enum(['all', 'mobile', 'web']),
  count: z.number().int().nonnegative(),
  ...percentileFields(PER_SECOND_PERCENTILES),
  /** Encoded HDR histogram of the second (µs, 2 significant digits), mobile/web only: `compare` bootstraps tail percentiles over seconds. */
  hist: z.string().optional(),
});
export type PerSecondPoint = z.infer<typeof perSecondPointSchema>;

/** The same per second, channel (mobile/web) and op: `compare` tests each op's latencies as well as each channel's. */
export const perSecondOpPointSchema = perSecondPointSchema.extend({ channel: channelSchema, op: z.string(), hist: z.string() });
export type PerSecondOpPoint = z.infer<typeof perSecondOpPointSchema>;

export const curvePointSchema = z.object({ percentile: z.number(), value_us: z.number() });
export const curveSchema = z.object({ label: z.string(), points: z.array(curvePointSchema) });
export type PercentileCurve = z.infer<typeof curveSchema>;

/** The percentiles the spec's SLO puts limits on (slo.<channel>.p99Ms, p999Ms). */
export const SLO_PERCENTILES = [99, 99.9] as const satisfies readonly Percentile[];

export const sloRowSchema = z.object({
  channel: channelSchema,
  status: z.enum(['pass', 'fail', 'no-data']),
  count: z.number().int().nonnegative(),
  ...percentileFields(SLO_PERCENTILES),
  ...percentileFields(SLO_PERCENTILES, '_limit_ms'),
  /** What failed, in words ("p99.9 12.3 ms > 10 ms"). */
  detail: z.string(),
});
export type SloRow = z.infer<typeof sloRowSchema>;

/** What redis-benchmark and memtier both report, so what a comparison can put side by side. */
export const PEER_PERCENTILES = [50, 99] as const satisfies readonly Percentile[];

/** One run of one tool (ours or a peer) for one op, figures from that run alone. */
export const peerRunSchema = z.object({
  tool: z.enum(['ours', 'redis-benchmark', 'memtier']),
  op: z.enum(['set', 'get']),
  ops_per_s: z.number(),
  count: z.number(),
  ...percentileFields(PEER_PERCENTILES),
  /** The tool's process CPU over this run (kernel figures), and per op. */
  cpu_ms: z.number(),
  cpu_us_per_op: z.number(),
  wall_ms: z.number(),
  /** The command line, password replaced by `***`. */
  command: z.string(),
});
export type PeerRunResult = z.infer<typeof peerRunSchema>;

export const comparisonRowSchema = z.object({
  tool: z.enum(['redis-benchmark', 'memtier']),
  op: z.enum(['set', 'get']),
  /** ours / theirs ops/s in each round (the pairs ran back to back). */
  round_ratios: z.array(z.number()),
  /** The median round's ratios: throughput (ours / theirs) and CPU per op (ours / theirs), both from that round's two runs. */
  throughput_ratio: z.number(),
  cpu_per_op_ratio: z.number(),
  ours: peerRunSchema,
  theirs: peerRunSchema,
});
export type ComparisonRow = z.infer<typeof comparisonRowSchema>;

export const comparisonSchema = z.object({
  /** What both sides share: connections, pipeline depth, value size, keyspace, duration. */
  structure: z.object({
    masters: z.number().int().positive(),
    connections_per_master: z.number().int().positive(),
    pipeline: z.number().int().positive(),
    inflight_total: z.number().int().positive(),
    value_bytes: z.number().int().positive(),
    keyspace: z.number().int().positive(),
    duration_s: z.number().positive(),
    rounds: z.number().int().positive(),
  }),
  /** Each side's connection structure in words, printed next to the ratios. */
  sides: z.record(z.string(), z.string()),
  rows: z.array(comparisonRowSchema),
  note: z.string(),
});
export type Comparison = z.infer<typeof comparisonSchema>;

export const httpEdgeSchema = z.object({
  url: z.string(),
  connections: z.number().int().positive(),
  duration_s: z.number(),
  /** autocannon's view (closed loop; whole milliseconds). */
  autocannon: z.object({
    requests_total: z.number(),
    requests_per_s: z.number(),
    // p99_99 is absent in documents written before it was recorded.
    latency_ms: z.object({ ...percentileFields(PERCENTILES, ''), mean: z.number() }).partial({ p99_99: true }),
    errors: z.number(),
    timeouts: z.number(),
    non_2xx: z.number(),
    status_codes: z.record(z.string(), z.number()),
  }),
  /** Our server-side view: request received → response finished, µs. */
  server: z.array(latencySummarySchema.extend({ route: z.string(), channel: channelSchema, hist: z.string() })),
  backend: z.string(),
});
export type HttpEdgeResult = z.infer<typeof httpEdgeSchema>;

/** Whether the run offered more than the target (or the generator) could take; a saturated run's latencies describe a queue. */
export const saturationSchema = z.object({
  saturated: z.boolean(),
  reasons: z.array(z.string()),
  /** Per measured second: the most ops outstanding at once (in flight + waiting for room). */
  outstanding_per_second: z.array(z.number()),
});
export type Saturation = z.infer<typeof saturationSchema>;

/**
 * How trustworthy the measurement was: what else ran on the machine during the run (its CPU outside the
 * target and the generator, steal), forks of the target (BGSAVE / AOF rewrite), the generator's own cost.
 * A run over any threshold is `disturbed`: an SLO breach it shows is re-measured, then inconclusive.
 */
export const qualitySchema = z.object({
  window_ms: z.number(),
  machine: z.object({
    cores: z.number().int().positive(),
    /** Busy share of all cores, 100 = every core busy. */
    busy_percent: z.number(),
    steal_percent: z.number(),
    /** CPU used by everything but the target and the generator; 100 = one core. */
    other_cpu_percent: z.number(),
  }),
  /** The target's CPU (100 = one core, forks included) when it runs on this machine; null otherwise. */
  target_cpu_percent: z.number().nullable(),
  /** Forks of the target's nodes (BGSAVE, AOF rewrite) during the run, by node. */
  forks: z.number().int().nonnegative(),
  fork_nodes: z.array(z.string()),
  generator_cpu_percent: z.number(),
  send_lag_p99_us: z.number(),
  thresholds: z.object({ other_cpu_percent: z.number(), steal_percent: z.number(), forks: z.number(), send_lag_p99_us: z.number() }),
  disturbed: z.boolean(),
  /** Each threshold crossed, in words. */
  reasons: z.array(z.string()),
});
export type Quality = z.infer<typeof qualitySchema>;

export const benchResultSchema = z.object({
  name: z.string(),
  kind: z.enum(['redis', 'http']),
  profile: z.string(),
  mode: z.enum(['open', 'closed']),
  driver: z.string(),
  started_at: z.string(),
  /** The measured window (warm-up excluded). */
  duration_ms: z.number(),
  warmup_ms: z.number(),
  config: z.object({
    target_rate: z.number().optional(),
    inflight: z.number().optional(),
    connections_per_node: z.number(),
    workers: z.number().int().positive(),
    max_ops: z.number(),
    op_table_size: z.number(),
    seed: z.number(),
    masters: z.number(),
  }),
  /** The workload as flat fields (value sizes, op mix, keys, tenants): runs compare only when they match. Absent before it was recorded. */
  workload: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  totals: z.object({
    issued: z.number(),
    completed: z.number(),
    errors: z.number(),
    timeouts: z.number(),
    misses: z.number(),
    /** Measured ops issued per second of the window. */
    issued_rate: z.number(),
    /** Measured ops completed per second (window start → last completion). */
    completed_rate: z.number(),
  }),
  /** Open loop: how close the sends were to their intended times, and what the in-flight bound held back. */
  schedule: z
    .object({
      expected_gap_us: z.number(),
      /** Actual send − intended send: the generator's share of every latency below. */
      send_lag: latencySummarySchema,
      /** Measured ops that waited for room under the in-flight bound before being sent. */
      deferred: z.number().int().nonnegative(),
      /** Measured ops still waiting at the end: never sent (counted as timeouts). */
      unsent: z.number().int().nonnegative(),
      max_inflight_per_conn: z.number().int().positive(),
    })
    .optional(),
  generator: z.object({
    cpu_user_ms: z.number(),
    cpu_system_ms: z.number(),
    /** 100 = one core busy for the whole run (warm-up and drain included). */
    cpu_percent: z.number(),
    cpu_us_per_op: z.number(),
    wall_ms: z.number(),
    /** Most resident memory of the generator's process so far (MB). */
    max_rss_mb: z.number(),
    /** Where that CPU went, ms over the run (null where /proc/thread-self is missing): the thread reading replies, the sender thread and its spinning. */
    threads: z
      .object({
        receiver_ms: z.number().nullable(),
        sender_ms: z.number().nullable(),
        sender_spin_ms: z.number().nullable(),
        /** The sender's write(2) calls and futex sleeps: ops per write shows how much a rate batches. */
        /** Absent in documents written before they were recorded (as are batch_us and autocannon's p99_99). */
        sender_writes: z.number().optional(),
        sender_sleeps: z.number().optional(),
      })
      .optional(),
    /** Open loop through a sender thread: how it waited (spin within a CPU budget, then futex sleeps). */
    pacing: z
      .object({
        sender_thread: z.boolean(),
        spin_us: z.number(),
        spin_budget: z.number(),
        batch_us: z.number().optional(),
        fine_timer_slack: z.boolean(),
      })
      .optional(),
  }),
  overall: latencySummarySchema,
  channels: z.array(latencySummarySchema.extend({ channel: channelSchema })),
  /** From each op's actual send to its reply, per channel: the target's share (wrk2 keeps both). */
  service_time: z.array(latencySummarySchema.extend({ channel: channelSchema })),
  saturation: saturationSchema,
  quality: qualitySchema.optional(),
  groups: z.array(benchGroupSchema),
  per_second: z.array(perSecondPointSchema),
  /** Absent in documents written before it was recorded: their per-op rows are shown, not tested. */
  per_second_ops: z.array(perSecondOpPointSchema).optional(),
  curves: z.array(curveSchema),
  slo: z.array(sloRowSchema),
  errors_by_message: z.record(z.string(), z.number()),
  warnings: z.array(z.string()),
  /** Encoded HDR histograms (µs) of the whole run and per channel. */
  histograms: z.object({ overall: z.string(), mobile: z.string(), web: z.string() }),
  comparison: comparisonSchema.optional(),
  http: httpEdgeSchema.optional(),
});
export type BenchResult = z.infer<typeof benchResultSchema>;
