import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { formatSeconds, formatUs } from '../format/duration.js';
import { renderChartPng } from './charts.js';
import { escapeXml as esc } from './escape.js';
import { classed, html, htmlTable } from './html-table.js';
import { readResultFile } from './read-result.js';
import type { BenchResult } from './perf-schema.js';
import type { ResultDocument } from './result.js';

/**
 * reports/index.html: every run of a reports folder (each subfolder holding a result.json), newest first,
 * and per bench a trend of p99 / p99.9 / achieved throughput across the runs. Rendered from the result
 * documents alone; a folder whose result.json cannot be read is listed as unreadable, never fatal.
 */

export const INDEX_FILE = 'index.html';
export const RESULT_FILE = 'result.json';

/** One run of the folder: its document, or why it could not be read. */
export type RunEntry = { folder: string; time: string } & ({ doc: ResultDocument } | { problem: string });

/** Every subfolder of `reportsDir` with a result.json, newest first (by started_at; an unreadable one by its file's mtime). */
export function loadRuns(reportsDir: string): RunEntry[] {
  const runs: RunEntry[] = [];
  for (const entry of readdirSync(reportsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(reportsDir, entry.name, RESULT_FILE);
    if (!existsSync(path)) continue;
    try {
      const doc = readResultFile(path);
      runs.push({ folder: entry.name, time: doc.started_at, doc });
    } catch (err) {
      runs.push({ folder: entry.name, time: statSync(path).mtime.toISOString(), problem: errorMessage(err) });
    }
  }
  return runs.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : a.folder.localeCompare(b.folder)));
}

/** Write reportsDir/index.html from the runs in it; returns its path. */
export function writeIndex(reportsDir: string): string {
  const path = join(reportsDir, INDEX_FILE);
  writeFileSync(path, renderIndexHtml(loadRuns(reportsDir)));
  return path;
}

/** A perf retry's name ("mobile open loop (attempt 2: …)") → the bench it retried ("mobile open loop"). */
export function benchKey(name: string): string {
  return name.replace(/ \(attempt \d+\b.*\)$/s, '');
}

/** Per run, each bench once: the last attempt of a retried bench is the one its verdict rests on. */
function benchesOf(doc: ResultDocument): Map<string, BenchResult> {
  const out = new Map<string, BenchResult>();
  for (const b of doc.benches ?? []) out.set(benchKey(b.name), b);
  return out;
}

/** The runs a trend chart draws at most (the newest). */
const TREND_RUNS = 60;

export interface TrendPoint {
  run: string;
  time: string;
  p99_us: number;
  p99_9_us: number;
  throughput: number;
}

/** Per bench (retries folded into their bench), its points across the readable runs, oldest first. */
export function benchTrends(runs: readonly RunEntry[]): Map<string, TrendPoint[]> {
  const trends = new Map<string, TrendPoint[]>();
  const readable = runs.flatMap((r) => ('doc' in r ? [r.doc] : [])).slice(0, TREND_RUNS);
  for (const doc of [...readable].reverse())
    for (const [name, b] of benchesOf(doc)) {
      const points = trends.get(name) ?? [];
      points.push({
        run: doc.run_id,
        time: doc.started_at,
        p99_us: b.overall.p99_us,
        p99_9_us: b.overall.p99_9_us,
        throughput: b.totals.completed_rate,
      });
      trends.set(name, points);
    }
  return trends;
}

/** "11-30 00:14": a run's x label, short enough for 60 of them. */
const shortTime = (iso: string): string => iso.slice(5, 16).replace('T', ' ');

function trendChartPng(name: string, points: readonly TrendPoint[]): string {
  const series = (label: string, color: string, axis: 'y' | 'y1', values: number[], dash?: number[]) => ({
    label,
    data: values,
    yAxisID: axis,
    borderColor: color,
    backgroundColor: color,
    pointRadius: 3,
    borderWidth: 2,
    ...(dash ? { borderDash: dash } : {}),
  });
  return renderChartPng(
    {
      type: 'line',
      data: {
        labels: points.map((p) => shortTime(p.time)),
        datasets: [
          series(
            'p99 (ms)',
            '#1f6fd1',
            'y',
            points.map((p) => p.p99_us / 1000),
          ),
          series(
            'p99.9 (ms)',
            '#d0741b',
            'y',
            points.map((p) => p.p99_9_us / 1000),
          ),
          series(
            'completed ops/s',
            '#2a9d5a',
            'y1',
            points.map((p) => p.throughput),
            [6, 4],
          ),
        ],
      },
      options: {
        plugins: { title: { display: true, text: `${name}: across runs (oldest → newest)` }, legend: { position: 'bottom' } },
        scales: {
          x: { title: { display: true, text: 'run (started, UTC)' } },
          y: { type: 'logarithmic', position: 'left', title: { display: true, text: 'latency (ms)' } },
          y1: {
            type: 'linear',
            position: 'right',
            beginAtZero: true,
            grid: { drawOnChartArea: false },
            title: { display: true, text: 'ops/s' },
          },
        },
      },
    },
    { width: 760, height: 320 },
  );
}

