import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readComparedDocument, type ComparedDocument } from '../../src/compare/documents.js';
import { HarnessError } from '../../src/errors.js';
import { gateComparison, gateVerdict } from '../../src/gate.js';
import { renderComparisonSection } from '../../src/report/comparison-html.js';
import type { ComparisonThresholds } from '../../src/report/comparison-schema.js';
import { renderHtml, renderJUnit, resultSchema, type BenchResult, type SuiteResult } from '../../src/report/index.js';
import { redisOnPorts, runProgram, specWith, tmp } from '../support/cli.js';
import { gateDocument } from '../support/result-docs.js';

/** Two real 10 s `bench --json` runs (mobile profile, open loop, 2000 ops/s), back to back on one local cluster. */
const FIXTURES = fileURLToPath(new URL('../fixtures/compare/', import.meta.url));
const A1 = join(FIXTURES, 'a1.json');
const A2 = join(FIXTURES, 'a2.json');
const THRESHOLDS: ComparisonThresholds = { p50: 25, p99: 25, p99_9: 50, throughput: -10, error_rate: 0.1, alpha: 0.01 };
const PORT_BASE = Number(process.env.CACHE_HARNESS_TEST_PORT_BASE ?? 27000);

/**
 * a2's bench with every per-second and summary p50/p99 tripled: a slowdown the rank tests must call a regression
 * (against the +25 % threshold, ten seconds spread like a2's do not make a doubling significant).
 */
function slowed(b: BenchResult): BenchResult {
  const thrice = <T extends { p50_us: number; p99_us: number }>(x: T): T => ({ ...x, p50_us: x.p50_us * 3, p99_us: x.p99_us * 3 });
  return { ...b, overall: thrice(b.overall), channels: b.channels.map(thrice), per_second: b.per_second.map(thrice) };
}

const gateComparisonOf = (baseline: ComparedDocument, current: ComparedDocument) =>
  gateComparison(baseline, current, THRESHOLDS, 200).comparison;

const sectionOf = (html: string) => {
  const start = html.indexOf('<section id="baseline-comparison">');
  return start < 0 ? '' : html.slice(start, html.indexOf('</section>', start));
};

