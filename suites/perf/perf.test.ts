import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildWorkload,
  formatQuality,
  judgeAttempt,
  perfSettings,
  perfVerdict,
  openLoopMaxOps,
  readTopology,
  runBench,
  runHttpEdge,
  shouldRetry,
  sloBreaches,
  type AttemptVerdict,
  type BenchTopology,
  type ProfileName,
} from '../../src/bench/index.js';
import { assertLoadAllowed } from '../../src/cluster/index.js';
import { formatUs } from '../../src/format/index.js';
import { latencyRecord, type BenchResult } from '../../src/report/index.js';
import { openSuiteContext, type SuiteContext } from '../support/context.js';
import { expectNone } from '../support/expect-none.js';
import { recordFinding } from '../support/findings.js';
import { markInconclusive } from '../support/outcome.js';

let ctx: SuiteContext;
let topology: BenchTopology;
beforeAll(async () => {
  ctx = await openSuiteContext();
  assertLoadAllowed(ctx.target); // load goes to loopback clusters only, unless the operator opts in
  topology = await readTopology(ctx.target);
});
afterAll(async () => {
  await ctx?.close();
});

type Task = Parameters<typeof recordFinding>[0];

/** Findings of one run: a table per channel (SLO verdict) and the measurement's quality, then the whole result for the report. */
const VERDICT_WORDS: Record<AttemptVerdict, string> = {
  pass: 'SLO met',
  fail: 'SLO failed on a clean measurement',
  'disturbed-breach': 'SLO broken while the measurement was disturbed',
};

function recordBench(task: Task, r: BenchResult): void {
  const verdict = judgeAttempt(r);
  recordFinding(task, {
    severity: verdict === 'fail' ? 'error' : verdict === 'disturbed-breach' || r.quality?.disturbed ? 'warning' : 'info',
    title: [
      `${r.name}: ${VERDICT_WORDS[verdict]} — ${r.totals.completed} ops at ${r.totals.completed_rate} ops/s,`,
      `p99.9 ${formatUs(r.overall.p99_9_us)}`,
      `(service time from the send: p99.9 ${formatUs(Math.max(...r.service_time.map((s) => s.p99_9_us)))})`,
    ].join(' '),
    detail: [r.quality ? formatQuality(r.quality) : 'measurement quality unknown', ...r.warnings].join('\n'),
    data: r.channels.map((c) => {
      const s = r.slo.find((x) => x.channel === c.channel);
      return { channel: c.channel, ...latencyRecord(c), slo: s ? `${s.status} (${s.detail})` : '' };
    }),
  });
  // The gate lifts `data.bench` into the result document's `benches` section (see src/report/perf-schema.ts).
  recordFinding(task, { severity: 'info', title: `bench result: ${r.name}`, data: { bench: r } });
}

describe('perf: open-loop SLOs per channel', () => {
  for (const profile of ['mobile', 'web'] as const satisfies readonly ProfileName[]) {
    it(`${profile} profile, open loop at the spec's perf rate: p99 and p99.9 within slo.mobile / slo.web (a breach on a disturbed machine is measured again, then inconclusive)`, async ({
      task,
    }) => {
      const p = perfSettings(ctx.spec);
      const durationMs = p.durationSeconds * 1000;
      const warmupMs = p.warmupSeconds * 1000;
      const attempts: BenchResult[] = [];
      do {
        const r = await runBench({
          spec: ctx.spec,
          target: ctx.target,
          topology,
          workload: buildWorkload(ctx.spec, profile),
          name: `${profile} open loop${attempts.length ? ` (attempt ${attempts.length + 1}: the previous one broke the SLO while disturbed)` : ''}`,
          mode: 'open',
          rate: p.rate,
          inflight: 1,
          connections: 1,
          workers: 1,
          driver: 'resp',
          durationMs,
          warmupMs,
          maxOps: openLoopMaxOps(p.rate, durationMs, warmupMs),
          drainTimeoutMs: 5000,
        });
        attempts.push(r);
        recordBench(task, r);
      } while (shouldRetry(attempts, p.retries));
      const last = attempts.at(-1) as BenchResult;
      const verdict = perfVerdict(attempts);
      if (verdict === 'inconclusive') {
        markInconclusive(
          task,
          `SLO broken in ${attempts.length} attempt(s), each on a disturbed machine (${last.quality?.reasons.join('; ') ?? 'quality unknown'}): ${sloBreaches(last).join('; ')}`,
        );
        return;
      }
      expect(last.totals.completed, 'ops answered').toBeGreaterThan(0);
      expect(last.totals.errors, `errors: ${JSON.stringify(last.errors_by_message)}`).toBe(0);
      expectNone(sloBreaches(last), 'SLO violation(s) on a clean measurement', (x) => x);
    });
  }
});

describe("perf: HTTP edge (the phone's view)", () => {
  it('mobile requests through the reference API, driven by autocannon: no failed request; SLO recorded', async ({ task }) => {
    const p = perfSettings(ctx.spec);
    const r = await runHttpEdge({
      spec: ctx.spec,
      target: ctx.target,
      workload: buildWorkload(ctx.spec, 'mobile'),
      backend: 'raw',
      channel: 'mobile',
      connections: 10,
      durationMs: Math.min(p.durationSeconds, 5) * 1000,
      warmupMs: 0,
      rate: p.rate,
      port: 0,
    });
    const a = r.http?.autocannon;
    const slo = r.slo.find((s) => s.channel === 'mobile');
    recordFinding(task, {
      // autocannon is a closed loop with whole-ms latencies: its SLO verdict informs; the open-loop checks above gate.
      severity: r.totals.errors > 0 ? 'error' : slo?.status === 'fail' ? 'warning' : 'info',
      title: `HTTP edge: ${Math.round(a?.requests_per_s ?? 0)} req/s; autocannon p99 ${a?.latency_ms.p99} ms, p99.9 ${a?.latency_ms.p99_9} ms (mobile SLO ${slo?.status ?? '?'}); server p99 ${formatUs(r.overall.p99_us)}`,
      detail: r.warnings.join('\n'),
      data: r.http?.server.map((s) => ({ route: s.route, channel: s.channel, ...latencyRecord(s) })) ?? [],
    });
    recordFinding(task, { severity: 'info', title: `bench result: ${r.name}`, data: { bench: r } });
    expect(a?.requests_total ?? 0, 'requests answered').toBeGreaterThan(0);
    expect(r.totals.errors, `failed requests: ${JSON.stringify(r.errors_by_message)}`).toBe(0);
  });
});
