import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
// Only what every run needs is imported here; the HTTP edge (autocannon), the micro-benchmarks (tinybench)
// and the comparisons load when asked for, so a plain run's generator stays small (its RSS is reported).
import { DRIVERS, type DriverName } from '../bench/drivers/driver.js';
import { formatBench } from '../bench/format.js';
import type { MicroRow } from '../bench/micro.js';
import { DEFAULT_PACING } from '../bench/pacer.js';
import { DEFAULT_MAX_INFLIGHT_PER_CONN, openLoopMaxOps, runBench } from '../bench/runner.js';
import { parseDuration, PERF_DEFAULTS, perfSettings } from '../bench/settings.js';
import { readTopology } from '../bench/topology.js';
import { isProfileName, loadWorkload } from '../bench/workload.js';
import { resolveTarget } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import type { BenchResult } from '../report/index.js';
import { loadSpec } from '../spec/index.js';
import { parseChannel } from '../tenancy/index.js';
import { nonNegative, positiveInt, positiveNumber, share } from './options.js';
import { progress } from './progress.js';

export interface BenchCliOptions {
  spec: string;
  portBase: number;
  target?: string;
  allowDestructive?: boolean;
  profile: string;
  workload?: string;
  mode: string;
  rate?: number;
  inflight: number;
  connections: number;
  workers: number;
  driver: string;
  duration?: string;
  warmup?: string;
  maxOps?: number;
  json?: string;
  compareRedisBenchmark?: boolean;
  /** true (on PATH) or the binary's path. */
  compareMemtier?: string | boolean;
  comparePipeline: number;
  compareDuration: string;
  compareKeyspace: number;
  compareValueBytes: number;
  compareRounds: number;
  http?: boolean;
  channel: string;
  httpPort: number;
  micro?: boolean;
  maxInflightPerConn?: number;
  spinUs?: number;
  spinBudget?: number;
  batchUs?: number;
  settle: boolean;
}

/** What `--json` writes. */
export interface BenchFile {
  schema: 'cache-harness.bench';
  schema_version: 1;
  benches: BenchResult[];
  micro?: MicroRow[];
}