const STATUS_CLASS: Record<ResultDocument['verdict'], string> = {
  pass: 'passed',
  fail: 'failed',
  error: 'failed',
  inconclusive: 'inconclusive',
};

function runRow(r: RunEntry): Array<ReturnType<typeof html> | string | number> {
  const link = (file: string) => `<a href="${esc(encodeURIComponent(r.folder))}/${file}">${file}</a>`;
  if (!('doc' in r))
    return [
      r.time.replace('T', ' ').slice(0, 19),
      classed('unreadable', 'failed'),
      '',
      '',
      '',
      html(`<small>${esc(r.folder)}</small>`),
      classed(r.problem, 'failed'),
    ];
  const d = r.doc;
  const checks = d.suites.flatMap((s) => s.checks);
  const failed = checks.filter((c) => c.status === 'failed').length;
  const inconclusive = checks.filter((c) => c.status === 'inconclusive').length;
  const benches = [...benchesOf(d)].map(
    ([name, b]) =>
      `${name}: p99 ${formatUs(b.overall.p99_us)}, p99.9 ${formatUs(b.overall.p99_9_us)}, ${Math.round(b.totals.completed_rate)} ops/s`,
  );
  return [
    d.started_at.replace('T', ' ').slice(0, 19),
    classed(d.verdict, STATUS_CLASS[d.verdict]),
    formatSeconds(d.duration_ms),
    failed,
    inconclusive,
    html(`${link('report.html')} · ${link('report.md')}<br><small>${esc(`${d.spec.name} on ${d.target.backend} · ${r.folder}`)}</small>`),
    html(
      [
        ...(d.comparison
          ? [
              esc(
                `vs baseline: ${d.comparison.verdict === 'pass' ? 'no regression' : `${d.comparison.regressions} regression(s)${d.comparison.verdict === 'inconclusive' ? ' (disturbed: inconclusive)' : ''}`}`,
              ),
            ]
          : []),
        ...benches.map((b) => `<small>${esc(b)}</small>`),
      ].join('<br>'),
    ),
  ];
}

/** The index page: the runs table, then one trend chart per bench. */
export function renderIndexHtml(runs: readonly RunEntry[]): string {
  const trends = benchTrends(runs);
  const charts = [...trends]
    .filter(([, points]) => points.length > 0)
    .map(
      ([name, points]) => `<img alt="${esc(`${name}: trend across runs`)}" width="760" height="320" src="${trendChartPng(name, points)}">`,
    );
  const unreadable = runs.filter((r) => !('doc' in r)).length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cache-harness runs</title>
<style>${CSS}</style></head>
<body>
<header><h1>cache-harness runs</h1><p>${runs.length} run(s), newest first${unreadable ? ` · ${unreadable} unreadable` : ''}</p></header>
<section><h2>Trends per bench</h2>${
    charts.length
      ? `<p>p99 and p99.9 of all ops (left axis, log) and completed ops/s (right axis) of each bench, over the newest ${TREND_RUNS} readable runs; a retried perf bench counts its last attempt.</p><div class="charts">${charts.join('\n')}</div>`
      : '<p>No run with benchmarks yet.</p>'
  }</section>
<section><h2>Runs</h2>${
    runs.length
      ? htmlTable(
          ['started (UTC)', 'verdict', 'duration', 'failed checks', 'inconclusive', 'report', 'benches (p99, p99.9, completed ops/s)'],
          runs.map(runRow),
        )
      : '<p>No run yet: no subfolder with a result.json.</p>'
  }</section>
</body></html>
`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330}header{padding:16px 24px;background:#1d2330;color:#fff}header h1{margin:0 0 4px}
section{padding:8px 24px}h2{border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ccd;padding:3px 8px;text-align:left;font-size:13px;vertical-align:top}th{background:#eef}
.passed{color:#1f7a3a;font-weight:bold}.failed{color:#b3261e;font-weight:bold}.inconclusive{color:#5b3f9a;font-weight:bold}small{color:#667}
.charts img{max-width:100%;height:auto;margin:4px 8px 4px 0;border:1px solid #dde}`;
