import { describe, expect, it } from 'vitest';
import { parseDuration, parseRedisBenchmarkCsv, perfSettings, redactedCommand, redisBenchmarkArgs, split } from '../../src/bench/index.js';
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

  it('builds the command with the same in-flight, value size, requests and keys; the password is redacted for reports', () => {
    const args = redisBenchmarkArgs({ host: '127.0.0.1', port: 7001, username: 'admin', password: 's3cret', tests: ['set', 'get'], clients: 48, requests: 1000, valueBytes: 512, keyspace: 100 });
    expect(args).toEqual(['-h', '127.0.0.1', '-p', '7001', '-a', 's3cret', '--user', 'admin', '--cluster', '-t', 'set,get', '-c', '48', '-n', '1000', '-d', '512', '-r', '100', '--csv']);
    const shown = redactedCommand(args);
    expect(shown).not.toContain('s3cret');
    expect(shown).toContain('-a *** --user admin --cluster -t set,get -c 48');
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

  it('perf settings default when the spec has no perf section', () => {
    expect(perfSettings(loadSpec())).toEqual({ rate: 2000, durationSeconds: 5, warmupSeconds: 1 });
  });

  it('perf settings come from spec.perf once the schema carries it', () => {
    const spec = loadSpec();
    const withPerf = { ...spec, perf: { rate: 500, durationSeconds: 2 } } as unknown as Parameters<typeof perfSettings>[0];
    expect(perfSettings(withPerf)).toEqual({ rate: 500, durationSeconds: 2, warmupSeconds: 1 });
    expect(() => perfSettings({ ...spec, perf: { rate: -1 } } as unknown as Parameters<typeof perfSettings>[0])).toThrow();
    expect(parseSpec).toBeTypeOf('function');
  });

  it('split spreads a total over workers', () => {
    expect(split(50, 3)).toEqual([17, 17, 16]);
    expect(split(2, 4)).toEqual([1, 1, 0, 0]);
  });
});
