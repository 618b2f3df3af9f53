import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildWorkload,
  compareWithPeers,
  readTopology,
  REDIS_BENCHMARK_KEY_PATTERN,
  runBench,
  runHttpEdge,
  type BenchTopology,
} from '../../src/bench/index.js';
import { closeNode, connectNode, findFreePortBase, resolveTarget, targetCredentials } from '../../src/cluster/index.js';
import { HarnessError } from '../../src/errors.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { benchResultSchema, LATENCY_COLUMNS, renderBenchSection, type BenchResult } from '../../src/report/index.js';
import { runProgram } from '../support/cli.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

let tc: TestCluster;
let topology: BenchTopology;
const log = (line: string) => console.log(`[bench] ${line}`);

/** Keys on all masters (the bench cleans up after itself: back to what was there). */
async function dbsize(): Promise<number> {
  let n = 0;
  for (const m of topology.masters) {
    const c = await connectNode(m, targetCredentials(tc.target));
    n += await c.dbsize();
    await closeNode(c);
  }
  return n;
}

function brief(r: BenchResult): string {
  return `${r.name}: ${r.totals.completed} ops, ${r.totals.completed_rate} ops/s, p50 ${r.overall.p50_us} µs, p99 ${r.overall.p99_us} µs, p99.9 ${r.overall.p99_9_us} µs, max ${r.overall.max_us} µs, CPU ${r.generator.cpu_percent}% (${r.generator.cpu_us_per_op} µs/op)`;
}

beforeAll(async () => {
  tc = await startTestCluster(1);
  topology = await readTopology(tc.target);
});
afterAll(async () => {
  await tc?.stop();
});

