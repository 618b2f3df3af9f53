import { z } from 'zod';

/**
 * The `benches` section of the result document: one entry per benchmark run. Everything the report
 * needs is here (summaries, per-second series, percentile curves); the encoded HDR histograms
 * (compressed base64, µs) let later runs be merged or re-analysed.
 */
export const latencySummarySchema = z.object({
  count: z.number().int().nonnegative(),
  min_us: z.number(),
  mean_us: z.number(),
  p50_us: z.number(),
  p90_us: z.number(),
  p99_us: z.number(),
  p99_9_us: z.number(),
  p99_99_us: z.number(),
  max_us: z.number(),
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

export const perSecondPointSchema = z.object({
  second: z.number().int().nonnegative(),
  channel: z.enum(['all', 'mobile', 'web']),
  count: z.number().int().nonnegative(),
  p50_us: z.number(),
  p99_us: z.number(),
  max_us: z.number(),
});
export type PerSecondPoint = z.infer<typeof perSecondPointSchema>;

export const curvePointSchema = z.object({ percentile: z.number(), value_us: z.number() });
export const curveSchema = z.object({ label: z.string(), points: z.array(curvePointSchema) });
export type PercentileCurve = z.infer<typeof curveSchema>;

export const sloRowSchema = z.object({
  channel: channelSchema,
  status: z.enum(['pass', 'fail', 'no-data']),
  count: z.number().int().nonnegative(),
  p99_us: z.number(),
  p99_9_us: z.number(),
  p99_limit_ms: z.number(),
  p99_9_limit_ms: z.number(),
  /** What failed, in words ("p99.9 12.3 ms > 10 ms"). */
  detail: z.string(),
});
export type SloRow = z.infer<typeof sloRowSchema>;

export const comparisonRowSchema = z.object({
  op: z.enum(['set', 'get']),
  ours_ops_per_s: z.number(),
  ours_p50_us: z.number(),
  ours_p99_us: z.number(),
  ours_cpu_percent: z.number(),
  redis_benchmark_ops_per_s: z.number(),
  redis_benchmark_p50_ms: z.number(),
  redis_benchmark_p99_ms: z.number(),
  /** ours / redis-benchmark. */
  ratio: z.number(),
});
export type ComparisonRow = z.infer<typeof comparisonRowSchema>;

export const comparisonSchema = z.object({
  inflight: z.number().int().positive(),
  value_bytes: z.number().int().positive(),
  requests: z.number().int().positive(),
  keyspace: z.number().int().positive(),
  ours: z.object({ driver: z.string(), connections_per_node: z.number().int().positive(), masters: z.number().int().positive(), workers: z.number().int().positive() }),
  /** The redis-benchmark command line, password replaced by `***`. */
  redis_benchmark_command: z.string(),
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
    latency_ms: z.object({ p50: z.number(), p90: z.number(), p99: z.number(), p99_9: z.number(), max: z.number(), mean: z.number() }),
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
  /** Open loop: how close the sends were to their intended times. */
  schedule: z.object({
    expected_gap_us: z.number(),
    send_lag: latencySummarySchema,
    send_gap: latencySummarySchema,
    max_burst: z.number(),
  }).optional(),
  generator: z.object({
    cpu_user_ms: z.number(),
    cpu_system_ms: z.number(),
    /** 100 = one core busy for the whole run (warm-up and drain included). */
    cpu_percent: z.number(),
    cpu_us_per_op: z.number(),
    wall_ms: z.number(),
  }),
  overall: latencySummarySchema,
  channels: z.array(latencySummarySchema.extend({ channel: channelSchema })),
  groups: z.array(benchGroupSchema),
  per_second: z.array(perSecondPointSchema),
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
