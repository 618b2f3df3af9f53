export { runBench, openLoopMaxOps, split, DEFAULT_MAX_INFLIGHT_PER_CONN, type BenchOptions } from './runner.js';
export { threadEntry } from './thread-entry.js';
export { aggregate, warningsOf, type RunMeta } from './aggregate.js';
export { evaluateSlo } from './slo.js';
export {
  PROFILES,
  buildWorkload,
  loadWorkload,
  checkWorkload,
  isProfileName,
  workloadSchema,
  type Workload,
  type WorkloadInput,
  type ProfileName,
} from './workload.js';
export { workloadFields, type WorkloadFields } from './workload-fields.js';
export {
  buildOpTable,
  KeyInterner,
  readKeys,
  allKeys,
  dimKey,
  valueOf,
  OP_GET,
  OP_SET,
  OP_NAMES,
  type OpTable,
  type Dim,
  type OpName,
} from './op-table.js';
export { buildPopulation, tenantModules, BENCH_TENANT_PREFIX, type BenchTenant, type TenantModule } from './population.js';
export {
  latencyHistogram,
  seriesHistogram,
  encodeHistogram,
  decodeHistogram,
  mergeEncoded,
  summarize,
  percentileCurve,
  CURVE_PERCENTILES,
  type Histogram,
} from './histograms.js';
export { Recorder, type EncodedRun } from './recorder.js';
export {
  openLoop,
  closedLoop,
  lanesOf,
  type Sender,
  type OpenLoopOptions,
  type OpenLoop,
  type ClosedLoop,
  type Lanes,
  type LoopBounds,
} from './scheduler.js';
export { PendingRing, type PendingShare } from './pending.js';
export { ConnWriter, type WriteFn } from './conn-writer.js';
export { OpFifo } from './op-fifo.js';
export { CommandArena, type CommandArenaShare } from './command-arena.js';
export { encodeCommands } from './command-encoder.js';
export { FdGuard } from './fd-guard.js';
export { Pacer, DEFAULT_PACING, type PacingOptions } from './pacer.js';
export { runOpenLoopSender, type OpenSchedule, type SenderInit, type SenderReport } from './open-loop-sender.js';
export { clockAnchor, offsetTo, fineTimerSlack, type ClockAnchor } from './clock.js';
export { detectSaturation, type SaturationFacts } from './saturation.js';
export { judgeAttempt, perfVerdict, shouldRetry, sloBreaches, type AttemptVerdict, type PerfVerdict } from './perf-verdict.js';
export { assessQuality, type DisturbanceThresholds, type QualityInputs } from './quality.js';
export {
  otherCpuMs,
  parseProcessStat,
  parseProcStat,
  sampleMachine,
  TICKS_PER_SECOND,
  type MachineSample,
  type ProcessCpu,
} from './machine-load.js';
export { openTargetNodes, sampleTargetActivity, type TargetNodes, type NodeActivity } from './target-activity.js';
export { settlePersistence, type SettleOptions, type SettleReport } from './settle.js';
export { generatorFigures } from './generator-figures.js';
export { encodeCommand, RespScanner, REPLY_OK, REPLY_NIL, REPLY_ERROR } from './resp.js';
export { DRIVERS, createDriver, type Driver, type DriverName, type DriverContext, type TenantCredentials } from './drivers/index.js';
export { prepareLoad, type LoadConfig, type PreparedLoad } from './load.js';
export { readTopology, type BenchTopology } from './topology.js';
export { compareWithPeers, type CompareOptions, type PeerTool } from './compare.js';
export { referenceOpTable, REFERENCE_KEY_PREFIX } from './reference-table.js';
export { findMemtier, memtierArgs, runMemtier, MEMTIER_KEY_PREFIX } from './peers/memtier.js';
export { removeComparisonKeys } from './peers/peer-keys.js';
export { createPeerUser, PEER_KEY_PATTERNS, type PeerCredentials } from './peers/peer-user.js';
export { runMeasured, type MeasuredProcess } from './peers/process-cpu.js';
export type { PeerRun, PeerStructure } from './peers/peer.js';
export {
  parseRedisBenchmarkCsv,
  redisBenchmarkArgs,
  runRedisBenchmark,
  isRedisBenchmarkKey,
  REDIS_BENCHMARK_KEY_PATTERN,
  type RedisBenchmarkRow,
} from './redis-benchmark.js';
export { runHttpEdge, edgeRequests, type HttpEdgeOptions } from './http/edge.js';
export { startEdgeApi, type EdgeApi, type EdgeBackend } from './http/api.js';
export { runMicroBenchmarks, formatMicro, type MicroRow } from './micro.js';
export { formatBench, formatComparison, formatQuality } from './format.js';
export { perfSettings, parseDuration, PERF_DEFAULTS, type PerfSettings } from './settings.js';
export { benchJsonValue, prefillValue } from './values.js';
export { mulberry32, weightedSampler, zipfSampler, uniformSampler, memo, type Rng, type WeightedSampler } from './prng.js';
