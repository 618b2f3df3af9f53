import { percentileChartPng, perSecondChartPng } from './charts.js';
import { escapeXml as esc } from './escape.js';
import type { BenchResult, LatencySummary, Quality } from './perf-schema.js';

const ms = (us: number) => (us < 1000 ? `${Math.round(us)} µs` : `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`);

function latencyCells(s: LatencySummary): string {
  return [String(s.count), ms(s.p50_us), ms(s.p90_us), ms(s.p99_us), ms(s.p99_9_us), ms(s.max_us)].map((c) => `<td>${esc(c)}</td>`).join('');
}

const LAT_HEAD = '<th>ops</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th>';

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
    const [verdict, cls] = !slo.length ? ['no data', 'skipped'] : !breached ? ['pass', 'passed'] : b.quality?.disturbed ? ['fail, disturbed', 'inconclusive'] : ['fail', 'failed'];
    const load = b.config.target_rate !== undefined ? `${b.config.target_rate} ops/s` : `${b.config.inflight ?? '?'} in flight`;
    const quality = b.quality ? (b.quality.disturbed ? 'disturbed' : 'clean') : '';
    return `<tr><td><a href="#bench-${i}">${esc(b.name)}</a></td><td>${esc(b.mode)}</td><td>${esc(b.driver)}</td><td>${esc(load)}</td><td>${b.totals.completed_rate}</td><td>${esc(ms(b.overall.p99_us))}</td><td>${esc(ms(b.overall.p99_9_us))}</td><td class="${cls}">${verdict}</td><td class="${quality === 'disturbed' ? 'inconclusive' : ''}">${quality}</td><td>${b.saturation.saturated ? 'yes' : 'no'}</td></tr>`;
  });
  return `<table><tr><th>run</th><th>loop</th><th>driver</th><th>load</th><th>completed ops/s</th><th>p99</th><th>p99.9</th><th>SLO</th><th>measurement</th><th>saturated</th></tr>${rows.join('')}</table>`;
}

