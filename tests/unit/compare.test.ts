import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsHistogram } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { decodeHistogram, encodeHistogram, seriesHistogram } from '../../src/bench/histograms.js';
import { configDifferences } from '../../src/compare/apples.js';
import { bootstrapPercentileChange } from '../../src/compare/bootstrap.js';
import { compareDocuments, MIN_SECONDS } from '../../src/compare/compare.js';
import { decide } from '../../src/compare/decide.js';
import { readComparedDocument, type ComparedDocument } from '../../src/compare/documents.js';
import { mannWhitney, normalCdf, twoProportionGreater } from '../../src/compare/stats.js';
import { applyOverrides, thresholdsFromSpec } from '../../src/compare/thresholds.js';
import { HarnessError } from '../../src/errors.js';
import { comparisonResultSchema, type ComparisonThresholds } from '../../src/report/comparison-schema.js';
import type { BenchResult } from '../../src/report/perf-schema.js';
import { resultSchema } from '../../src/report/result.js';
import { loadSpec } from '../../src/spec/index.js';
import { runCli, runProgram } from '../support/cli.js';
import { gateDocument } from '../support/result-docs.js';

/**
 * Two real 10 s `bench --json` runs (mobile profile, open loop, 2000 ops/s), back to back on one local cluster,
 * written before per-op seconds and workload fields were recorded; ops1.json is one such run written after.
 */
const FIXTURES = fileURLToPath(new URL('../fixtures/compare/', import.meta.url));
const A1 = join(FIXTURES, 'a1.json');
const A2 = join(FIXTURES, 'a2.json');
const OPS1 = join(FIXTURES, 'ops1.json');
/**
 * The known slowdown the tests apply to a1.json. Not 2: the test is against the +25 % threshold, and a1's ten
 * per-second p99s spread from 0.25 to 10 ms (one stalled second), so a doubled p99 is not significantly beyond
 * +25 % in 10 seconds (the live A/B in docs/decisions.md finds 2.5× and more in 15 s runs).
 */
const SLOW = 3;
const DEFAULTS: ComparisonThresholds = {
  p50: 25,
  p99: 25,
  p99_9: 50,
  throughput: -10,
  error_rate: 0.1,
  alpha: 0.01,
  floor_us: { p50: 50, p99: 150, p99_9: 1000 },
};

const tmp = () => mkdtempSync(join(tmpdir(), 'cache-harness-compare-'));
const rawBench = (path: string) =>
  JSON.parse(readFileSync(path, 'utf8')) as { schema: string; schema_version: number; benches: BenchResult[] };

/** An encoded histogram with every value multiplied by `k`. */
function scaled(enc: string, k: number): string {
  const h = decodeHistogram(enc);
  if (!(h instanceof JsHistogram)) throw new Error('not a JS histogram');
  const out = seriesHistogram();
  for (let i = 0; i < h.countsArrayLength; i++) {
    const c = h.getCountAtIndex(i);
    if (c > 0) out.recordValueWithCount(Math.round(h.valueFromIndex(i) * k), c);
  }
  return encodeHistogram(out);
}

/** A summary's (or a point's) latency fields × k, everything else as it is. */
function scaledLatencies<T extends Record<string, unknown>>(s: T, k: number): T {
  return Object.fromEntries(
    Object.entries(s).map(([key, v]) => [key, /^(p\d|max_us|mean_us|min_us)/.test(key) && typeof v === 'number' ? v * k : v]),
  ) as T;
}

/** The bench of a1.json with every latency × k and every per-second count × rate (a slowdown the test knows). */
function slowed(b: BenchResult, k: number, rate = 1): BenchResult {
  const lat = <T extends Record<string, unknown>>(x: T): T => scaledLatencies(x, k);
  return {
    ...b,
    overall: lat(b.overall),
    channels: b.channels.map(lat),
    per_second: b.per_second.map((p) => ({
      ...lat(p),
      count: Math.round(p.count * rate),
      ...(p.hist !== undefined ? { hist: scaled(p.hist, k) } : {}),
    })),
  };
}

