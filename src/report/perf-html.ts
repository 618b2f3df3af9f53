import { percentileChartPng, perSecondChartPng } from './charts.js';
import { escapeXml as esc } from './escape.js';
import type { BenchResult, LatencySummary } from './perf-schema.js';

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
    const verdict = slo.some((s) => s.status === 'fail') ? 'fail' : slo.length ? 'pass' : 'skipped';
    const load = b.config.target_rate !== undefined ? `${b.config.target_rate} ops/s` : `${b.config.inflight ?? '?'} in flight`;
    return `<tr><td><a href="#bench-${i}">${esc(b.name)}</a></td><td>${esc(b.mode)}</td><td>${esc(b.driver)}</td><td>${esc(load)}</td><td>${b.totals.completed_rate}</td><td>${esc(ms(b.overall.p99_us))}</td><td>${esc(ms(b.overall.p99_9_us))}</td><td class="${verdict === 'pass' ? 'passed' : verdict === 'fail' ? 'failed' : 'skipped'}">${verdict}</td></tr>`;
  });
  return `<table><tr><th>run</th><th>loop</th><th>driver</th><th>load</th><th>completed ops/s</th><th>p99</th><th>p99.9</th><th>SLO</th></tr>${rows.join('')}</table>`;
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
  const t = b.totals;
  const g = b.generator;
  parts.push(`<p>issued ${t.issued} (${t.issued_rate} ops/s) · completed ${t.completed} (${t.completed_rate} ops/s) · errors ${t.errors} · timeouts ${t.timeouts} · misses ${t.misses} · generator CPU ${g.cpu_percent}% of a core, ${g.cpu_us_per_op} µs/op</p>`);
  if (b.schedule) {
    const s = b.schedule;
    parts.push(`<p>schedule: expected gap ${esc(ms(s.expected_gap_us))} · send gap p50 ${esc(ms(s.send_gap.p50_us))}, p99 ${esc(ms(s.send_gap.p99_us))} · send lag p50 ${esc(ms(s.send_lag.p50_us))}, p99 ${esc(ms(s.send_lag.p99_us))}, max ${esc(ms(s.send_lag.max_us))} · largest burst ${s.max_burst}</p>`);
  }
  if (b.warnings.length) parts.push(`<ul>${b.warnings.map((w) => `<li class="finding warning">${esc(w)}</li>`).join('')}</ul>`);
  if (charts) {
    const imgs: string[] = [];
    if (b.curves.length) imgs.push(`<img alt="latency by percentile" width="760" height="340" src="${percentileChartPng(b.curves, `${b.name}: latency by percentile`)}">`);
    if (b.per_second.length) imgs.push(`<img alt="p99 per second" width="760" height="340" src="${perSecondChartPng(b.per_second, `${b.name}: p99 per second`)}">`);
    if (imgs.length) parts.push(`<div class="charts">${imgs.join('\n')}</div>`);
  }
  if (b.comparison) {
    const c = b.comparison;
    parts.push(`<h4>Against redis-benchmark (${c.inflight} in flight, ${c.value_bytes} B, ${c.requests} requests, ${c.keyspace} keys)</h4>
<table><tr><th>op</th><th>ours ops/s</th><th>ours p50</th><th>ours p99</th><th>ours CPU</th><th>redis-benchmark ops/s</th><th>rb p50</th><th>rb p99</th><th>ratio</th></tr>${c.rows.map((r) => `<tr><td>${esc(r.op)}</td><td>${r.ours_ops_per_s}</td><td>${esc(ms(r.ours_p50_us))}</td><td>${esc(ms(r.ours_p99_us))}</td><td>${r.ours_cpu_percent}%</td><td>${r.redis_benchmark_ops_per_s}</td><td>${r.redis_benchmark_p50_ms} ms</td><td>${r.redis_benchmark_p99_ms} ms</td><td>${r.ratio.toFixed(2)}×</td></tr>`).join('')}</table>
<p><code>${esc(c.redis_benchmark_command)}</code><br>${esc(c.note)}</p>`);
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

/** CSS for the section (the lead can append it to html.ts's CSS). */
export const PERF_CSS = '.bench{margin:10px 0 24px}.charts img{max-width:100%;height:auto;margin:4px 8px 4px 0;border:1px solid #dde}details{margin:6px 0}h4{margin:10px 0 4px}';