describe('bench against a live 6-node cluster', () => {
  it('open loop (lean RESP driver): every intended op is sent and answered, per channel and per second, keys cleaned up', async () => {
    const before = await dbsize();
    const w = buildWorkload(tc.spec, 'mobile');
    const r = await runBench({
      spec: tc.spec,
      target: tc.target,
      topology,
      workload: w,
      mode: 'open',
      rate: 1000,
      inflight: 1,
      connections: 1,
      workers: 1,
      driver: 'resp',
      durationMs: 1500,
      warmupMs: 300,
      maxOps: 10_000,
      log,
    });
    log(brief(r));
    expect(() => benchResultSchema.parse(r)).not.toThrow();
    expect(r.totals.issued).toBe(1500);
    expect(r.totals.completed).toBe(1500);
    expect(r.totals).toMatchObject({ errors: 0, timeouts: 0, misses: 0 });
    expect(r.overall.count).toBe(1500);
    expect(r.channels.find((c) => c.channel === 'mobile')?.count).toBeGreaterThan(r.channels.find((c) => c.channel === 'web')?.count ?? 0);
    expect(r.groups.length).toBeGreaterThan(10);
    expect(new Set(r.groups.map((g) => g.plan))).toEqual(new Set(['basic', 'pro', 'enterprise']));
    expect(r.per_second.filter((p) => p.channel === 'all').map((p) => p.second)).toEqual([0, 1]);
    expect(r.slo.map((s) => s.channel)).toEqual(['mobile', 'web']);
    expect(r.schedule?.expected_gap_us).toBe(1000);
    // Sent by the sender thread: every op's send lag and service time recorded, nothing held back at 1000 ops/s.
    expect(r.generator.pacing?.sender_thread).toBe(true);
    expect(r.schedule?.send_lag.count).toBe(1500);
    expect(r.schedule).toMatchObject({ deferred: 0, unsent: 0, max_inflight_per_conn: 4096 });
    expect(r.service_time.reduce((a, c) => a + c.count, 0)).toBe(1500);
    expect(r.saturation.saturated).toBe(false);
    // The split adds up: latency from the intended time ≥ service time from the send, for the same ops.
    expect(r.overall.p50_us).toBeGreaterThanOrEqual(Math.min(...r.service_time.map((c) => c.p50_us)));
    // Quality: the machine and the target were read around the run; the target is on this machine.
    expect(r.quality?.target_cpu_percent).not.toBeNull();
    expect(r.quality?.window_ms).toBeGreaterThan(1500);
    expect(r.generator.threads?.sender_ms).not.toBeNull();
    expect(await dbsize()).toBe(before);
  });

  it('closed loop (ioredis driver): N in flight as fast as possible, bounded by max ops', async () => {
    const r = await runBench({
      spec: tc.spec,
      target: tc.target,
      topology,
      workload: buildWorkload(tc.spec, 'web'),
      mode: 'closed',
      rate: 0,
      inflight: 16,
      connections: 1,
      workers: 1,
      driver: 'ioredis',
      durationMs: 5000,
      warmupMs: 200,
      maxOps: 20_000,
      log,
    });
    log(brief(r));
    expect(r.mode).toBe('closed');
    expect(r.totals.errors).toBe(0);
    expect(r.totals.completed).toBeGreaterThan(1000);
    expect(r.totals.completed).toBeLessThanOrEqual(20_000);
    expect(r.warnings.join('\n')).toMatch(/coordinated omission/);
    expect(r.channels.find((c) => c.channel === 'web')?.count).toBeGreaterThan(r.channels.find((c) => c.channel === 'mobile')?.count ?? 0);
  });

  it('tenant-cache driver: provisions bench tenants with ACL users, runs through TenantCache, removes them', async () => {
    const before = await dbsize();
    const w = buildWorkload(tc.spec, 'mobile', {
      tenants: { count: 4, plans: { basic: 1, pro: 1, enterprise: 2 } },
      keys: { perTenantModule: 50 },
    });
    const r = await runBench({
      spec: tc.spec,
      target: tc.target,
      topology,
      workload: w,
      mode: 'open',
      rate: 300,
      inflight: 1,
      connections: 1,
      workers: 1,
      driver: 'tenant-cache',
      durationMs: 1000,
      warmupMs: 300,
      maxOps: 5000,
      log,
    });
    log(brief(r));
    expect(r.driver).toBe('tenant-cache');
    expect(r.totals.issued).toBe(300);
    expect(r.totals).toMatchObject({ completed: 300, errors: 0, timeouts: 0, misses: 0 });
    expect(await dbsize()).toBe(before);
    const c = await connectNode(topology.masters[0] ?? { host: '127.0.0.1', port: 0 }, targetCredentials(tc.target));
    const users = (await c.call('ACL', 'USERS')) as string[];
    await closeNode(c);
    expect(users.filter((u) => u.startsWith('tenant-bench-'))).toEqual([]);
  });

  it("--workers 2 (compiled worker threads): both workers' histograms merge into one result", () => {
    // Worker threads run compiled JS: the build in dist/ that `npm test` (scripts/setup.sh) and the bin use.
    const dist = join(PROJECT_ROOT, 'dist');
    expect(existsSync(join(dist, 'bench', 'worker.js')), 'dist/ is built (npm run build)').toBe(true);
    const script = `
      const { runBench, buildWorkload } = await import(${JSON.stringify(join(dist, 'bench', 'index.js'))});
      const { loadSpec } = await import(${JSON.stringify(join(dist, 'spec', 'index.js'))});
      const spec = loadSpec(${JSON.stringify(join(PROJECT_ROOT, 'fixtures', 'kryonix.spec.yaml'))});
      const r = await runBench({ spec, target: JSON.parse(process.env.BENCH_TARGET), workload: buildWorkload(spec, 'mobile'), mode: 'closed', rate: 0,
        inflight: 20, connections: 1, workers: 2, driver: 'resp', durationMs: 1000, warmupMs: 200, maxOps: 200000 });
      process.stdout.write(JSON.stringify(r));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, BENCH_TARGET: JSON.stringify(tc.target) },
      encoding: 'utf8',
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const r = benchResultSchema.parse(JSON.parse(out));
    log(brief(r));
    expect(r.config.workers).toBe(2);
    expect(r.totals.errors).toBe(0);
    expect(r.totals.completed).toBeGreaterThan(1000);
    expect(r.overall.count).toBe(r.groups.reduce((n, g) => n + g.count, 0));
  });

  it('HTTP edge: the reference API driven by autocannon, with our server-side µs histogram', async () => {
    // this file's share of the HTTP range: base+110..base+139 (metrics and quota use base..base+109)
    const httpBase = Number(process.env.CACHE_HARNESS_HTTP_PORT_BASE ?? 9190) + 110;
    const port = await findFreePortBase(httpBase, 1, '127.0.0.1', 1);
    expect(port).toBeLessThan(httpBase + 30);
    const before = await dbsize();
    const r = await runHttpEdge({
      spec: tc.spec,
      target: tc.target,
      workload: buildWorkload(tc.spec, 'mobile'),
      backend: 'raw',
      channel: 'mobile',
      connections: 4,
      durationMs: 1000,
      warmupMs: 0,
      rate: 0,
      port,
      log,
    });
    const a = r.http?.autocannon;
    log(
      `HTTP edge: ${Math.round(a?.requests_per_s ?? 0)} req/s, autocannon p50 ${a?.latency_ms.p50} ms p99 ${a?.latency_ms.p99} ms; server p50 ${r.overall.p50_us} µs p99 ${r.overall.p99_us} µs`,
    );
    expect(() => benchResultSchema.parse(r)).not.toThrow();
    expect(r.kind).toBe('http');
    expect(a?.requests_total).toBeGreaterThan(100);
    expect(r.totals.errors).toBe(0);
    expect(Object.keys(a?.status_codes ?? {}).sort()).toEqual(['200', '204']);
    expect(r.http?.server.map((s) => s.route).sort()).toEqual(['GET', 'PUT']);
    // The server saw every request autocannon completed (and perhaps a few it cut off at the end).
    expect(r.overall.count).toBeGreaterThanOrEqual(a?.requests_total ?? 0);
    expect(r.slo.find((s) => s.channel === 'web')?.status).toBe('no-data');
    expect(await dbsize()).toBe(before);
  });

  it("HTTP edge over TenantCache: answers as each tenant's ACL user", async () => {
    const w = buildWorkload(tc.spec, 'mobile', { tenants: { count: 3 }, keys: { perTenantModule: 20 } });
    const r = await runHttpEdge({
      spec: tc.spec,
      target: tc.target,
      workload: w,
      backend: 'tenant-cache',
      channel: 'mobile',
      connections: 2,
      durationMs: 1000,
      warmupMs: 0,
      rate: 200,
      port: 0,
      log,
    });
    log(`HTTP edge (tenant-cache): ${r.http?.autocannon.requests_total} requests, server p99 ${r.overall.p99_us} µs`);
    expect(r.totals.errors).toBe(0);
    expect(r.http?.autocannon.requests_total).toBeGreaterThan(50);
  });

  it('compares with redis-benchmark like for like, as a throwaway ACL user, and removes its keys and the user', async () => {
    const before = await dbsize();
    const comparison = await compareWithPeers({
      spec: tc.spec,
      target: tc.target,
      topology,
      workload: buildWorkload(tc.spec, 'mobile'),
      driver: 'resp',
      tools: ['redis-benchmark'],
      connectionsPerMaster: 1,
      pipeline: 4,
      valueBytes: 256,
      keyspace: 1000,
      durationMs: 1000,
      rounds: 1,
      log,
    });
    log(
      `comparison: ${comparison.rows.map((x) => `${x.op} ours ${x.ours.ops_per_s} vs ${x.tool} ${x.theirs.ops_per_s} = ${x.throughput_ratio}×, CPU/op ${x.cpu_per_op_ratio}×`).join('; ')}`,
    );
    expect(comparison.structure).toMatchObject({
      masters: 3,
      connections_per_master: 1,
      pipeline: 4,
      inflight_total: 12,
      value_bytes: 256,
      keyspace: 1000,
    });
    expect(comparison.rows.map((x) => x.op)).toEqual(['set', 'get']);
    for (const row of comparison.rows) {
      expect(row.ours.ops_per_s).toBeGreaterThan(0);
      expect(row.theirs.ops_per_s).toBeGreaterThan(0);
      expect(row.theirs.cpu_ms).toBeGreaterThan(0);
      expect(row.throughput_ratio).toBeGreaterThan(0);
      // redis-benchmark got as many requests as ours completed in the same round.
      expect(row.theirs.count).toBe(row.ours.count);
      expect(row.theirs.command).toContain('-c 3 -P 4');
      expect(row.theirs.command).not.toContain(tc.run.password);
      expect(row.theirs.command).toMatch(/--user cache-harness-peer-[0-9a-f]{8} -a \*\*\*/);
    }
    expect(comparison.sides.ours).toMatch(/12 requests in flight/);
    expect(await dbsize()).toBe(before);
    expect(REDIS_BENCHMARK_KEY_PATTERN).toBe('key:{*}:????????????');
    const c = await connectNode(topology.masters[0] ?? { host: '127.0.0.1', port: 0 }, targetCredentials(tc.target));
    const users = (await c.call('ACL', 'USERS')) as string[];
    await closeNode(c);
    expect(users.filter((u) => u.startsWith('cache-harness-peer-'))).toEqual([]);
  });

  it('Ctrl-C during a comparison: the peer tool stops, its keys, ours and the throwaway ACL user go, exit 130', async () => {
    const before = await dbsize();
    const child = spawn(
      process.execPath,
      [
        join(PROJECT_ROOT, 'bin', 'cache-harness.js'),
        'bench',
        '--port-base',
        String(tc.portBase),
        '--mode',
        'closed',
        '--duration',
        '1s',
        '--compare-redis-benchmark',
        '--compare-duration',
        '4s',
        '--compare-keyspace',
        '5000',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Our SET run is done: redis-benchmark is starting (or running) with the throwaway user.
      if (!sent && /ours set: /.test(stderr)) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 300);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    log(stderr.split('\n').slice(-4).join('\n'));
    expect(sent).toBe(true);
    expect(code).toBe(130);
    expect(stderr).toMatch(/removed the comparison's \d+ key\(s\) and its ACL user/);
    expect(stderr).not.toMatch(/cache-harness: /);
    expect(await dbsize()).toBe(before);
    for (const m of topology.masters) {
      const c = await connectNode(m, targetCredentials(tc.target));
      const users = (await c.call('ACL', 'USERS')) as string[];
      await closeNode(c);
      expect(users.filter((u) => u.startsWith('cache-harness-peer-'))).toEqual([]);
    }
    const left = spawnSync('pgrep', ['-f', 'redis-benchmark .*--user cache-harness-peer-'], { encoding: 'utf8' });
    expect(left.stdout.trim()).toBe('');
  });

  it('`bench` command: prints per channel, writes JSON; without a cluster it says to run `cache-harness up`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
    const json = join(dir, 'out.json');
    // The real program parses the options (defaults included), as `cache-harness bench ...` would.
    const r = await runProgram([
      'bench',
      '--port-base',
      String(tc.portBase),
      '--profile',
      'web',
      '--rate',
      '500',
      '--duration',
      '1s',
      '--warmup',
      '200ms',
      '--json',
      json,
    ]);
    expect(r.error, r.stderr).toBeUndefined();
    const text = r.stdout;
    log(`\n${text}`);
    expect(text).toMatch(/^mobile\s+\d+\s/m);
    expect(text).toMatch(/^web\s+\d+\s/m);
    // The header names every summary percentile, in order (whatever PERCENTILES holds).
    expect(
      text.split('\n').some(
        (line) =>
          line
            .trim()
            .split(/\s+/)
            .slice(1, 1 + LATENCY_COLUMNS.length)
            .join(' ') === LATENCY_COLUMNS.join(' '),
      ),
    ).toBe(true);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as { schema: string; benches: unknown[] };
    expect(doc.schema).toBe('cache-harness.bench');
    const bench = benchResultSchema.parse(doc.benches[0]);
    // The HTML report renders from the written document alone: tables and both charts.
    const html = renderBenchSection([bench]);
    expect(html).toContain(`<th>channel</th>${LATENCY_COLUMNS.map((c) => `<th>${c}</th>`).join('')}`);
    expect(html.match(/<img [^>]*src="data:image\/png;base64,/g)).toHaveLength(2);
    rmSync(dir, { recursive: true, force: true });

    const err = (() => {
      try {
        resolveTarget({ portBase: 55_001 }, { load: true });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).hint).toMatch(/cache-harness up --port-base 55001/);
  });
});