const doc = (path: string, benches: BenchResult[]): ComparedDocument => ({ path, kind: 'bench', benches });

/** A real 10 s run with per-op seconds and workload fields (written after they were recorded). */
const opsBench = () => rawBench(OPS1).benches[0] as BenchResult;

/** Every latency of one op × k, in its per-second series and its whole-run groups; the rest untouched. */
function slowedOp(b: BenchResult, op: string, k: number): BenchResult {
  const lat = <T extends Record<string, unknown>>(x: T): T => scaledLatencies(x, k);
  return {
    ...b,
    groups: b.groups.map((g) => (g.op === op ? { ...lat(g), hist: scaled(g.hist, k) } : g)),
    per_second_ops: b.per_second_ops?.map((p) => (p.op === op ? { ...lat(p), hist: scaled(p.hist, k) } : p)),
  };
}

describe('statistics', () => {
  it('Φ matches the normal table', () => {
    expect(normalCdf(-2.326347874)).toBeCloseTo(0.01, 6);
    expect(normalCdf(1)).toBeCloseTo(0.8413447461, 6);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
  });

  it('Mann-Whitney U gives scipy.stats.mannwhitneyu(method="asymptotic", use_continuity=True) figures (= R wilcox.test(exact=FALSE))', () => {
    // scipy 1.17: x vs y → U = 131.5, p(greater) = 0.000315962, p(less) = 0.999745004
    const x = [12, 15, 11, 18, 20, 14, 16, 19, 13, 17, 21, 22];
    const y = [10, 11, 9, 13, 12, 8, 14, 10, 11, 12, 9, 13];
    const r = mannWhitney(x, y);
    expect(r.u).toBe(131.5);
    expect(r.pGreater).toBeCloseTo(0.000315962, 6);
    expect(r.pLess).toBeCloseTo(0.999745004, 5);
    // Heavy ties (every value twice): U = 32, p(greater) = 0.922354231, p(less) = 0.089430343
    const t = mannWhitney([5, 5, 6, 6, 7, 7, 8, 8, 9, 9], [6, 6, 7, 7, 8, 8, 9, 9, 10, 10]);
    expect(t.u).toBe(32);
    expect(t.pGreater).toBeCloseTo(0.922354231, 5);
    expect(t.pLess).toBeCloseTo(0.089430343, 5);
  });

  it('Mann-Whitney with nothing varying, or an empty side, finds nothing', () => {
    expect(mannWhitney([2000, 2000, 2000], [2000, 2000, 2000])).toMatchObject({ pGreater: 1, pLess: 1 });
    expect(mannWhitney([], [1, 2])).toMatchObject({ pGreater: 1, pLess: 1 });
  });

  it('two-proportion z-test: 30/1000 vs 10/1000 (pooled z = 3.1944, p = 0.00070065 by hand)', () => {
    expect(twoProportionGreater(30, 1000, 10, 1000)).toBeCloseTo(0.00070065, 6);
    expect(twoProportionGreater(10, 1000, 30, 1000)).toBeCloseTo(1 - 0.00070065, 6);
    expect(twoProportionGreater(0, 1000, 0, 1000)).toBe(1);
  });

  it('block bootstrap: a doubled tail is found, an identical run is not, and the same input gives the same interval', () => {
    const second = (tailUs: number, s: number) => {
      const h = seriesHistogram();
      h.recordValueWithCount(100 + (s % 7), 1990);
      h.recordValueWithCount(tailUs + 50 * (s % 5), 10);
      return [encodeHistogram(h)];
    };
    const base = Array.from({ length: 20 }, (_, s) => second(2000, s));
    const slow = Array.from({ length: 20 }, (_, s) => second(4000, s));
    const worse = bootstrapPercentileChange(base, slow, { percentile: 99.9, alpha: 0.01, replicates: 300 });
    expect(worse.changePercent).toBeGreaterThan(80);
    expect(worse.interval?.[0]).toBeGreaterThan(0);
    const same = bootstrapPercentileChange(base, base, { percentile: 99.9, alpha: 0.01, replicates: 300 });
    expect(same.changePercent).toBe(0);
    expect(same.interval?.[0]).toBeLessThanOrEqual(0);
    expect(same.interval?.[1]).toBeGreaterThanOrEqual(0);
    expect(bootstrapPercentileChange(base, slow, { percentile: 99.9, alpha: 0.01, replicates: 300 })).toEqual(worse);
  });
});

