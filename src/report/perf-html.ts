import { formatSeconds, formatUs } from '../format/duration.js';
import { percentileChartPng, perSecondChartPng } from './charts.js';
import { escapeXml as esc } from './escape.js';
import { classed, html, htmlTable } from './html-table.js';
import { autocannonPercentiles, LATENCY_COLUMNS, latencyCells, PEER_LATENCY_COLUMN, peerLatency } from './latency-text.js';
import { percentileField, percentileKey, percentileLabel } from './percentiles.js';
import { SLO_PERCENTILES, type BenchResult, type LatencySummary, type Quality, type SloRow } from './perf-schema.js';

/** The overview shows the percentiles the SLO judges. */
const SLO_HEAD = SLO_PERCENTILES.map(percentileLabel);
const sloCells = (s: LatencySummary): string[] => SLO_PERCENTILES.map((p) => formatUs(s[percentileKey(p)]));
const sloLimits = (s: SloRow): string => SLO_PERCENTILES.map((p) => `${s[percentileField(p, '_limit_ms')]} ms`).join(' / ');

/**
 * The HTML of the result document's `benches` section: per run the SLO verdict, latency per channel,
 * the percentile curve and per-second p99 charts (PNG data URIs drawn from the document alone), the
 * comparison with redis-benchmark, the HTTP edge, and one row per op × module × channel × plan.
 */
export function renderBenchSection(benches: readonly BenchResult[], opts: { charts?: boolean } = {}): string {
  if (benches.length === 0) return '';
  return `<section id="benches"><h2>Benchmarks</h2>
${benchSummary(benches)}
${benches.map((b, i) => benchBlock(b, i, opts.charts ?? true)).join('\n')}</section>`;
}

function benchSummary(benches: readonly BenchResult[]): string {
  const rows = benches.map((b, i) => {
    const slo = b.slo.filter((s) => s.status !== 'no-data');
    const breached = slo.some((s) => s.status === 'fail');
    // A breach on a disturbed measurement is not a verdict on the cluster: say so where the eye lands.
    const [verdict, cls] = !slo.length
      ? ['no data', 'skipped']
      : !breached
        ? ['pass', 'passed']
        : b.quality?.disturbed
          ? ['fail, disturbed', 'inconclusive']
          : ['fail', 'failed'];
    const load = b.config.target_rate !== undefined ? `${b.config.target_rate} ops/s` : `${b.config.inflight ?? '?'} in flight`;
    const quality = b.quality ? (b.quality.disturbed ? 'disturbed' : 'clean') : '';
    return [
      html(`<a href="#bench-${i}">${esc(b.name)}</a>`),
      b.mode,
      b.driver,
      load,
      b.totals.completed_rate,
      ...sloCells(b.overall),
      classed(verdict, cls),
      classed(quality, quality === 'disturbed' ? 'inconclusive' : ''),
      b.saturation.saturated ? 'yes' : 'no',
    ];
  });
  return htmlTable(['run', 'loop', 'driver', 'load', 'completed ops/s', ...SLO_HEAD, 'SLO', 'measurement', 'saturated'], rows);
}