describe('gate --baseline: the comparison in the reports', () => {
  const base = readComparedDocument(A1);
  const same = readComparedDocument(A2);
  const slow: ComparedDocument = { ...same, benches: same.benches.map(slowed) };

  it('report.html shows the rows with their verdicts and, per bench, the two overlaid charts', () => {
    const comparison = gateComparisonOf(base, slow);
    expect(comparison.regressions).toBeGreaterThan(0);
    const doc = resultSchema.parse(gateDocument({ benches: slow.benches, comparison }));
    const section = sectionOf(renderHtml(doc));
    expect(section).toContain('<h2>Baseline comparison <span class="badge failed">');
    expect(section.match(/<img [^>]*src="data:image\/png;base64,/g)).toHaveLength(2);
    expect(section).toContain('mobile open-loop: latency by percentile, baseline vs current');
    expect(section).toContain('mobile open-loop: p99 per second, baseline vs current');
    // One table row per compared metric (plus the header), each regression in the failure colour.
    expect(section.match(/<tr>/g)).toHaveLength(comparison.rows.length + 1);
    expect(section.match(/<td class="failed">regression<\/td>/g)).toHaveLength(comparison.regressions);
  });

  it('draws no chart when the baseline series is missing (a `compare --json` comparison), but still the table', () => {
    const { baseline_series: _gone, ...plain } = gateComparisonOf(base, same);
    const section = renderComparisonSection(plain, same.benches);
    expect(section).toContain('no regression');
    expect(section).not.toContain('<img');
    expect(section.match(/<tr>/g)).toHaveLength(plain.rows.length + 1);
  });

  it('benches of another configuration are compared, listed as caveats and reported as not comparable (the gate has no --force)', () => {
    const other = { ...same, benches: same.benches.map((b) => ({ ...b, config: { ...b.config, target_rate: 4000 } })) };
    const { comparison, notComparable } = gateComparison(base, other, THRESHOLDS, 200);
    expect(comparison.caveats).toEqual([{ bench: 'mobile open-loop', field: 'config.target_rate', baseline: '2000', current: '4000' }]);
    expect(notComparable?.message).toMatch(/not comparable: mobile open-loop config\.target_rate 2000 \(baseline\) vs 4000/);
    expect(gateComparison(base, same, THRESHOLDS, 200).notComparable).toBeUndefined();
    expect(sectionOf(renderHtml(resultSchema.parse(gateDocument({ benches: other.benches, comparison }))))).toContain(
      '<b>not comparable</b>',
    );
  });

  it('junit.xml has a comparison testsuite: one testcase per compared metric, a failure per regression', () => {
    const comparison = gateComparisonOf(base, slow);
    const xml = renderJUnit(resultSchema.parse(gateDocument({ benches: slow.benches, comparison })));
    const suite = /<testsuite name="comparison" tests="(\d+)" failures="(\d+)"[^>]*>([\s\S]*?)<\/testsuite>/.exec(xml);
    expect(suite?.[1]).toBe(String(comparison.rows.length));
    expect(suite?.[2]).toBe(String(comparison.regressions));
    const body = suite?.[3] ?? '';
    const names = [...body.matchAll(/<testcase classname="comparison" name="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toHaveLength(comparison.rows.length);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('mobile open-loop mobile all p99');
    expect(body.match(/<failure message="p99 regressed \+/g)?.length).toBeGreaterThan(0);
    expect(body.match(/<failure /g)).toHaveLength(comparison.regressions);
  });

  it('a regression fails a gate whose suites passed or were inconclusive; one only in a disturbed measurement makes it inconclusive', () => {
    const perf: SuiteResult = { name: 'perf', status: 'passed', duration_ms: 1, checks: [], errors: [] };
    const passed = [perf];
    const inconclusive = [{ ...perf, status: 'inconclusive' as const }];
    const clean = gateComparisonOf(base, slow);
    expect(gateVerdict(passed, [], gateComparisonOf(base, same))).toEqual({ verdict: 'pass', exit_code: 0 });
    expect(gateVerdict(passed, [], clean)).toEqual({ verdict: 'fail', exit_code: 1 });
    expect(gateVerdict(inconclusive, [], clean)).toEqual({ verdict: 'fail', exit_code: 1 });
    expect(gateVerdict(passed, ['baseline not comparable'], clean)).toEqual({ verdict: 'error', exit_code: 2 });
    const q = slow.benches[0]?.quality;
    if (!q) throw new Error('fixture without a quality block');
    const disturbed = {
      ...slow,
      benches: slow.benches.map((b) => ({ ...b, quality: { ...q, disturbed: true, reasons: ['steal 9% (limit 5%)'] } })),
    };
    const noisy = gateComparisonOf(base, disturbed);
    expect(noisy.regressions).toBe(clean.regressions);
    expect(gateVerdict(passed, [], noisy)).toEqual({ verdict: 'inconclusive', exit_code: 3 });
    // The disturbance is said once per bench, above the table, not in each of its rows.
    const noisySection = sectionOf(renderHtml(resultSchema.parse(gateDocument({ benches: disturbed.benches, comparison: noisy }))));
    expect(noisySection.split('measurement disturbed (current: steal 9% (limit 5%)): inconclusive')).toHaveLength(2);
    expect(noisySection).toContain('<p class="finding warning"><b>mobile open-loop</b>: measurement disturbed');
    // JUnit agrees with the verdict: every row of the disturbed bench is skipped (inconclusive), none is a failure.
    const xml = renderJUnit(resultSchema.parse(gateDocument({ benches: disturbed.benches, comparison: noisy })));
    expect(xml).toMatch(new RegExp(`<testsuite name="comparison" tests="\\d+" failures="0" errors="0" skipped="${noisy.rows.length}"`));
    // A disturbed measurement cannot pass either: no regression in it is still inconclusive.
    const quietNoisy = gateComparisonOf(base, {
      ...disturbed,
      benches: same.benches.map((b) => ({ ...b, quality: { ...q, disturbed: true, reasons: ['steal 9% (limit 5%)'] } })),
    });
    expect(quietNoisy.regressions).toBe(0);
    expect(quietNoisy.verdict).toBe('inconclusive');
    expect(gateVerdict(passed, [], quietNoisy)).toEqual({ verdict: 'inconclusive', exit_code: 3 });
    expect(xml).toContain('<skipped message="inconclusive: ');
  });
});

describe('gate --baseline: a bad baseline is refused before any cluster starts', () => {
  // --reports: were a check to let a run through, its reports would land in a temp folder, not the project's.
  const gate = (...args: string[]) => runProgram(['gate', '--port-base', String(PORT_BASE), '--reports', tmp(), ...args]);
  const refused = async (args: string[], message: RegExp) => {
    const run = await gate(...args);
    // runGate records every error in its result document and never throws: a HarnessError here came before it.
    expect(run.error).toBeInstanceOf(HarnessError);
    expect((run.error as HarnessError).message).toMatch(message);
    expect(redisOnPorts(PORT_BASE)).toEqual([]);
  };

  it('a missing file, a file that is not a result document, a baseline without benches, no perf suite, or too short benches', async () => {
    const dir = tmp();
    await refused(['--baseline', join(dir, 'missing.json')], /cannot read .*missing\.json/);
    const notResult = join(dir, 'other.json');
    writeFileSync(notResult, JSON.stringify({ schema: 'something-else' }));
    await refused(['--baseline', notResult], /is not a cache-harness result or bench document/);
    const noBench = join(dir, 'result.json');
    writeFileSync(noBench, JSON.stringify(gateDocument({ benches: undefined })));
    await refused(['--baseline', noBench], /holds no bench/);
    await refused(['--baseline', A1, '--suites', 'config'], /--suites config does not run it/);
    // 5 s perf benches: every per-second test would be skipped, so the gate could never fail on them.
    await refused(
      ['--baseline', A1, '--spec', specWith({ perf: { durationSeconds: 5 } })],
      /perf\.durationSeconds is 5, but the comparison .* needs at least 10 seconds/,
    );
  });
});
