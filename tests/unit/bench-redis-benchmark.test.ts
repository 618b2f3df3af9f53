import { describe, expect, it } from 'vitest';
import {
  memtierArgs,
  parseDuration,
  parseRedisBenchmarkCsv,
  perfSettings,
  redisBenchmarkArgs,
  split,
  type PeerStructure,
} from '../../src/bench/index.js';
import { redactArgs } from '../../src/bench/peers/memtier.js';
import { loadSpec, parseSpec } from '../../src/spec/index.js';

// Captured from redis-benchmark 7.0.15 --cluster --csv on this machine (cluster banner on stdout first).
const OUTPUT = `Cluster has 3 master nodes:

Master 0: e3993a9027e5a132827814d9f0e22c8e759f1d0e 127.0.0.1:8001
Master 1: cacc327bd12cdef029e3aae5be2b8641e3efc9dd 127.0.0.1:8000
Master 2: 1930bd4155f5ec740da0e3774882fca67443c567 127.0.0.1:8002

"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","61330.88","0.561","0.048","0.463","1.111","2.751","16.527"
"GET","88731.15","0.352","0.032","0.247","0.967","1.783","27.519"
`;

describe('redis-benchmark', () => {
  it('parses --csv output, skipping the cluster banner and the header', () => {
    expect(parseRedisBenchmarkCsv(OUTPUT)).toEqual([
      { test: 'set', rps: 61330.88, avg_ms: 0.561, min_ms: 0.048, p50_ms: 0.463, p95_ms: 1.111, p99_ms: 2.751, max_ms: 16.527 },
      { test: 'get', rps: 88731.15, avg_ms: 0.352, min_ms: 0.032, p50_ms: 0.247, p95_ms: 0.967, p99_ms: 1.783, max_ms: 27.519 },
    ]);
    expect(parseRedisBenchmarkCsv('garbage\n"SET","x","1","1","1","1","1","1"\n')).toEqual([]);
  });

  it('builds like-for-like commands: connections per master and pipeline depth, value size, keys, duration; the throwaway password is redacted', () => {
    const st: PeerStructure = { masters: 3, connectionsPerMaster: 1, pipeline: 17, valueBytes: 512, keyspace: 100_000, durationS: 10 };
    const creds = { username: 'cache-harness-peer-1', password: 's3cret' };
    const rb = redisBenchmarkArgs({
      seed: { host: '127.0.0.1', port: 7001 },
      credentials: creds,
      structure: st,
      op: 'set',
      requests: 5000,
    });
    // -c spreads over the masters (one connection each), -P is the depth on each, -r is per master.
    expect(rb).toEqual([
      '-h',
      '127.0.0.1',
      '-p',
      '7001',
      '--user',
      'cache-harness-peer-1',
      '-a',
      's3cret',
      '--cluster',
      '-t',
      'set',
      '-c',
      '3',
      '-P',
      '17',
      '-n',
      '5000',
      '-d',
      '512',
      '-r',
      '33334',
      '--csv',
    ]);
    const mt = memtierArgs('127.0.0.1', 7001, creds, st, 'get', '/tmp/x.json');
    expect(mt).toEqual(
      expect.arrayContaining([
        '--cluster-mode',
        '-t',
        '1',
        '-c',
        '1',
        '--pipeline=17',
        '--ratio=0:1',
        '-d',
        '512',
        '--key-minimum=1',
        '--key-maximum=100000',
        '--key-pattern=R:R',
        '--test-time=10',
      ]),
    );
    for (const shown of [redactArgs('redis-benchmark', rb, creds), redactArgs('memtier_benchmark', mt, creds)]) {
      expect(shown).not.toContain('s3cret');
      expect(shown).toContain('***');
    }
  });
});

describe('settings', () => {
  it('parses durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1.5')).toBe(1500);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });

  it('perf settings: defaults when the spec has no perf section, and the disturbance thresholds and retries with them', () => {
    const { perf: _perf, ...rest } = loadSpec();
    expect(perfSettings(parseSpec(rest, 'no perf'))).toEqual({
      rate: 2000,
      durationSeconds: 5,
      warmupSeconds: 1,
      retries: 2,
      disturbance: { otherCpuPercent: 25, stealPercent: 5, forks: 0, sendLagP99Ms: 1 },
    });
  });

  it("perf settings come from spec.perf, defaults filling the rest; a bad value is the spec's error", () => {
    const spec = loadSpec();
    const withPerf = parseSpec({ ...spec, perf: { rate: 500, durationSeconds: 2, disturbance: { forks: 1 } } }, 'perf');
    expect(perfSettings(withPerf)).toMatchObject({
      rate: 500,
      durationSeconds: 2,
      warmupSeconds: 1,
      retries: 2,
      disturbance: { forks: 1, otherCpuPercent: 25 },
    });
    expect(() => parseSpec({ ...spec, perf: { rate: -1 } }, 'bad perf')).toThrow(/perf\.rate/);
    expect(() => parseSpec({ ...spec, perf: { retries: 99 } }, 'bad perf')).toThrow(/perf\.retries/);
  });

  it('split spreads a total over workers', () => {
    expect(split(50, 3)).toEqual([17, 17, 16]);
    expect(split(2, 4)).toEqual([1, 1, 0, 0]);
  });
});
