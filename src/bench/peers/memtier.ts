import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarnessError } from '../../errors.js';
import type { PeerCredentials } from './peer-user.js';
import { runMeasured } from './process-cpu.js';
import type { PeerRun, PeerStructure } from './peer.js';

export const MEMTIER_KEY_PREFIX = 'cache-harness-memtier:';

/** The memtier_benchmark binary: the given path, else memtier_benchmark on PATH. Not a dependency: measurement only. */
export function findMemtier(path?: string): string {
  const bin = path && path !== 'true' ? path : 'memtier_benchmark';
  try {
    execFileSync(bin, ['--version'], { stdio: 'ignore', timeout: 5000 });
    return bin;
  } catch {
    throw new HarnessError(
      `memtier_benchmark not found (${bin})`,
      'it is not a Debian package: build it from its public source (github.com/RedisLabs/memtier_benchmark: autoreconf -ivf && ./configure && make) and pass --compare-memtier /path/to/memtier_benchmark',
    );
  }
}

/** One op for `durationS`, `connections` connection(s) per shard with `pipeline` requests in flight on each. */
export function memtierArgs(
  host: string,
  port: number,
  c: PeerCredentials,
  s: PeerStructure,
  op: 'set' | 'get',
  jsonOut: string,
): string[] {
  return [
    '-s',
    host,
    '-p',
    String(port),
    '-a',
    `${c.username}:${c.password}`,
    '--cluster-mode',
    '-t',
    '1',
    '-c',
    String(s.connectionsPerMaster),
    `--pipeline=${s.pipeline}`,
    `--ratio=${op === 'set' ? '1:0' : '0:1'}`,
    '-d',
    String(s.valueBytes),
    '--key-minimum=1',
    `--key-maximum=${s.keyspace}`,
    '--key-pattern=R:R',
    `--key-prefix=${MEMTIER_KEY_PREFIX}`,
    `--test-time=${s.durationS}`,
    '--hide-histogram',
    `--json-out-file=${jsonOut}`,
  ];
}

/** Run memtier for one op and read its JSON: throughput, p50/p99 (ms in its file), and its CPU from /proc. */
export async function runMemtier(
  bin: string,
  host: string,
  port: number,
  c: PeerCredentials,
  s: PeerStructure,
  op: 'set' | 'get',
  signal?: AbortSignal,
): Promise<PeerRun> {
  const dir = mkdtempSync(join(tmpdir(), 'cache-harness-memtier-'));
  const out = join(dir, 'memtier.json');
  try {
    const args = memtierArgs(host, port, c, s, op, out);
    const p = await runMeasured(bin, args, (s.durationS + 60) * 1000, signal);
    if (p.code !== 0)
      throw new HarnessError(`memtier_benchmark exited with code ${p.code}: ${p.stderr.split('\n').filter(Boolean).slice(-3).join(' / ')}`);
    const totals = (JSON.parse(readFileSync(out, 'utf8')) as { 'ALL STATS': { Totals: Record<string, unknown> } })['ALL STATS'].Totals;
    const pct = (totals['Percentile Latencies'] ?? {}) as Record<string, number>;
    const count = Number(totals.Count ?? 0);
    return {
      tool: 'memtier',
      op,
      opsPerSec: Number(totals['Ops/sec'] ?? 0),
      count,
      p50Us: (pct['p50.00'] ?? 0) * 1000,
      p99Us: (pct['p99.00'] ?? 0) * 1000,
      cpuMs: p.cpuMs,
      wallMs: p.wallMs,
      cpuUsPerOp: count > 0 ? (p.cpuMs * 1000) / count : 0,
      command: redactArgs('memtier_benchmark', args, c),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A command line for reports: the throwaway password replaced by ***. */
export function redactArgs(name: string, args: readonly string[], c: PeerCredentials): string {
  return [name, ...args.map((a) => a.split(c.password).join('***'))].join(' ');
}