function benchBlock(b: BenchResult, i: number, charts: boolean): string {
  const load = b.config.target_rate !== undefined ? `${b.config.target_rate} ops/s offered` : `${b.config.inflight ?? '?'} in flight`;
  const parts: string[] = [];
  parts.push(`<h3 id="bench-${i}">${esc(b.name)} <small>${esc(b.mode)} loop · ${esc(load)} · driver ${esc(b.driver)} · ${b.config.workers} worker(s) · ${(b.duration_ms / 1000).toFixed(1)} s after ${(b.warmup_ms / 1000).toFixed(1)} s warm-up · profile ${esc(b.profile)} · ${esc(b.started_at)}</small></h3>`);
  if (b.kind === 'http') parts.push('<p>Rows: the API server\'s own µs histogram. SLO verdict: autocannon\'s client-side percentiles (whole ms).</p>');
  parts.push(`<table><tr><th>channel</th>${LAT_HEAD}<th>SLO (p99 / p99.9)</th><th>verdict</th></tr>${b.channels.map((c) => {
    const s = b.slo.find((x) => x.channel === c.channel);
    const cls = s?.status === 'pass' ? 'passed' : s?.status === 'fail' ? 'failed' : 'skipped';
    return `<tr><td>${esc(c.channel)}</td>${latencyCells(c)}<td>${s ? `${s.p99_limit_ms} ms / ${s.p99_9_limit_ms} ms` : ''}</td><td class="${cls}">${esc(s ? `${s.status}${s.status === 'fail' ? `: ${s.detail}` : ''}` : '')}</td></tr>`;
  }).join('')}<tr><td><b>all</b></td>${latencyCells(b.overall)}<td></td><td></td></tr></table>`);
  if (b.kind === 'redis') {
    // The split that keeps a reader from blaming the server for the generator: service time from the actual send, and the send lag.
    const rows = b.service_time.filter((c) => c.count > 0).map((c) => `<tr><td>service time, ${esc(c.channel)}</td>${latencyCells(c)}</tr>`);
    if (b.schedule) rows.push(`<tr><td>send lag (generator)</td>${latencyCells(b.schedule.send_lag)}</tr>`);
    parts.push(`<table><tr><th>from the actual send</th>${LAT_HEAD}</tr>${rows.join('')}</table>`);
  }
  const t = b.totals;
  const g = b.generator;
  parts.push(`<p>issued ${t.issued} (${t.issued_rate} ops/s) · completed ${t.completed} (${t.completed_rate} ops/s) · errors ${t.errors} · timeouts ${t.timeouts} · misses ${t.misses} · generator CPU ${g.cpu_percent}% of a core, ${g.cpu_us_per_op} µs/op, max RSS ${g.max_rss_mb} MB</p>`);
  if (b.schedule) {
    const s = b.schedule;
    parts.push(`<p>schedule: expected gap ${esc(ms(s.expected_gap_us))} · in-flight bound ${s.max_inflight_per_conn} per connection: ${s.deferred} op(s) waited for room, ${s.unsent} never sent</p>`);
  }
  parts.push(b.saturation.saturated
    ? `<p class="finding warning"><b>saturated</b>: ${esc(b.saturation.reasons.join('; '))}</p>`
    : '<p>not saturated: every op sent on time and answered at the offered rate, no queue built up</p>');
  if (b.quality) parts.push(qualityBlock(b.quality));
  if (b.warnings.length) parts.push(`<ul>${b.warnings.map((w) => `<li class="finding warning">${esc(w)}</li>`).join('')}</ul>`);
  if (charts) {
    const imgs: string[] = [];
    if (b.curves.length) imgs.push(`<img alt="latency by percentile" width="760" height="340" src="${percentileChartPng(b.curves, `${b.name}: latency by percentile`)}">`);
    if (b.per_second.length) imgs.push(`<img alt="p99 per second" width="760" height="340" src="${perSecondChartPng(b.per_second, `${b.name}: p99 per second`)}">`);
    if (imgs.length) parts.push(`<div class="charts">${imgs.join('\n')}</div>`);
  }
  if (b.comparison) {
    const c = b.comparison;
    const st = c.structure;
    parts.push(`<h4>Like for like: ${st.connections_per_master} connection(s) per master × ${st.masters}, pipeline ${st.pipeline} (${st.inflight_total} in flight), ${st.value_bytes} B, ${st.keyspace} keys, ${st.duration_s} s per op, median of ${st.rounds} round(s)</h4>
<ul>${Object.entries(c.sides).map(([side, words]) => `<li><b>${esc(side)}</b>: ${esc(words)}</li>`).join('')}</ul>
<table><tr><th>tool</th><th>op</th><th>ours ops/s</th><th>theirs ops/s</th><th>throughput ×</th><th>ours µs CPU/op</th><th>theirs µs CPU/op</th><th>CPU/op ×</th><th>ours p50 / p99</th><th>theirs p50 / p99</th><th>each round ×</th></tr>${c.rows.map((r) => `<tr><td>${esc(r.tool)}</td><td>${esc(r.op)}</td><td>${r.ours.ops_per_s}</td><td>${r.theirs.ops_per_s}</td><td>${r.throughput_ratio.toFixed(2)}×</td><td>${r.ours.cpu_us_per_op.toFixed(2)}</td><td>${r.theirs.cpu_us_per_op.toFixed(2)}</td><td>${r.cpu_per_op_ratio.toFixed(2)}×</td><td>${esc(`${ms(r.ours.p50_us)} / ${ms(r.ours.p99_us)}`)}</td><td>${esc(`${ms(r.theirs.p50_us)} / ${ms(r.theirs.p99_us)}`)}</td><td>${esc(r.round_ratios.map((v) => v.toFixed(2)).join(' '))}</td></tr>`).join('')}</table>
<p>${c.rows.map((r) => `<code>${esc(r.theirs.command)}</code>`).join('<br>')}<br>${esc(c.note)}</p>`);
  }
  if (b.http) {
    const h = b.http;
    const a = h.autocannon;
    parts.push(`<h4>HTTP edge (${esc(h.url)}, ${h.connections} connections, ${esc(h.backend)})</h4>
<p>autocannon (client, whole ms): ${Math.round(a.requests_per_s)} req/s · p50 ${a.latency_ms.p50} ms · p90 ${a.latency_ms.p90} ms · p99 ${a.latency_ms.p99} ms · p99.9 ${a.latency_ms.p99_9} ms · max ${a.latency_ms.max} ms · errors ${a.errors} · timeouts ${a.timeouts} · non-2xx ${a.non_2xx}</p>
<table><tr><th>server route</th><th>channel</th>${LAT_HEAD}</tr>${h.server.map((s) => `<tr><td>${esc(s.route)}</td><td>${esc(s.channel)}</td>${latencyCells(s)}</tr>`).join('')}</table>`);
  }
  if (b.groups.length) {
    parts.push(`<details><summary>per op × module × channel × plan (${b.groups.length})</summary>
<table><tr><th>op</th><th>module</th><th>channel</th><th>plan</th>${LAT_HEAD}</tr>${b.groups.map((g) => `<tr><td>${esc(g.op)}</td><td>${esc(g.module)}</td><td>${esc(g.channel)}</td><td>${esc(g.plan)}</td>${latencyCells(g)}</tr>`).join('')}</table></details>`);
  }
  const errors = Object.entries(b.errors_by_message);
  if (errors.length) parts.push(`<table><tr><th>error</th><th>count</th></tr>${errors.map(([m, n]) => `<tr><td>${esc(m)}</td><td>${n}</td></tr>`).join('')}</table>`);
  return `<div class="bench">${parts.join('\n')}</div>`;
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
    ['send lag p99', `${ms(q.send_lag_p99_us)} (limit ${ms(q.thresholds.send_lag_p99_us)})`],
  ];
  const head = q.disturbed ? `<p class="finding error"><b>measurement disturbed</b>: ${esc(q.reasons.join('; '))}</p>` : '<p class="passed">measurement clean: nothing else loaded the machine beyond the limits</p>';
  return `<h4>Measurement quality (${(q.window_ms / 1000).toFixed(1)} s window)</h4>${head}<table>${cells.map(([k, v]) => `<tr><td>${esc(k ?? '')}</td><td>${esc(v ?? '')}</td></tr>`).join('')}</table>`;
}

/** CSS for the section (the lead can append it to html.ts's CSS). */
export const PERF_CSS = '.bench{margin:10px 0 24px}.charts img{max-width:100%;height:auto;margin:4px 8px 4px 0;border:1px solid #dde}details{margin:6px 0}h4{margin:10px 0 4px}';