describe('the decision rule', () => {
  const ev = (change: number | null, worse: boolean | null, better: boolean | null = false) => ({ change, threshold: 25, worse, better });
  it('a regression is beyond the threshold AND significant', () => {
    expect(decide('p99', ev(40, true))).toBe('regression');
    expect(decide('p99', ev(40, false))).toBe('not-significant');
    expect(decide('p99', ev(40, null))).toBe('not-significant');
    expect(decide('p99', ev(10, true))).toBe('unchanged');
    expect(decide('p99', ev(-40, false, true))).toBe('improvement');
    expect(decide('p99', ev(-40, false, false))).toBe('not-significant');
    expect(decide('p99', ev(null, null))).toBe('not-significant');
  });
  it('a latency change within its µs floor is unchanged, however large in percent; beyond it the rule above applies', () => {
    expect(decide('p50', { ...ev(40, true), changeUs: 30, floorUs: 50 })).toBe('unchanged');
    expect(decide('p50', { ...ev(-40, false, true), changeUs: -30, floorUs: 50 })).toBe('unchanged');
    expect(decide('p50', { ...ev(40, true), changeUs: 60, floorUs: 50 })).toBe('regression');
    expect(decide('p50', { ...ev(10, true), changeUs: 600, floorUs: 50 })).toBe('unchanged');
  });
  it('throughput regresses downwards', () => {
    expect(decide('throughput', { change: -20, threshold: -10, worse: true, better: false })).toBe('regression');
    expect(decide('throughput', { change: 20, threshold: -10, worse: false, better: true })).toBe('improvement');
    expect(decide('throughput', { change: -5, threshold: -10, worse: true, better: false })).toBe('unchanged');
  });
});

describe('thresholds', () => {
  it("come from the spec's regression section, overridden by flags", () => {
    const spec = thresholdsFromSpec(loadSpec().regression);
    expect(spec).toEqual(DEFAULTS);
    expect(applyOverrides(spec, ['p99=30', 'throughput=-5', 'p99.9=80%', 'errorRate=0.5'], '0.05')).toEqual({
      ...DEFAULTS,
      p99: 30,
      throughput: -5,
      p99_9: 80,
      error_rate: 0.5,
      alpha: 0.05,
    });
  });
  it('a floor is overridden as KEY_floor_us=µs', () => {
    expect(applyOverrides(DEFAULTS, ['p99_floor_us=200', 'p50_floor_us=0']).floor_us).toEqual({ p50: 0, p99: 200, p99_9: 1000 });
  });
  it('refuse a malformed or wrong-signed flag', () => {
    for (const bad of ['p99', 'p98=3', 'p99=abc', 'throughput=10', 'p99=-5', 'p99_floor_us=-1', 'p99_floor_us=x'])
      expect(() => applyOverrides(DEFAULTS, [bad]), bad).toThrow(HarnessError);
    expect(() => applyOverrides(DEFAULTS, [], '1.5')).toThrow(HarnessError);
  });
});

