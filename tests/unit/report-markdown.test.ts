import { describe, expect, it } from 'vitest';
import { comparisonMarkdown, escapeMarkdown, markdownTable, renderMarkdown } from '../../src/report/markdown.js';
import { comparedRow, comparison, gateDocument } from '../support/result-docs.js';

/** A table line's cells: split on the `|` that are not backslash-escaped. */
const cells = (line: string): string[] => line.slice(2, -2).split(/(?<!\\) \| /);

/** Every Markdown table of the text: runs of lines starting with `|`. */
function tables(md: string): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) cur.push(line);
    else if (cur.length) {
      out.push(cur);
      cur = [];
    }
  }
  return out;
}

describe('report.md', () => {
  it('a typical gate run with a comparison reads in <= 30 lines: verdict, failed and inconclusive checks, SLO, regressions', () => {
    const md = renderMarkdown(gateDocument({ comparison: comparison(2) }));
    const lines = md.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(30);
    expect(lines[0]).toBe('## ❌ cache-harness FAIL (exit 1)');
    expect(md).toContain('32 passed, 1 failed, 0 skipped, 1 inconclusive · suites not run: quota');
    expect(md).toContain('| config | maxmemory matches the spec | drift on redis-1: maxmemory 5gb (spec 2gb) |');
    expect(md).toContain('| perf | mobile profile SLO | SLO broken in 3 attempt(s), each on a disturbed machine |');
    // SLO: one row per bench, limits shared by every bench in the header.
    expect(md).toContain('| bench | mobile (limit 5 / 10 ms) | web (limit 20 / 100 ms) | SLO |');
    expect(md).toMatch(/\| mobile open loop \| \d+ µs \/ [\d.]+ ms ✘ \| – \| fail \|/);
    expect(md).toMatch(/\| web open loop \| [\d.]+ µs \/ [\d.]+ ms ✔ \| – \| pass \|/);
    // Regressions only, each with its evidence.
    expect(md).toContain('### Baseline comparison: ❌ 2 regression(s)');
    expect(md).toContain(
      '| mobile open loop | all | all | p99.9 | 2.00 ms | 3.20 ms | +60.0 % | +50 % | CI \\[31.5, 88.2\\] % (bootstrap) |',
    );
    expect(md.match(/\| p99\.9 \| 2\.00 ms \| 3\.20 ms/g)).toHaveLength(2);
    // Every table row has as many cells as its header.
    for (const t of tables(md)) for (const line of t) expect(cells(line)).toHaveLength(cells(t[0] ?? '').length);
  });

  it('a passing run without benches is a few lines, with no empty sections', () => {
    const doc = gateDocument({ verdict: 'pass', exit_code: 0 });
    const md = renderMarkdown({
      ...doc,
      benches: undefined,
      suites: doc.suites.map((s) => ({
        ...s,
        status: s.status === 'skipped' ? s.status : 'passed',
        checks: s.checks.map((c) => ({ ...c, status: 'passed' })),
      })),
    });
    expect(md.split('\n')[0]).toBe('## ✅ cache-harness PASS (exit 0)');
    expect(md).not.toContain('### Failed');
    expect(md).not.toContain('### Inconclusive');
    expect(md).not.toContain('### SLO');
    expect(md.trimEnd().split('\n').length).toBeLessThanOrEqual(6);
  });

  it('harness errors come first; limits that differ between benches go in each cell', () => {
    const doc = gateDocument({ verdict: 'error', exit_code: 2, errors: ['cluster did not form\n  at up()'] });
    const [first, second] = doc.benches ?? [];
    if (!first || !second) throw new Error('fixture has benches');
    second.slo = second.slo.map((s) => (s.channel === 'mobile' ? { ...s, p99_limit_ms: 2 } : s));
    const md = renderMarkdown({ ...doc, benches: [first, second] });
    expect(md.split('\n')[0]).toBe('## ⛔ cache-harness ERROR (exit 2)');
    expect(md).toContain('### Harness errors (1)\n- cluster did not form at up()');
    expect(md).toContain('| bench | mobile | web (limit 20 / 100 ms) | SLO |');
    expect(md).toMatch(/\| mobile open loop \| [^|]+ ✘ \(limit 5 \/ 10 ms\) \|/);
    expect(md).toMatch(/\| web open loop \| [^|]+ \(limit 2 \/ 10 ms\) \| – \| pass \|/);
  });

  it('caps long lists with the count left out', () => {
    const doc = gateDocument();
    const many = Array.from({ length: 20 }, (_, i) => ({
      id: `f${i}`,
      name: `broken ${i}`,
      status: 'failed' as const,
      duration_ms: 1,
      failure: 'x',
      findings: [],
    }));
    const md = renderMarkdown({ ...doc, suites: [{ ...doc.suites[0]!, checks: many }] });
    expect(md).toContain('### Failed checks (20)');
    expect(md).toContain('… and 14 more in report.html');
    expect(md).not.toContain('broken 6 ');
    expect(md.trimEnd().split('\n').length).toBeLessThanOrEqual(30);
  });

  it('escapes what would break a table or format text: |, backticks, newlines, HTML, emphasis', () => {
    expect(escapeMarkdown('a | b')).toBe('a \\| b');
    expect(escapeMarkdown('`rm -rf`')).toBe('\\`rm -rf\\`');
    expect(escapeMarkdown('line 1\r\n  line 2\nline 3')).toBe('line 1 line 2 line 3');
    expect(escapeMarkdown('<script>alert(1)</script>')).toBe('\\<script\\>alert(1)\\</script\\>');
    expect(escapeMarkdown('*bold* _it_ [link](x) ~s~ &amp; #h \\')).toBe('\\*bold\\* \\_it\\_ \\[link\\](x) \\~s\\~ \\&amp; \\#h \\\\');
    expect(escapeMarkdown('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`);

    const doc = gateDocument();
    const evil = { id: 'e', name: 'key `a|b`\nnext', status: 'failed' as const, duration_ms: 1, failure: 'got | "x"\n`y`', findings: [] };
    const md = renderMarkdown({ ...doc, spec: { ...doc.spec, name: 'k|**x**' }, suites: [{ ...doc.suites[0]!, checks: [evil] }] });
    expect(md).toContain('| config | key \\`a\\|b\\` next | got \\| "x" \\`y\\` |');
    expect(md).toContain('spec **k\\|\\*\\*x\\*\\***');
    for (const t of tables(md)) for (const line of t) expect(cells(line)).toHaveLength(cells(t[0] ?? '').length);
  });

  it('markdownTable: header, separator, rows', () => {
    expect(markdownTable(['a', 'b'], [['1', '2|3']])).toEqual(['| a | b |', '| --- | --- |', '| 1 | 2\\|3 |']);
  });
});

describe('comparisonMarkdown (report.md and compare --markdown)', () => {
  it('no regression: the verdict line and what was compared, no table', () => {
    const lines = comparisonMarkdown(comparison(0));
    expect(lines[0]).toBe('### Baseline comparison: ✅ no regression');
    expect(lines[1]).toContain('30 metric(s) of 2 bench(es) against 2025-12-31T00-00-00-000Z-1');
    expect(lines.some((l) => l.startsWith('|'))).toBe(false);
  });

  it("rows 'all' lists every metric with its verdict; p-values, throughput and error-rate points read in their units", () => {
    const c = comparison(1);
    c.rows.push(
      comparedRow({
        metric: 'throughput',
        unit: 'ops/s',
        baseline: 1000,
        current: 850.4,
        change_percent: -14.96,
        threshold: -10,
        p_value: 0.00002,
        verdict: 'regression',
      }),
      comparedRow({
        metric: 'error_rate',
        unit: '%',
        baseline: 0.1,
        current: 2.35,
        change_percent: null,
        threshold: 1,
        test: 'two-proportion',
        p_value: 0.003,
        verdict: 'regression',
      }),
      comparedRow({ metric: 'p50', test: 'none', p_value: null, note: '8 seconds < 10: not tested', verdict: 'not-significant' }),
    );
    const lines = comparisonMarkdown(c, { rows: 'all', maxRows: Infinity });
    const table = lines.filter((l) => l.startsWith('|'));
    expect(table).toHaveLength(2 + 33);
    expect(table[0]).toContain('| evidence | verdict |');
    expect(lines).toContain(
      '| mobile open loop | mobile | all | throughput | 1000 ops/s | 850 ops/s | -15.0 % | -10 % | p = 2.0e-5 (mann-whitney) | regression |',
    );
    expect(lines).toContain(
      '| mobile open loop | mobile | all | error\\_rate | 0.10 % | 2.35 % | +2.25 pp | +1 pp | p = 0.0030 (two-proportion) | regression |',
    );
    expect(lines).toContain(
      '| mobile open loop | mobile | all | p50 | 800 µs | 820 µs | +2.5 % | +25 % | 8 seconds \\< 10: not tested | not-significant |',
    );
  });

  it('names benches not compared and the caveats of a forced comparison', () => {
    const c = {
      ...comparison(0),
      only_current: ['HTTP edge'],
      caveats: [{ bench: 'mobile open loop', field: 'target_rate', baseline: '1000', current: '2000' }],
      forced: true,
    };
    const md = comparisonMarkdown(c).join('\n');
    expect(md).toContain('Not compared: HTTP edge (current only)');
    expect(md).toContain('Compared with --force despite: mobile open loop target\\_rate 1000 → 2000');
  });
});
