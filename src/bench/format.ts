import type { BenchResult, Comparison, LatencySummary, Quality } from '../report/index.js';

/** µs → "1.23 ms" (3 significant digits; µs below 1 ms). */
export function fmtUs(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  const ms = us / 1000;
  return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

function pad(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')).join('\n');
}

const cols = (s: LatencySummary) => [String(s.count), fmtUs(s.p50_us), fmtUs(s.p90_us), fmtUs(s.p99_us), fmtUs(s.p99_9_us), fmtUs(s.max_us)];

/** The terminal summary of one run: per channel p50/p90/p99/p99.9/max with the SLO verdict, then the run's facts. */
export function formatBench(r: BenchResult): string {
  const lines: string[] = [];
  const load = r.config.target_rate !== undefined ? `${r.config.target_rate} ops/s offered` : `${r.config.inflight} in flight`;
  lines.push(`${r.name} — ${r.mode} loop, ${load}, driver ${r.driver}, ${r.duration_ms / 1000} s measured after ${r.warmup_ms / 1000} s warm-up`);
  // HTTP edge: the rows are the server's µs view; the SLO verdict is on autocannon's (the client's) percentiles.
  const rows = [[r.kind === 'http' ? 'channel (server)' : 'channel', 'ops', 'p50', 'p90', 'p99', 'p99.9', 'max', r.kind === 'http' ? 'SLO (autocannon)' : 'SLO']];
  for (const c of r.channels) {
    const slo = r.slo.find((s) => s.channel === c.channel);
    rows.push([c.channel, ...cols(c), slo ? `${slo.status.toUpperCase()}${slo.status === 'fail' ? ` (${slo.detail})` : ''}` : '']);
  }
  rows.push(['all', ...cols(r.overall), '']);
  lines.push(pad(rows));
  if (r.kind === 'redis') {
    // The split a reader needs before blaming the server: service time from the actual send, and the generator's lag.
    const srows = [['service time (from send)', 'ops', 'p50', 'p90', 'p99', 'p99.9', 'max'], ...r.service_time.filter((c) => c.count > 0).map((c) => [c.channel, ...cols(c)])];
    if (r.schedule) srows.push(['send lag (generator)', ...cols(r.schedule.send_lag)]);
    lines.push(pad(srows));
  }
  const t = r.totals;
  lines.push(`issued ${t.issued} (${t.issued_rate} ops/s) · completed ${t.completed} (${t.completed_rate} ops/s) · errors ${t.errors} · timeouts ${t.timeouts} · GET misses ${t.misses}`);
  if (r.schedule) {
    const s = r.schedule;
    lines.push(`schedule: expected gap ${fmtUs(s.expected_gap_us)}; in-flight bound ${s.max_inflight_per_conn} per connection: ${s.deferred} op(s) waited for room, ${s.unsent} never sent`);
  }
  lines.push(r.saturation.saturated ? `SATURATED: ${r.saturation.reasons.join('; ')}` : 'not saturated: every op was sent on time and answered at the offered rate, no queue built up');
  const g = r.generator;
  const pacing = g.pacing ? `; ${g.pacing.sender_thread ? `sender thread (futex sleep, spin ≤ ${g.pacing.spin_us} µs within ${Math.round(g.pacing.spin_budget * 100)}% of a core, wakes ≥ ${g.pacing.batch_us} µs apart${g.pacing.fine_timer_slack ? ', 1 ns timer slack' : ''})` : 'timer-driven in-thread loop (~1 ms granularity)'}` : '';
  const th = g.threads;
  const split = th && th.receiver_ms !== null ? ` [receiving thread ${th.receiver_ms} ms${th.sender_ms ? `, sender thread ${th.sender_ms} ms of which spinning ${th.sender_spin_ms} ms; ${th.sender_writes} writes, ${th.sender_sleeps} sleeps` : ''}]` : '';
  lines.push(`generator: CPU ${g.cpu_percent}% of one core (user ${g.cpu_user_ms} ms, system ${g.cpu_system_ms} ms over ${g.wall_ms} ms)${split}, ${g.cpu_us_per_op} µs CPU per op, max RSS ${g.max_rss_mb} MB, ${r.config.workers} worker(s)${pacing}`);
  if (r.quality) lines.push(formatQuality(r.quality));
  if (r.http) {
    const a = r.http.autocannon;
    lines.push(`autocannon (client, whole ms): ${Math.round(a.requests_per_s)} req/s, p50 ${a.latency_ms.p50} ms, p90 ${a.latency_ms.p90} ms, p99 ${a.latency_ms.p99} ms, p99.9 ${a.latency_ms.p99_9} ms, max ${a.latency_ms.max} ms`);
    const srows = [['server route', 'ops', 'p50', 'p90', 'p99', 'p99.9', 'max']];
    for (const s of r.http.server) srows.push([`${s.route} ${s.channel}`, ...cols(s)]);
    lines.push(pad(srows));
  }
  if (r.comparison) lines.push(formatComparison(r.comparison));
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

/** One line on how far the measurement can be trusted. */
export function formatQuality(q: Quality): string {
  const m = q.machine;
  const target = q.target_cpu_percent === null ? 'target not on this machine' : `target ${q.target_cpu_percent}% of a core`;
  const facts = `machine ${m.busy_percent}% busy over ${m.cores} cores (${target}, generator ${q.generator_cpu_percent}%, other processes ${m.other_cpu_percent}%), steal ${m.steal_percent}%, target forks ${q.forks}`;
  return q.disturbed ? `measurement DISTURBED: ${q.reasons.join('; ')} — ${facts}` : `measurement clean: ${facts}`;
}

/** The like-for-like comparison: each side's structure, then per tool and op the ratios and both runs' figures. */
export function formatComparison(c: Comparison): string {
  const st = c.structure;
  const lines = [`compared like for like: ${st.connections_per_master} connection(s) per master × ${st.masters} masters, pipeline ${st.pipeline} (${st.inflight_total} in flight), ${st.value_bytes} B values, ${st.keyspace} uniform keys, ${st.duration_s} s per op, ${st.rounds} round(s) (median round shown)`];
  for (const [side, words] of Object.entries(c.sides)) lines.push(`  ${side}: ${words}`);
  const rows = [['tool', 'op', 'ours ops/s', 'theirs ops/s', 'throughput ×', 'ours µs CPU/op', 'theirs µs CPU/op', 'CPU/op ×', 'ours p50/p99', 'theirs p50/p99', 'rounds ×']];
  for (const x of c.rows) {
    rows.push([x.tool, x.op, String(x.ours.ops_per_s), String(x.theirs.ops_per_s), `${x.throughput_ratio.toFixed(2)}×`, x.ours.cpu_us_per_op.toFixed(2), x.theirs.cpu_us_per_op.toFixed(2), `${x.cpu_per_op_ratio.toFixed(2)}×`,
      `${fmtUs(x.ours.p50_us)} / ${fmtUs(x.ours.p99_us)}`, `${fmtUs(x.theirs.p50_us)} / ${fmtUs(x.theirs.p99_us)}`, x.round_ratios.map((v) => v.toFixed(2)).join(' ')]);
  }
  lines.push(pad(rows));
  for (const x of c.rows) lines.push(`  ${x.theirs.command}`);
  lines.push(`  ${c.note}`);
  return lines.join('\n');
}