describe('compareDocuments', () => {
  const a1 = () => readComparedDocument(A1);
  const bench = () => rawBench(A1).benches[0] as BenchResult;

  it('the stored A/A pair: no regression, every row valid against the schema', () => {
    const c = compareDocuments(a1(), readComparedDocument(A2), { thresholds: DEFAULTS });
    expect(comparisonResultSchema.parse(c)).toEqual(c);
    expect(c.verdict).toBe('pass');
    expect(c.benches).toEqual(['mobile open-loop']);
    const p99 = c.rows.find((r) => r.channel === 'mobile' && r.op === 'all' && r.metric === 'p99');
    expect(p99).toMatchObject({ test: 'mann-whitney', n_baseline: 10, n_current: 10 });
    expect(c.rows.find((r) => r.channel === 'mobile' && r.op === 'all' && r.metric === 'p99_9')).toMatchObject({ test: 'bootstrap' });
    expect(c.rows.some((r) => r.op === 'get' && r.test === 'none')).toBe(true);
  });

  it(`latencies × ${SLOW} are regressions of p50 and p99 on every channel; throughput × 0.8 is one too`, () => {
    const c = compareDocuments(a1(), doc('slow.json', [slowed(bench(), SLOW, 0.8)]), { thresholds: DEFAULTS });
    expect(c.verdict).toBe('regression');
    const regressed = c.rows.filter((r) => r.verdict === 'regression' && r.op === 'all').map((r) => `${r.channel} ${r.metric}`);
    for (const ch of ['all', 'mobile', 'web']) for (const m of ['throughput', 'p50', 'p99']) expect(regressed).toContain(`${ch} ${m}`);
    // The fixture's p99.9 is one stalled second (second 7: p99 10 ms, the others < 1 ms): whether a resample holds
    // it decides the merge's p99.9, so 10 seconds cannot show even a doubled tail — not significant, as it should be.
    const tail = c.rows.find((r) => r.channel === 'all' && r.op === 'all' && r.metric === 'p99_9');
    expect(tail).toMatchObject({ test: 'bootstrap', verdict: 'not-significant' });
    expect(tail?.change_percent).toBeCloseTo((SLOW - 1) * 100, 0);
    expect(tail?.interval?.[0]).toBeLessThan(0);
    const p99 = c.rows.find((r) => r.channel === 'all' && r.op === 'all' && r.metric === 'p99');
    expect(p99?.change_percent).toBe((SLOW - 1) * 100);
    expect(p99?.p_value).toBeLessThan(DEFAULTS.alpha);
    expect(c.regressions).toBe(regressed.length);
  });

  it('latencies × 1.3 (+30 %, but tens of µs at p50 and p99): within the floors, unchanged and said so', () => {
    const c = compareDocuments(a1(), doc('slow.json', [slowed(bench(), 1.3)]), { thresholds: DEFAULTS });
    expect(c.regressions).toBe(0);
    for (const ch of ['all', 'mobile', 'web'])
      for (const m of ['p50', 'p99']) {
        const r = c.rows.find((x) => x.channel === ch && x.op === 'all' && x.metric === m);
        expect(r, `${ch} ${m}`).toMatchObject({ verdict: 'unchanged' });
        expect(r?.note, `${ch} ${m}`).toMatch(/within the \d+ µs floor/);
      }
  });

  it('the same slowdown in reverse is an improvement, never a regression', () => {
    const c = compareDocuments(doc('slow.json', [slowed(bench(), SLOW)]), a1(), { thresholds: DEFAULTS });
    expect(c.regressions).toBe(0);
    expect(c.rows.filter((r) => r.verdict === 'improvement').map((r) => `${r.channel} ${r.metric}`)).toContain('all p99');
  });

  it(`fewer than ${MIN_SECONDS} seconds: not tested, never a regression`, () => {
    const short = (b: BenchResult): BenchResult => ({ ...b, duration_ms: 5000, per_second: b.per_second.filter((p) => p.second < 5) });
    const c = compareDocuments(doc('a.json', [short(bench())]), doc('b.json', [short(slowed(bench(), 2))]), { thresholds: DEFAULTS });
    const p99 = c.rows.find((r) => r.channel === 'all' && r.metric === 'p99');
    expect(p99).toMatchObject({ test: 'none', verdict: 'not-significant', p_value: null });
    expect(p99?.note).toContain(`< ${MIN_SECONDS}`);
    expect(c.regressions).toBe(0);
  });

  it('no per-second series (the HTTP edge): the whole-run completed rate, untested; open-loop throughput says what it measures', () => {
    const flat = (b: BenchResult): BenchResult => ({ ...b, per_second: [] });
    const c = compareDocuments(doc('a.json', [flat(bench())]), doc('b.json', [flat(bench())]), { thresholds: DEFAULTS });
    const tp = c.rows.filter((r) => r.metric === 'throughput');
    expect(tp).toHaveLength(1);
    expect(tp[0]).toMatchObject({ channel: 'all', test: 'none', baseline: bench().totals.completed_rate, verdict: 'unchanged' });
    const open = compareDocuments(a1(), a1(), { thresholds: DEFAULTS }).rows.find((r) => r.metric === 'throughput');
    expect(open?.note).toContain('open loop');
  });

  it('apples vs oranges: every differing field is named, and --force lists them as caveats', () => {
    const other: BenchResult = { ...bench(), profile: 'web', config: { ...bench().config, target_rate: 4000, masters: 6 } };
    expect(configDifferences(bench(), other).map((d) => d.field)).toEqual(['profile', 'config.target_rate', 'config.masters']);
    expect(() => compareDocuments(a1(), doc('o.json', [other]), { thresholds: DEFAULTS })).toThrow(
      /profile mobile \(baseline\) vs web[\s\S]*target_rate[\s\S]*masters/,
    );
    const forced = compareDocuments(a1(), doc('o.json', [other]), { thresholds: DEFAULTS, force: true });
    expect(forced.forced).toBe(true);
    expect(forced.caveats).toHaveLength(3);
  });

  it('a workload field that differs (value sizes under the same profile) is named; a document without them is judged by profile', () => {
    const b = opsBench();
    const sizes = 'channel.mobile.valueSizes';
    expect(b.workload?.[sizes]).toBe('256×0.5, 1024×0.4, 4096×0.1');
    const bigger: BenchResult = { ...b, workload: { ...b.workload, [sizes]: '8192×1' } };
    expect(configDifferences(b, bigger)).toEqual([
      { bench: b.name, field: `workload.${sizes}`, baseline: '256×0.5, 1024×0.4, 4096×0.1', current: '8192×1' },
    ]);
    expect(() => compareDocuments(doc('a.json', [b]), doc('b.json', [bigger]), { thresholds: DEFAULTS })).toThrow(/valueSizes/);
    expect(configDifferences(bench(), b).filter((d) => d.field.startsWith('workload.'))).toEqual([]);
  });

  it("per op: each op is tested on its own seconds; a slowdown of SET alone is found on SET's rows, not GET's", () => {
    const same = compareDocuments(doc('a.json', [opsBench()]), doc('b.json', [opsBench()]), { thresholds: DEFAULTS });
    const opRows = same.rows.filter((r) => r.op !== 'all');
    expect(opRows.map((r) => `${r.channel} ${r.op}`).sort()).toEqual(
      ['mobile get', 'mobile set', 'web get', 'web set'].flatMap((k) => [k, k, k]).sort(),
    );
    expect(new Set(opRows.map((r) => r.test))).toEqual(new Set(['mann-whitney', 'bootstrap']));
    expect(same.regressions).toBe(0);
    const c = compareDocuments(doc('a.json', [opsBench()]), doc('b.json', [slowedOp(opsBench(), 'set', 3)]), { thresholds: DEFAULTS });
    const regressed = c.rows.filter((r) => r.verdict === 'regression').map((r) => `${r.channel} ${r.op} ${r.metric}`);
    for (const ch of ['mobile', 'web']) for (const m of ['p50', 'p99']) expect(regressed).toContain(`${ch} set ${m}`);
    expect(regressed.filter((r) => !r.includes(' set '))).toEqual([]);
  });

  it("reads a gate result.json's benches as well as a bench --json file, and names its run", () => {
    const path = join(tmp(), 'result.json');
    writeFileSync(path, JSON.stringify(gateDocument({ benches: [bench()] })));
    const gate = readComparedDocument(path);
    expect(gate).toMatchObject({ kind: 'result', run_id: '2026-01-01T00-00-00-000Z-2' });
    const c = compareDocuments(gate, readComparedDocument(A2), { thresholds: DEFAULTS });
    expect(c.baseline.run_id).toBe('2026-01-01T00-00-00-000Z-2');
    expect(c.verdict).toBe('pass');
  });

  it('no shared bench: says which each document has', () => {
    expect(() => compareDocuments(a1(), doc('o.json', [{ ...bench(), name: 'web open-loop' }]), { thresholds: DEFAULTS })).toThrow(
      /baseline .* has mobile open-loop; current o\.json has web open-loop/,
    );
  });

  it('the result document carries a comparison', () => {
    const c = compareDocuments(a1(), readComparedDocument(A2), { thresholds: DEFAULTS });
    const shape = resultSchema.shape.comparison;
    expect(shape.parse(c)).toEqual(c);
  });
});

