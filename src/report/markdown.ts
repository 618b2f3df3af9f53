import { formatSeconds, formatUs } from '../format/duration.js';
import { splitDisturbance } from '../compare/disturbed.js';
import type { ComparisonMetricRow, ComparisonResult } from './comparison-schema.js';
import { percentileField, percentileKey, percentileLabel } from './percentiles.js';
import { SLO_PERCENTILES, type BenchResult, type SloRow } from './perf-schema.js';
import type { CheckResult, ResultDocument } from './result.js';

/**
 * report.md: the run in a few lines for a CI job summary or a PR comment (GitHub-flavoured Markdown), from
 * the result document alone. Every list is capped, so a typical gate run reads in ~30 lines; report.html has
 * the rest.
 */

/** Rows a table shows before "… and N more". */
const MAX_ROWS = 6;
/** A cell longer than this is cut (a check's failure can run to paragraphs). */
const MAX_CELL = 240;

const MARK: Record<ResultDocument['verdict'], string> = { pass: '✅', fail: '❌', error: '⛔', inconclusive: '❔' };

/** Text cut to `max` characters, "…" marking the cut. */
const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Text safe in a Markdown table cell or line: newlines folded into one line, `|` (a column break inside
 * a table), backticks, and the characters that start emphasis, links, HTML or entities backslash-escaped.
 */
