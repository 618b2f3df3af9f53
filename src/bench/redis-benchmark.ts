import { requireBinary, type NodeAddress } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import { redactArgs } from './peers/memtier.js';
import type { PeerCredentials } from './peers/peer-user.js';
import type { PeerRun, PeerStructure } from './peers/peer.js';
import { runMeasured } from './peers/process-cpu.js';

/** One line of `redis-benchmark --csv`. */
export interface RedisBenchmarkRow {
  test: string;
  rps: number;
  avg_ms: number;
  min_ms: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** One redis-benchmark run: which cluster, as whom, shaped how, one op, how many requests. */
export interface RedisBenchmarkRun {
  seed: NodeAddress;
  credentials: PeerCredentials;
  structure: PeerStructure;
  op: 'set' | 'get';
  requests: number;
}

/**
 * `redis-benchmark --cluster -t <op> -c <masters × connections> -P <pipeline> -n <requests> -d <bytes> -r <keys per master> --csv`.
 * In cluster mode it spreads its clients over the masters (client i → master i mod n), each writing
 * `key:{<tag of its master>}:<12 digits>` with the random part below -r: -r is per master, so the
 * keyspace is divided by the masters to draw from the same number of distinct keys in all.
 */
export function redisBenchmarkArgs(run: RedisBenchmarkRun): string[] {
  const { seed, credentials: c, structure: s, op, requests } = run;
  return [
    '-h',
    seed.host,
    '-p',
    String(seed.port),
    '--user',
    c.username,
    '-a',
    c.password,
    '--cluster',
    '-t',
    op,
    '-c',
    String(s.masters * s.connectionsPerMaster),
    '-P',
    String(s.pipeline),
    '-n',
    String(requests),
    '-d',
    String(s.valueBytes),
    '-r',
    String(Math.max(1, Math.ceil(s.keyspace / s.masters))),
    '--csv',
  ];
}

/** Run redis-benchmark for one op (bounded by `timeoutMs`) and read its CSV and its CPU. */
export async function runRedisBenchmark(run: RedisBenchmarkRun, timeoutMs: number, signal?: AbortSignal): Promise<PeerRun> {
  const { op, requests, credentials: c } = run;
  const args = redisBenchmarkArgs(run);
  const p = await runMeasured(requireBinary('redis-benchmark'), args, timeoutMs, signal);
  const row = parseRedisBenchmarkCsv(p.stdout).find((r) => r.test === op);
  if (!row) {
    const why = p.stderr
      .split('\n')
      .filter((l) => l && !l.startsWith('Warning: Using a password'))
      .slice(0, 3)
      .join(' / ');
    throw new HarnessError(`redis-benchmark ${op} failed (exit ${p.code})${why ? `: ${why}` : ''}`);
  }
  return {
    tool: 'redis-benchmark',
    op,
    opsPerSec: row.rps,
    count: requests,
    p50Us: row.p50_ms * 1000,
    p99Us: row.p99_ms * 1000,
    cpuMs: p.cpuMs,
    wallMs: p.wallMs,
    cpuUsPerOp: requests > 0 ? (p.cpuMs * 1000) / requests : 0,
    command: redactArgs('redis-benchmark', args, c),
  };
}

/** Parse `--csv` output: a header line then one quoted line per test; other lines (cluster banner) are skipped. */
export function parseRedisBenchmarkCsv(text: string): RedisBenchmarkRow[] {
  const rows: RedisBenchmarkRow[] = [];
  for (const line of text.split('\n')) {
    const cells = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
    if (cells.length < 8 || cells[0] === 'test') continue;
    const n = cells.slice(1, 8).map(Number);
    if (n.some((x) => !Number.isFinite(x))) continue;
    const [rps, avg, min, p50, p95, p99, max] = n as [number, number, number, number, number, number, number];
    rows.push({ test: (cells[0] ?? '').toLowerCase(), rps, avg_ms: avg, min_ms: min, p50_ms: p50, p95_ms: p95, p99_ms: p99, max_ms: max });
  }
  return rows;
}

/** redis-benchmark's cluster keys: `key:{<tag>}:<12 digits>`. */
export const REDIS_BENCHMARK_KEY_PATTERN = 'key:{*}:????????????';
export const isRedisBenchmarkKey = (k: string): boolean => /^key:\{.*\}:\d{12}$/s.test(k);
