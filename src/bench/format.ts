import type { BenchResult, LatencySummary } from '../report/index.js';

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
  const t = r.totals;
  lines.push(`issued ${t.issued} (${t.issued_rate} ops/s) · completed ${t.completed} (${t.completed_rate} ops/s) · errors ${t.errors} · timeouts ${t.timeouts} · GET misses ${t.misses}`);
  if (r.schedule) {
    const s = r.schedule;
    lines.push(`schedule: expected gap ${fmtUs(s.expected_gap_us)}; send gap p50 ${fmtUs(s.send_gap.p50_us)} p99 ${fmtUs(s.send_gap.p99_us)}; send lag p50 ${fmtUs(s.send_lag.p50_us)} p99 ${fmtUs(s.send_lag.p99_us)} max ${fmtUs(s.send_lag.max_us)}; largest burst ${s.max_burst} op(s)`);
  }
  const g = r.generator;
  lines.push(`generator: CPU ${g.cpu_percent}% of one core (user ${g.cpu_user_ms} ms, system ${g.cpu_system_ms} ms over ${g.wall_ms} ms), ${g.cpu_us_per_op} µs CPU per op, ${r.config.workers} worker(s)`);
  if (r.http) {
    const a = r.http.autocannon;
    lines.push(`autocannon (client, whole ms): ${Math.round(a.requests_per_s)} req/s, p50 ${a.latency_ms.p50} ms, p90 ${a.latency_ms.p90} ms, p99 ${a.latency_ms.p99} ms, p99.9 ${a.latency_ms.p99_9} ms, max ${a.latency_ms.max} ms`);
    const srows = [['server route', 'ops', 'p50', 'p90', 'p99', 'p99.9', 'max']];
    for (const s of r.http.server) srows.push([`${s.route} ${s.channel}`, ...cols(s)]);
    lines.push(pad(srows));
  }
  if (r.comparison) {
    const c = r.comparison;
    lines.push(`vs redis-benchmark (${c.inflight} in flight, ${c.value_bytes} B values, ${c.requests} requests, ${c.keyspace} keys):`);
    const crows = [['op', 'ours ops/s', 'ours p50', 'ours p99', 'ours CPU', 'redis-benchmark ops/s', 'rb p50', 'rb p99', 'ratio']];
    for (const x of c.rows) {
      crows.push([x.op, String(x.ours_ops_per_s), fmtUs(x.ours_p50_us), fmtUs(x.ours_p99_us), `${x.ours_cpu_percent}%`, String(x.redis_benchmark_ops_per_s), `${x.redis_benchmark_p50_ms} ms`, `${x.redis_benchmark_p99_ms} ms`, `${x.ratio.toFixed(2)}×`]);
    }
    lines.push(pad(crows));
    lines.push(`  ${c.redis_benchmark_command}`);
    lines.push(`  ${c.note}`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}