function benchBlock(b: BenchResult, i: number, charts: boolean): string {
  const load = b.config.target_rate !== undefined ? `${b.config.target_rate} ops/s offered` : `${b.config.inflight ?? '?'} in flight`;
  const parts: string[] = [];
  parts.push(
    `<h3 id="bench-${i}">${esc(b.name)} <small>${esc(b.mode)} loop · ${esc(load)} · driver ${esc(b.driver)} · ${b.config.workers} worker(s) · ${formatSeconds(b.duration_ms)} after ${formatSeconds(b.warmup_ms)} warm-up · profile ${esc(b.profile)} · ${esc(b.started_at)}</small></h3>`,
  );
  if (b.kind === 'http')
    parts.push("<p>Rows: the API server's own µs histogram. SLO verdict: autocannon's client-side percentiles (whole ms).</p>");
  const channelRows = b.channels.map((c) => {
    const s = b.slo.find((x) => x.channel === c.channel);
    const cls = s?.status === 'pass' ? 'passed' : s?.status === 'fail' ? 'failed' : 'skipped';
    return [
      c.channel,
      ...latencyCells(c),
      s ? sloLimits(s) : '',
      classed(s ? `${s.status}${s.status === 'fail' ? `: ${s.detail}` : ''}` : '', cls),
    ];
  });
  channelRows.push([html('<b>all</b>'), ...latencyCells(b.overall), '', '']);
  parts.push(
    htmlTable(['channel', ...LATENCY_COLUMNS, `SLO (${SLO_PERCENTILES.map(percentileLabel).join(' / ')})`, 'verdict'], channelRows),
  );
  if (b.kind === 'redis') {
    // The split that keeps a reader from blaming the server for the generator: service time from the actual send, and the send lag.
    const rows = b.service_time.filter((c) => c.count > 0).map((c) => [`service time, ${c.channel}`, ...latencyCells(c)]);
    if (b.schedule) rows.push(['send lag (generator)', ...latencyCells(b.schedule.send_lag)]);
    parts.push(htmlTable(['from the actual send', ...LATENCY_COLUMNS], rows));
  }
  const t = b.totals;
  const g = b.generator;
  parts.push(
    `<p>issued ${t.issued} (${t.issued_rate} ops/s) · completed ${t.completed} (${t.completed_rate} ops/s) · errors ${t.errors} · timeouts ${t.timeouts} · misses ${t.misses} · generator CPU ${g.cpu_percent}% of a core, ${g.cpu_us_per_op} µs/op, max RSS ${g.max_rss_mb} MB</p>`,
  );
  if (b.schedule) {
    const s = b.schedule;
    parts.push(
      `<p>schedule: expected gap ${esc(formatUs(s.expected_gap_us))} · in-flight bound ${s.max_inflight_per_conn} per connection: ${s.deferred} op(s) waited for room, ${s.unsent} never sent</p>`,
    );
  }
  parts.push(
    b.saturation.saturated
      ? `<p class="finding warning"><b>saturated</b>: ${esc(b.saturation.reasons.join('; '))}</p>`
      : '<p>not saturated: every op sent on time and answered at the offered rate, no queue built up</p>',
  );
  if (b.quality) parts.push(qualityBlock(b.quality));
  if (b.warnings.length) parts.push(`<ul>${b.warnings.map((w) => `<li class="finding warning">${esc(w)}</li>`).join('')}</ul>`);
  if (charts) {
    const imgs: string[] = [];
    if (b.curves.length)
      imgs.push(
        `<img alt="latency by percentile" width="760" height="340" src="${percentileChartPng(b.curves, `${b.name}: latency by percentile`)}">`,
      );
    if (b.per_second.length)
      imgs.push(
        `<img alt="p99 per second" width="760" height="340" src="${perSecondChartPng(b.per_second, `${b.name}: p99 per second`)}">`,
      );
    if (imgs.length) parts.push(`<div class="charts">${imgs.join('\n')}</div>`);
  }
  if (b.comparison) {
    const c = b.comparison;
    const st = c.structure;
    parts.push(`<h4>Like for like: ${st.connections_per_master} connection(s) per master × ${st.masters}, pipeline ${st.pipeline} (${st.inflight_total} in flight), ${st.value_bytes} B, ${st.keyspace} keys, ${st.duration_s} s per op, median of ${st.rounds} round(s)</h4>
<ul>${Object.entries(c.sides)
      .map(([side, words]) => `<li><b>${esc(side)}</b>: ${esc(words)}</li>`)
      .join('')}</ul>
${comparisonTable(c)}
<p>${c.rows.map((r) => `<code>${esc(r.theirs.command)}</code>`).join('<br>')}<br>${esc(c.note)}</p>`);
  }
  if (b.http) {
    const h = b.http;
    const a = h.autocannon;
    parts.push(`<h4>HTTP edge (${esc(h.url)}, ${h.connections} connections, ${esc(h.backend)})</h4>
<p>autocannon (client, whole ms): ${Math.round(a.requests_per_s)} req/s · ${autocannonPercentiles(a.latency_ms).join(' · ')} · errors ${a.errors} · timeouts ${a.timeouts} · non-2xx ${a.non_2xx}</p>
${htmlTable(
  ['server route', 'channel', ...LATENCY_COLUMNS],
  h.server.map((s) => [s.route, s.channel, ...latencyCells(s)]),
)}`);
  }
  if (b.groups.length) {
    parts.push(`<details><summary>per op × module × channel × plan (${b.groups.length})</summary>
${htmlTable(
  ['op', 'module', 'channel', 'plan', ...LATENCY_COLUMNS],
  b.groups.map((g) => [g.op, g.module, g.channel, g.plan, ...latencyCells(g)]),
)}</details>`);
  }
  const errors = Object.entries(b.errors_by_message);
  if (errors.length) parts.push(htmlTable(['error', 'count'], errors));
  return `<div class="bench">${parts.join('\n')}</div>`;
}

