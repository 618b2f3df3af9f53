import { percentileOverlayChartPng, perSecondOverlayChartPng, type P99Point } from './charts.js';
import type { ComparisonMetricRow, ComparisonResult } from './comparison-schema.js';
import { escapeXml as esc } from './escape.js';
import { html, htmlTable, type HtmlCell } from './html-table.js';
import { COMPARISON_HEADER, comparisonCells, floorText } from './markdown.js';
import type { BenchResult } from './perf-schema.js';
import { splitDisturbance } from '../compare/disturbed.js';

/** What the HTML shows of the baseline beside the current run (stored in the comparison: see `baseline_series`). */
export type BaselineSeries = NonNullable<ComparisonResult['baseline_series']>[number];

/** The baseline's curves and per-second p99 of each compared bench, for `comparison.baseline_series`. */
export function baselineSeriesOf(benches: readonly BenchResult[], compared: readonly string[]): BaselineSeries[] {
  return benches.filter((b) => compared.includes(b.name)).map((b) => ({ bench: b.name, curves: b.curves, p99_per_second: p99Points(b) }));
}

const p99Points = (b: BenchResult): P99Point[] => b.per_second.map((p) => ({ second: p.second, channel: p.channel, p99_us: p.p99_us }));

/** Verdict → the report's status colours (regression red, improvement green, not significant grey). */
const VERDICT_CLASS: Record<ComparisonMetricRow['verdict'], string> = {
  regression: 'failed',
  improvement: 'passed',
  'not-significant': 'skipped',
  unchanged: '',
};

/** A row's note apart from its disturbance (whose reasons hold '; ' themselves), in parts. */
function splitNote(r: ComparisonMetricRow): { parts: string[]; disturbed: string | undefined } {
  const { rest, disturbed } = splitDisturbance(r.note);
  return { parts: rest.split('; ').filter((p) => p.trim() !== ''), disturbed };
}

/**
 * The verdict in colour, and what a reader needs beside it: a tested row's note when it is not `unchanged` (the
 * open-loop caveat of a throughput change), and an `unchanged` row's floor ("+143 % … within the 3.6 ms floor").
 * A disturbed measurement is said once per bench above the table; an untested row's note is its evidence cell.
 */
function verdictCell(r: ComparisonMetricRow): HtmlCell {
  const tested = r.p_value !== null || r.interval !== null;
  const shown = splitNote(r).parts.filter((p) => r.verdict !== 'unchanged' || p.startsWith('within the '));
  const note = tested && shown.length ? `<br><small>${esc(shown.join('; '))}</small>` : '';
  return html(`${esc(r.verdict)}${note}`, VERDICT_CLASS[r.verdict]);
}

/** Each disturbed bench once, with why (from its rows' notes): such a bench can neither pass nor fail. */
function disturbedBenches(c: ComparisonResult): string[] {
  const seen = new Map<string, string>();
  for (const r of c.rows) {
    const { disturbed } = splitNote(r);
    if (disturbed && !seen.has(r.bench)) seen.set(r.bench, disturbed);
  }
  return [...seen].map(([bench, why]) => `<p class="finding warning"><b>${esc(bench)}</b>: ${esc(why)}</p>`);
}

/**
 * "Baseline comparison": the verdict, every compared metric (the cells of report.md's table, and the verdict in
 * colour), what was not compared, the caveats, and per bench both runs overlaid: percentile curves, per-second p99.
 */
export function renderComparisonSection(c: ComparisonResult, current: readonly BenchResult[], charts = true): string {
  const base = c.baseline.run_id ?? c.baseline.path;
  const head =
    c.verdict === 'regression'
      ? `<span class="badge failed">${c.regressions} regression(s)</span>`
      : c.verdict === 'inconclusive'
        ? `<span class="badge inconclusive">inconclusive: a measurement was disturbed (${c.regressions} regression(s) in it)</span>`
        : '<span class="badge passed">no regression</span>';
  const parts = [
    `<section id="baseline-comparison"><h2>Baseline comparison ${head}</h2>`,
    `<p>${c.rows.length} metric(s) of ${c.benches.length} bench(es) against <b>${esc(base)}</b>${c.baseline.started_at ? ` (${esc(c.baseline.started_at)})` : ''} · ${c.improvements} improvement(s) · a regression is <b>significantly beyond</b> its threshold at alpha ${c.thresholds.alpha}${esc(floorText(c))}</p>`,
  ];
  if (c.caveats.length)
    parts.push(
      `<p class="finding error"><b>not comparable</b>: the runs differ in configuration: ${esc(c.caveats.map((v) => `${v.bench} ${v.field} ${v.baseline} → ${v.current}`).join('; '))}</p>`,
    );
  parts.push(...disturbedBenches(c));
  const notCompared = [...c.only_baseline.map((b) => `${b} (baseline only)`), ...c.only_current.map((b) => `${b} (current only)`)];
  if (notCompared.length) parts.push(`<p>not compared: ${esc(notCompared.join(', '))}</p>`);
  parts.push(
    `<div class="wide">${htmlTable(
      [...COMPARISON_HEADER, 'verdict'],
      c.rows.map((r) => [...comparisonCells(r), verdictCell(r)]),
    )}</div>`,
  );
  if (charts)
    for (const name of c.benches)
      parts.push(
        benchCharts(
          name,
          c.baseline_series?.find((s) => s.bench === name),
          current.find((b) => b.name === name),
        ),
      );
  parts.push('</section>');
  return parts.join('\n');
}

/** One bench's two overlaid charts; nothing when either run's series is missing (a `compare --json` comparison). */
function benchCharts(name: string, baseline: BaselineSeries | undefined, current: BenchResult | undefined): string {
  if (!baseline || !current) return '';
  const imgs: string[] = [];
  if (baseline.curves.length && current.curves.length)
    imgs.push(
      `<img alt="${esc(name)}: latency by percentile, baseline vs current" width="760" height="340" src="${percentileOverlayChartPng(
        [
          { side: 'baseline', data: baseline.curves },
          { side: 'current', data: current.curves },
        ],
        `${name}: latency by percentile, baseline (dashed) vs current`,
      )}">`,
    );
  if (baseline.p99_per_second.length && current.per_second.length)
    imgs.push(
      `<img alt="${esc(name)}: p99 per second, baseline vs current" width="760" height="340" src="${perSecondOverlayChartPng(
        [
          { side: 'baseline', data: baseline.p99_per_second },
          { side: 'current', data: p99Points(current) },
        ],
        `${name}: p99 per second, baseline (dashed) vs current`,
      )}">`,
    );
  return imgs.length ? `<h3>${esc(name)}</h3><div class="charts">${imgs.join('\n')}</div>` : '';
}