export function escapeMarkdown(text: string, max = MAX_CELL): string {
  const flat = text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return cut(flat, max).replace(/[\\`*_[\]<>|~&#]/g, (c) => `\\${c}`);
}

/** A GitHub table: header, separator, one line per row; cells are escaped here. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => escapeMarkdown(c)).join(' | ')} |`;
  return [line(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(line)];
}

/** At most `max` rows, then one line saying how many were left out and where they are. */
function capped<T>(items: readonly T[], max: number, where: string): { shown: readonly T[]; more: string[] } {
  if (items.length <= max) return { shown: items, more: [] };
  return { shown: items.slice(0, max), more: [`… and ${items.length - max} more in ${where}`] };
}

/** The whole report.md. */
export function renderMarkdown(doc: ResultDocument): string {
  const checks = doc.suites.flatMap((s) => s.checks.map((c) => ({ suite: s.name, check: c })));
  const count = (st: CheckResult['status']) => checks.filter((c) => c.check.status === st).length;
  const notRun = doc.suites.filter((s) => s.status === 'skipped').map((s) => s.name);
  const lines: string[] = [
    `## ${MARK[doc.verdict]} cache-harness ${doc.verdict.toUpperCase()} (exit ${doc.exit_code})`,
    [
      `spec **${escapeMarkdown(doc.spec.name)}** on ${escapeMarkdown(doc.target.backend)}${doc.target.redis_version ? ` (Redis ${escapeMarkdown(doc.target.redis_version)})` : ''}`,
      `run ${escapeMarkdown(doc.run_id)}`,
      `${escapeMarkdown(doc.started_at)}, ${formatSeconds(doc.duration_ms)}`,
      `${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped, ${count('inconclusive')} inconclusive`,
      ...(notRun.length ? [`suites not run: ${escapeMarkdown(notRun.join(', '), 400)}`] : []),
    ].join(' · '),
  ];

  const errors = [...doc.errors, ...doc.suites.flatMap((s) => s.errors.map((e) => `${s.name}: ${e}`))];
  if (errors.length) {
    const { shown, more } = capped(errors, 3, 'report.html');
    lines.push('', `### Harness errors (${errors.length})`, ...shown.map((e) => `- ${escapeMarkdown(e, 300)}`), ...more);
  }

  for (const [status, title] of [
    ['failed', 'Failed checks'],
    ['inconclusive', 'Inconclusive checks'],
  ] as const) {
    const rows = checks.filter((c) => c.check.status === status);
    if (!rows.length) continue;
    const { shown, more } = capped(rows, MAX_ROWS, 'report.html');
    lines.push(
      '',
      `### ${title} (${rows.length})`,
      ...markdownTable(
        ['suite', 'check', status === 'failed' ? 'failure' : 'why not judged'],
        shown.map(({ suite, check }) => [suite, cut(check.name, 90), check.failure ?? check.reason ?? '']),
      ),
      ...more,
    );
  }

  if (doc.benches?.length) lines.push('', ...sloMarkdown(doc.benches));
  if (doc.comparison) lines.push('', ...comparisonMarkdown(doc.comparison));
  lines.push('', 'Details: report.html · junit.xml · result.json');
  return `${lines.join('\n')}\n`;
}

/** "0.9 / 3.27 ms ✘": a channel's p99 / p99.9, marked by its SLO status. */
function sloCell(s: SloRow | undefined): string {
  if (!s || s.status === 'no-data') return '–';
  const values = SLO_PERCENTILES.map((p) => formatUs(s[percentileKey(p)])).join(' / ');
  return `${values} ${s.status === 'pass' ? '✔' : '✘'}`;
}

const limitsOf = (s: SloRow): string => `${SLO_PERCENTILES.map((p) => s[percentileField(p, '_limit_ms')]).join(' / ')} ms`;

/** One row per bench, one column per channel (p99 / p99.9 measured, limits in the header when every bench shares them). */
export function sloMarkdown(benches: readonly BenchResult[]): string[] {
  const channels = (['mobile', 'web'] as const).filter((ch) => benches.some((b) => b.slo.some((s) => s.channel === ch)));
  const limits = channels.map((ch) => {
    const all = new Set(benches.flatMap((b) => b.slo.filter((s) => s.channel === ch).map(limitsOf)));
    return all.size === 1 ? [...all][0] : undefined;
  });
  const { shown, more } = capped(benches, MAX_ROWS + 2, 'report.html');
  const rows = shown.map((b) => {
    const judged = b.slo.filter((s) => s.status !== 'no-data');
    const verdict = !judged.length
      ? 'no data'
      : judged.some((s) => s.status === 'fail')
        ? b.quality?.disturbed
          ? 'fail, disturbed'
          : 'fail'
        : 'pass';
    const cells = channels.map((ch, i) => {
      const s = b.slo.find((x) => x.channel === ch);
      return limits[i] === undefined && s && s.status !== 'no-data' ? `${sloCell(s)} (limit ${limitsOf(s)})` : sloCell(s);
    });
    return [b.name, ...cells, verdict];
  });
  const head = channels.map((ch, i) => (limits[i] ? `${ch} (limit ${limits[i]})` : ch));
  return [
    `### SLO: ${SLO_PERCENTILES.map(percentileLabel).join(' / ')} per channel`,
    ...markdownTable(['bench', ...head, 'SLO'], rows),
    ...more,
  ];
}

/** A compared value in its unit. */
function comparedValue(v: number, unit: ComparisonMetricRow['unit']): string {
  if (unit === 'us') return formatUs(v);
  if (unit === 'ops/s') return `${Math.round(v)} ops/s`;
  return `${v.toFixed(2)} %`;
}

const signed = (v: number, digits = 1): string => `${v > 0 ? '+' : ''}${v.toFixed(digits)}`;

/** "+31.2 %" (error_rate: percentage points). */
function changeCell(r: ComparisonMetricRow): string {
  const unit = r.metric === 'error_rate' ? ' pp' : ' %';
  if (r.metric === 'error_rate') return `${signed(r.current - r.baseline, 2)}${unit}`;
  return r.change_percent === null ? 'n/a (baseline 0)' : `${signed(r.change_percent)}${unit}`;
}

/** The evidence: "p = 0.0021 (mann-whitney)", "CI [12.0, 48.3] % (bootstrap)", or the note of an untested row. */
function evidenceCell(r: ComparisonMetricRow): string {
  if (r.p_value !== null) return `p = ${r.p_value < 1e-4 ? r.p_value.toExponential(1) : r.p_value.toPrecision(2)} (${r.test})`;
  if (r.interval) return `CI [${r.interval[0].toFixed(1)}, ${r.interval[1].toFixed(1)}] % (${r.test})`;
  // Untested: the note says why (a disturbance is said once per bench, not in each untested row).
  return splitDisturbance(r.note).rest || r.test;
}

/** The latency floors a comparison used, in words ('' for a comparison stored before floors existed). */
export function floorText(c: ComparisonResult): string {
  const f = c.thresholds.floor_us;
  return f
    ? `, and beyond its latency floor (p50 ${f.p50} µs, p99 ${f.p99} µs, p99.9 ${f.p99_9} µs, or the generator's own lateness if larger)`
    : '';
}

/** The header and cells of one compared metric: shared by report.md and `compare --markdown`. */
export const COMPARISON_HEADER = ['bench', 'channel', 'op', 'metric', 'baseline', 'current', 'change', 'threshold', 'evidence'];
export function comparisonCells(r: ComparisonMetricRow): string[] {
  const threshold = `${signed(r.threshold, 0)}${r.metric === 'error_rate' ? ' pp' : ' %'}`;
  return [
    r.bench,
    r.channel,
    r.op,
    r.metric === 'p99_9' ? 'p99.9' : r.metric,
    comparedValue(r.baseline, r.unit),
    comparedValue(r.current, r.unit),
    changeCell(r),
    threshold,
    evidenceCell(r),
  ];
}

export interface ComparisonMarkdownOptions {
  /** `regressions` (default): the regressions only; `all`: every compared metric. */
  rows?: 'regressions' | 'all';
  /** Rows shown before "… and N more" (default 8; Infinity for no cap). */
  maxRows?: number;
  /** Where the rest is, in the "… and N more in <where>" line. */
  where?: string;
}

/**
 * The comparison with a baseline: verdict line, then the regressions (or every row), what was compared
 * and the caveats of a forced comparison. report.md and `cache-harness compare --markdown` both use it.
 */
export function comparisonMarkdown(c: ComparisonResult, opts: ComparisonMarkdownOptions = {}): string[] {
  const which = opts.rows ?? 'regressions';
  const rows = which === 'all' ? c.rows : c.rows.filter((r) => r.verdict === 'regression');
  const base = c.baseline.run_id ?? c.baseline.path;
  const lines = [
    `### Baseline comparison: ${c.verdict === 'regression' ? `❌ ${c.regressions} regression(s)` : c.verdict === 'inconclusive' ? `❔ inconclusive: a measurement was disturbed (${c.regressions} regression(s) in it), so it can neither pass nor fail` : '✅ no regression'}`,
    `${c.rows.length} metric(s) of ${c.benches.length} bench(es) against ${escapeMarkdown(base)} · ${c.improvements} improvement(s) · regression = significantly beyond the threshold at alpha ${c.thresholds.alpha}${floorText(c)}`,
  ];
  if (rows.length) {
    const { shown, more } = capped(rows, opts.maxRows ?? 8, opts.where ?? 'report.html');
    const table = markdownTable(
      which === 'all' ? [...COMPARISON_HEADER, 'verdict'] : COMPARISON_HEADER,
      shown.map((r) => (which === 'all' ? [...comparisonCells(r), r.verdict] : comparisonCells(r))),
    );
    lines.push('', ...table, ...more);
  }
  const notCompared = [...c.only_baseline.map((b) => `${b} (baseline only)`), ...c.only_current.map((b) => `${b} (current only)`)];
  if (notCompared.length) lines.push('', `Not compared: ${escapeMarkdown(notCompared.join(', '), 400)}`);
  if (c.caveats.length)
    lines.push(
      '',
      `Compared with --force despite: ${escapeMarkdown(
        c.caveats.map((v) => `${v.bench} ${v.field} ${v.baseline} → ${v.current}`).join('; '),
        400,
      )}`,
    );
  return lines;
}