/** Ours against a peer tool, op by op: throughput, CPU per op, latency, and each round's ratio. */
function comparisonTable(c: NonNullable<BenchResult['comparison']>): string {
  const header = ['tool', 'op', 'ours ops/s', 'theirs ops/s', 'throughput ×', 'ours µs CPU/op', 'theirs µs CPU/op', 'CPU/op ×'];
  return htmlTable(
    [...header, `ours ${PEER_LATENCY_COLUMN}`, `theirs ${PEER_LATENCY_COLUMN}`, 'each round ×'],
    c.rows.map((r) => [
      r.tool,
      r.op,
      r.ours.ops_per_s,
      r.theirs.ops_per_s,
      `${r.throughput_ratio.toFixed(2)}×`,
      r.ours.cpu_us_per_op.toFixed(2),
      r.theirs.cpu_us_per_op.toFixed(2),
      `${r.cpu_per_op_ratio.toFixed(2)}×`,
      peerLatency(r.ours),
      peerLatency(r.theirs),
      r.round_ratios.map((v) => v.toFixed(2)).join(' '),
    ]),
  );
}

/** How far the measurement can be trusted: what else ran, steal, forks, the generator's lag. */
function qualityBlock(q: Quality): string {
  const m = q.machine;
  const cells = [
    ['machine busy', `${m.busy_percent}% of ${m.cores} cores`],
    ['target CPU', q.target_cpu_percent === null ? 'not on this machine' : `${q.target_cpu_percent}% of a core`],
    ['generator CPU', `${q.generator_cpu_percent}% of a core`],
    ['other processes', `${m.other_cpu_percent}% of a core (limit ${q.thresholds.other_cpu_percent}%)`],
    ['steal', `${m.steal_percent}% (limit ${q.thresholds.steal_percent}%)`],
    ['target forks', `${q.forks}${q.fork_nodes.length ? ` (${q.fork_nodes.join(', ')})` : ''} (limit ${q.thresholds.forks})`],
    ['send lag p99', `${formatUs(q.send_lag_p99_us)} (limit ${formatUs(q.thresholds.send_lag_p99_us)})`],
  ];
  const head = q.disturbed
    ? `<p class="finding error"><b>measurement disturbed</b>: ${esc(q.reasons.join('; '))}</p>`
    : '<p class="passed">measurement clean: nothing else loaded the machine beyond the limits</p>';
  return `<h4>Measurement quality (${formatSeconds(q.window_ms)} window)</h4>${head}${htmlTable([], cells)}`;
}

/** CSS for the section; html.ts appends it to the report's own CSS. */
export const PERF_CSS =
  '.bench{margin:10px 0 24px}.charts img{max-width:100%;height:auto;margin:4px 8px 4px 0;border:1px solid #dde}details{margin:6px 0}h4{margin:10px 0 4px}';
