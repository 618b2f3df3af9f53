import { execFile } from 'node:child_process';
import { requireBinary, closeNode, connectNode, targetCredentials, type Target } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import type { BenchTopology } from './topology.js';

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

export interface RedisBenchmarkOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tests: ReadonlyArray<'set' | 'get'>;
  /** Clients (-c): each has one request in flight. */
  clients: number;
  requests: number;
  valueBytes: number;
  keyspace: number;
}

/** `redis-benchmark --cluster -t set,get -c <clients> -n <requests> -d <bytes> -r <keyspace> --csv` (+ -a / --user). */
export function redisBenchmarkArgs(o: RedisBenchmarkOptions): string[] {
  return [
    '-h', o.host, '-p', String(o.port),
    ...(o.password ? ['-a', o.password] : []),
    ...(o.username && o.password ? ['--user', o.username] : []),
    '--cluster', '-t', o.tests.join(','), '-c', String(o.clients), '-n', String(o.requests),
    '-d', String(o.valueBytes), '-r', String(o.keyspace), '--csv',
  ];
}

/** The command line for a report, password hidden. */
export function redactedCommand(args: readonly string[]): string {
  return ['redis-benchmark', ...args.map((a, i) => (args[i - 1] === '-a' ? '***' : a))].join(' ');
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

/** Run redis-benchmark (bounded by `timeoutMs`) and parse its CSV. */
export function runRedisBenchmark(o: RedisBenchmarkOptions, timeoutMs: number): Promise<RedisBenchmarkRow[]> {
  const bin = requireBinary('redis-benchmark');
  const args = redisBenchmarkArgs(o);
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const rows = parseRedisBenchmarkCsv(stdout);
      if (err && rows.length === 0) {
        const why = String(stderr).split('\n').filter((l) => l && !l.startsWith('Warning: Using a password')).slice(0, 3).join(' / ');
        reject(new HarnessError(`redis-benchmark failed: ${err.killed ? `killed after ${timeoutMs} ms` : err.message.split('\n')[0]}${why ? ` (${why})` : ''}`));
        return;
      }
      resolve(rows);
    });
  });
}

/** redis-benchmark's cluster keys: `key:{<tag>}:<12 digits>`. */
export const REDIS_BENCHMARK_KEY_PATTERN = 'key:{*}:????????????';

/** Remove the keys redis-benchmark wrote (they have no TTL), SCANning every master. Returns how many. */
export async function removeRedisBenchmarkKeys(target: Target, topology: BenchTopology): Promise<number> {
  let removed = 0;
  for (const m of topology.masters) {
    const c = await connectNode(m, targetCredentials(target));
    try {
      let cursor = '0';
      do {
        const [next, keys] = (await c.scan(cursor, 'MATCH', REDIS_BENCHMARK_KEY_PATTERN, 'COUNT', 1000)) as [string, string[]];
        cursor = next;
        const ours = keys.filter((k) => /^key:\{.*\}:\d{12}$/s.test(k));
        if (ours.length) removed += await unlinkEach(c, ours);
      } while (cursor !== '0');
    } finally {
      await closeNode(c);
    }
  }
  return removed;
}

async function unlinkEach(c: Awaited<ReturnType<typeof connectNode>>, keys: string[]): Promise<number> {
  // Keys of one node may sit in different slots: one UNLINK per key (pipelined).
  const p = c.pipeline();
  for (const k of keys) p.unlink(k);
  const res = (await p.exec()) ?? [];
  return res.reduce((a, [, n]) => a + (typeof n === 'number' ? n : 0), 0);
}