describe('cache-harness compare (built CLI)', () => {
  it('exit 0 on the A/A pair, 1 naming the regression, 2 on bad input with the fix', async () => {
    const dir = tmp();
    const slow = join(dir, 'slow.json');
    const a = rawBench(A1);
    writeFileSync(slow, JSON.stringify({ ...a, benches: [slowed(a.benches[0] as BenchResult, SLOW)] }));
    const json = join(dir, 'cmp.json');
    const md = join(dir, 'cmp.md');

    const same = await runCli(['compare', A1, A2]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain('verdict: no regression');

    const worse = await runCli(['compare', A1, slow, '--json', json, '--markdown', md]);
    expect(worse.code, worse.stderr).toBe(1);
    expect(worse.stdout).toMatch(/mobile open-loop\s+all\s+all\s+p99\s/);
    expect(worse.stdout).toContain('+200');
    expect(comparisonResultSchema.parse(JSON.parse(readFileSync(json, 'utf8'))).verdict).toBe('regression');
    expect(readFileSync(md, 'utf8')).toContain('regression(s)');

    // A looser threshold than the slowdown: nothing regressed.
    const loose = await runCli(['compare', A1, slow, '--threshold', 'p50=250', '--threshold', 'p99=250', '--threshold', 'p99_9=250']);
    expect(loose.code, loose.stdout).toBe(0);

    const notDoc = join(dir, 'not.json');
    writeFileSync(notDoc, JSON.stringify({ hello: 1 }));
    const oldVersion = join(dir, 'old.json');
    writeFileSync(oldVersion, JSON.stringify({ ...a, schema_version: 0 }));
    const otherRate = join(dir, 'rate.json');
    writeFileSync(
      otherRate,
      JSON.stringify({ ...a, benches: [{ ...a.benches[0], config: { ...a.benches[0]?.config, target_rate: 3000 } }] }),
    );
    // One bad input through the bin (exit 2 with the fix), the rest in-process: a HarnessError is exit 2 (src/cli.ts).
    const missing = await runCli(['compare', A1, join(dir, 'missing.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*missing\.json[\s\S]*fix: pass a gate result\.json/);
    for (const [args, text] of [
      [[A1, notDoc], 'not a cache-harness result or bench document'],
      [[A1, oldVersion], 'bench schema version 0'],
      [[A1, otherRate], 'config.target_rate 2000 (baseline) vs 3000'],
      [[A1, A2, '--threshold', 'p99'], 'not KEY=NUMBER'],
    ] as const) {
      const r = await runProgram(['compare', ...args]);
      expect(r.error, args.join(' ')).toBeInstanceOf(HarnessError);
      expect((r.error as HarnessError).message).toContain(text);
      expect((r.error as HarnessError).hint).toBeTruthy();
    }
    const forced = await runCli(['compare', A1, otherRate, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('compared with --force despite: mobile open-loop config.target_rate 2000 → 3000');
  }, 60_000);
});