/** `cache-harness bench`: one run (open or closed loop, or the HTTP edge), printed and optionally written as JSON. Exit 1 when an open-loop SLO fails. */
export async function benchCommand(o: BenchCliOptions): Promise<void> {
  const spec = loadSpec(o.spec);
  const out: BenchFile = { schema: 'cache-harness.bench', schema_version: 1, benches: [] };
  if (o.micro) {
    progress('micro-benchmarks (tinybench)');
    const { formatMicro, runMicroBenchmarks } = await import('../bench/micro.js');
    out.micro = await runMicroBenchmarks(spec);
    process.stdout.write(`${formatMicro(out.micro)}\n`);
    if (o.json) writeFileSync(resolve(o.json), `${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  if (!isProfileName(o.profile))
    throw new HarnessError(
      `--profile ${o.profile} is not a profile`,
      'use --profile mobile or --profile web (and --workload FILE to override parts)',
    );
  if (o.mode !== 'open' && o.mode !== 'closed') throw new HarnessError(`--mode ${o.mode} must be open or closed`);
  if (!(DRIVERS as readonly string[]).includes(o.driver))
    throw new HarnessError(`--driver ${o.driver} is not one of ${DRIVERS.join(', ')}`);
  const driver = o.driver as DriverName;
  const workload = loadWorkload(spec, o.profile, o.workload ? resolve(o.workload) : undefined);
  const settings = perfSettings(spec);
  const durationMs = o.duration ? parseDurationOption('--duration', o.duration) : settings.durationSeconds * 1000;
  const warmupMs = o.warmup ? parseDurationOption('--warmup', o.warmup) : settings.warmupSeconds * 1000;
  const rate = o.rate ?? settings.rate;
  const target = resolveTarget(o, { load: true });
  const tools = [...(o.compareRedisBenchmark ? ['redis-benchmark' as const] : []), ...(o.compareMemtier ? ['memtier' as const] : [])];
  if (o.target && tools.length > 0 && !target.destructive) {
    throw new HarnessError(
      "a comparison writes the peer tools' keys (key:{...}:<12 digits>, cache-harness-memtier:*) and a temporary ACL user to the target",
      'add --allow-destructive if that is acceptable on this cluster',
    );
  }
  let result: BenchResult;
  if (o.http) {
    const { runHttpEdge } = await import('../bench/http/edge.js');
    result = await runHttpEdge({
      spec,
      target,
      workload,
      backend: driver === 'tenant-cache' ? 'tenant-cache' : 'raw',
      channel: parseChannel(o.channel),
      connections: o.inflight,
      durationMs,
      warmupMs,
      rate: o.rate ?? 0,
      port: o.httpPort,
      log: progress,
    });
  } else {
    const topology = await readTopology(target);
    const maxOps = o.maxOps ?? (o.mode === 'open' ? openLoopMaxOps(rate, durationMs, warmupMs) : 50_000_000);
    result = await runBench({
      spec,
      target,
      topology,
      workload,
      mode: o.mode,
      rate,
      inflight: o.inflight,
      connections: o.connections,
      workers: o.workers,
      driver,
      durationMs,
      warmupMs,
      maxOps,
      log: progress,
      settle: o.settle,
      ...(o.maxInflightPerConn !== undefined ? { maxInFlightPerConn: o.maxInflightPerConn } : {}),
      pacing: {
        spinUs: o.spinUs ?? DEFAULT_PACING.spinUs,
        spinBudget: o.spinBudget ?? DEFAULT_PACING.spinBudget,
        batchUs: o.batchUs ?? DEFAULT_PACING.batchUs,
      },
    });
    if (tools.length > 0) {
      progress(
        `comparing with ${tools.join(' and ')} like for like: ${o.connections} connection(s) per master, pipeline ${o.comparePipeline}, ${o.compareValueBytes} B, ${o.compareKeyspace} keys, ${o.compareDuration} per op, ${o.compareRounds} round(s)`,
      );
      const { compareWithPeers } = await import('../bench/compare.js');
      const comparison = await compareWithPeers({
        spec,
        target,
        topology,
        workload,
        driver,
        tools,
        ...(typeof o.compareMemtier === 'string' ? { memtierBin: o.compareMemtier } : {}),
        connectionsPerMaster: o.connections,
        pipeline: o.comparePipeline,
        valueBytes: o.compareValueBytes,
        keyspace: o.compareKeyspace,
        durationMs: parseDurationOption('--compare-duration', o.compareDuration),
        rounds: o.compareRounds,
        log: progress,
      });
      result = { ...result, comparison };
    }
  }
  out.benches.push(result);
  process.stdout.write(`${formatBench(result)}\n`);
  if (o.json) {
    writeFileSync(resolve(o.json), `${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(`json: ${resolve(o.json)}\n`);
  }
  // An open loop (or the HTTP edge, the phone's view) judges the SLO; a closed loop runs at saturation and only informs.
  if ((result.mode === 'open' || result.kind === 'http') && result.slo.some((s) => s.status === 'fail')) process.exitCode = 1;
}

function parseDurationOption(name: string, v: string): number {
  try {
    return parseDuration(v);
  } catch (err) {
    throw new HarnessError(`${name}: ${(err as Error).message}`);
  }
}

/** Register `bench` on the CLI; `common` are the shared --spec and --port-base options (src/commands/options.ts). */
export function registerBenchCommand(program: Command, common: { spec: () => Option; portBase: () => Option }): Command {
  return program
    .command('bench')
    .description(
      'load the cluster: open loop at a constant rate (latency from intended start, SLO per channel) or closed loop for saturation; HDR histograms; JSON',
    )
    .addOption(common.spec())
    .addOption(common.portBase())
    .option('--target <url>', 'an external cluster, redis://[user:pass@]host:port, instead of the local one at --port-base')
    .option('--allow-destructive', "with --target: allow redis-benchmark's keys and removing stale bench-* tenants")
    .addOption(new Option('--profile <name>', 'workload profile').choices(['mobile', 'web']).default('mobile'))
    .option('--workload <file>', 'YAML overriding parts of the profile (channels, tenants, keys, channel traits, modules)')
    .addOption(
      new Option('--mode <mode>', 'open: constant arrival rate; closed: N in flight as fast as possible')
        .choices(['open', 'closed'])
        .default('open'),
    )
    .addOption(
      new Option(
        '--rate <ops>',
        `open loop: total ops/s (default: spec perf.rate, else ${PERF_DEFAULTS.rate}); --http: autocannon overallRate`,
      ).argParser(positiveNumber),
    )
    .addOption(
      new Option('--inflight <n>', 'closed loop: total ops in flight (also redis-benchmark -c); --http: autocannon connections')
        .argParser(positiveInt('--inflight'))
        .default(50),
    )
    .addOption(new Option('--connections <n>', 'connections per master per worker').argParser(positiveInt('--connections')).default(1))
    .addOption(
      new Option('--workers <n>', 'worker threads (each takes its share of rate, in-flight and max ops)')
        .argParser(positiveInt('--workers'))
        .default(1),
    )
    .addOption(
      new Option(
        '--driver <name>',
        "resp: lean pipelined client; ioredis: ioredis auto-pipelined; tenant-cache: TenantCache as each tenant's ACL user",
      )
        .choices([...DRIVERS])
        .default('resp'),
    )
    .option('--duration <time>', `measured time, e.g. 30s (default: spec perf.durationSeconds, else ${PERF_DEFAULTS.durationSeconds}s)`)
    .option('--warmup <time>', `warm-up, not measured, e.g. 2s (default: spec perf.warmupSeconds, else ${PERF_DEFAULTS.warmupSeconds}s)`)
    .addOption(
      new Option('--max-ops <n>', 'bound on ops, warm-up included (default: open rate × time + 5%; closed 50M)').argParser(
        positiveInt('--max-ops'),
      ),
    )
    .addOption(
      new Option(
        '--max-inflight-per-conn <n>',
        `most ops in flight on one connection; due ops beyond it wait (their wait counts in their latency) and the run is reported saturated (default ${DEFAULT_MAX_INFLIGHT_PER_CONN})`,
      ).argParser(positiveInt('--max-inflight-per-conn')),
    )
    .addOption(
      new Option(
        '--spin-us <us>',
        `open loop (resp driver): the sender thread sleeps until this long before each op is due, then spins (default ${DEFAULT_PACING.spinUs}; 0 = sleep only)`,
      ).argParser(nonNegative),
    )
    .addOption(
      new Option(
        '--spin-budget <share>',
        `open loop (resp driver): spin at most this share of one core, then sleep only (default ${DEFAULT_PACING.spinBudget})`,
      ).argParser(share),
    )
    .addOption(
      new Option(
        '--batch-us <us>',
        `open loop (resp driver): wake at most once per this many µs; ops due meanwhile go out in one write, each with its own intended time (default ${DEFAULT_PACING.batchUs})`,
      ).argParser(nonNegative),
    )
    .option(
      '--no-settle',
      "do not wait for the target's BGSAVE / AOF rewrite to finish before measuring (forks in the window are still counted)",
    )
    .option('--json <file>', 'write the result document section (benches[]) as JSON')
    .option(
      '--compare-redis-benchmark',
      "also compare with redis-benchmark like for like (same connections per master and pipeline depth, value size, keys and duration; SET and GET; each side's CPU from the same run)",
    )
    .option(
      '--compare-memtier [path]',
      'also compare with memtier_benchmark (on PATH, or this binary; build it from its source: it is not a dependency)',
    )
    .addOption(
      new Option(
        '--compare-pipeline <n>',
        'comparison: requests in flight per connection, both sides (redis-benchmark -P, memtier --pipeline)',
      )
        .argParser(positiveInt('--compare-pipeline'))
        .default(17),
    )
    .option(
      '--compare-duration <time>',
      'comparison: time per op and side (redis-benchmark gets as many requests as ours completed)',
      '10s',
    )
    .addOption(
      new Option('--compare-keyspace <n>', 'comparison: distinct keys, drawn uniformly')
        .argParser(positiveInt('--compare-keyspace'))
        .default(100_000),
    )
    .addOption(
      new Option('--compare-value-bytes <n>', 'comparison: value size').argParser(positiveInt('--compare-value-bytes')).default(1024),
    )
    .addOption(
      new Option('--compare-rounds <n>', 'comparison: rounds, alternating who goes first; the median round is reported')
        .argParser(positiveInt('--compare-rounds'))
        .default(1),
    )
    .option(
      '--http',
      'HTTP edge: the reference API on 127.0.0.1 driven by autocannon (--driver tenant-cache for TenantCache, else raw ioredis)',
    )
    .addOption(
      new Option('--channel <channel>', '--http: the channel of the requests (its SLO judges the run)')
        .choices(['mobile', 'web'])
        .default('mobile'),
    )
    .addOption(
      new Option('--http-port <port>', '--http: port of the API on 127.0.0.1 (0: any free port)').argParser(nonNegative).default(0),
    )
    .option('--micro', 'tinybench micro-benchmarks of the key builder, placement, codec and RESP scanner (no cluster needed)')
    .action(async (o: BenchCliOptions) => benchCommand(o));
}
