import { formatSeconds, formatUs, renderTable, type Align } from '../format/index.js';
import {
  autocannonPercentiles,
  LATENCY_COLUMNS,
  latencyCells,
  PEER_LATENCY_COLUMN,
  peerLatency,
  type BenchResult,
  type Comparison,
  type Quality,
} from '../report/index.js';

/** A label column, the latency columns, then a verdict in words (read left to right, like the label). */
const WITH_VERDICT: readonly Align[] = ['left', ...LATENCY_COLUMNS.map((): Align => 'right'), 'left'];

/** The terminal summary of one run: per channel every summary percentile with the SLO verdict, then the run's facts. */
export function formatBench(r: BenchResult): string {
  const lines: string[] = [];
  const load = r.config.target_rate !== undefined ? `${r.config.target_rate} ops/s offered` : `${r.config.inflight} in flight`;
  lines.push(
    `${r.name} — ${r.mode} loop, ${load}, driver ${r.driver}, ${formatSeconds(r.duration_ms)} measured after ${formatSeconds(r.warmup_ms)} warm-up`,
  );
  // HTTP edge: the rows are the server's µs view; the SLO verdict is on autocannon's (the client's) percentiles.
  const rows = [[r.kind === 'http' ? 'channel (server)' : 'channel', ...LATENCY_COLUMNS, r.kind === 'http' ? 'SLO (autocannon)' : 'SLO']];
  for (const c of r.channels) {
    const slo = r.slo.find((s) => s.channel === c.channel);
    rows.push([c.channel, ...latencyCells(c), slo ? `${slo.status.toUpperCase()}${slo.status === 'fail' ? ` (${slo.detail})` : ''}` : '']);
  }
  rows.push(['all', ...latencyCells(r.overall), '']);
  lines.push(renderTable(rows, { align: WITH_VERDICT }));
  if (r.kind === 'redis') {
    // The split a reader needs before blaming the server: service time from the actual send, and the generator's lag.
    const srows = [
      ['service time (from send)', ...LATENCY_COLUMNS],
      ...r.service_time.filter((c) => c.count > 0).map((c) => [c.channel, ...latencyCells(c)]),
    ];
    if (r.schedule) srows.push(['send lag (generator)', ...latencyCells(r.schedule.send_lag)]);
    lines.push(renderTable(srows));
  }
  const t = r.totals;
  lines.push(
    `issued ${t.issued} (${t.issued_rate} ops/s) · completed ${t.completed} (${t.completed_rate} ops/s) · errors ${t.errors} · timeouts ${t.timeouts} · GET misses ${t.misses}`,
  );
  if (r.schedule) {
    const s = r.schedule;
    lines.push(
      `schedule: expected gap ${formatUs(s.expected_gap_us)}; in-flight bound ${s.max_inflight_per_conn} per connection: ${s.deferred} op(s) waited for room, ${s.unsent} never sent`,
    );
  }
  lines.push(
    r.saturation.saturated
      ? `SATURATED: ${r.saturation.reasons.join('; ')}`
      : 'not saturated: every op was sent on time and answered at the offered rate, no queue built up',
  );
  const g = r.generator;
  const pacing = g.pacing ? `; ${g.pacing.sender_thread ? senderWords(g.pacing) : 'timer-driven in-thread loop (~1 ms granularity)'}` : '';
  const th = g.threads;
  const split =
    th && th.receiver_ms !== null
      ? ` [receiving thread ${th.receiver_ms} ms${th.sender_ms ? `, sender thread ${th.sender_ms} ms of which spinning ${th.sender_spin_ms} ms${th.sender_writes !== undefined ? `; ${th.sender_writes} writes, ${th.sender_sleeps ?? '?'} sleeps` : ''}` : ''}]`
      : '';
  lines.push(
    `generator: CPU ${g.cpu_percent}% of one core (user ${g.cpu_user_ms} ms, system ${g.cpu_system_ms} ms over ${g.wall_ms} ms)${split}, ${g.cpu_us_per_op} µs CPU per op, max RSS ${g.max_rss_mb} MB, ${r.config.workers} worker(s)${pacing}`,
  );
  if (r.quality) lines.push(formatQuality(r.quality));
  if (r.http) {
    const a = r.http.autocannon;
    lines.push(`autocannon (client, whole ms): ${Math.round(a.requests_per_s)} req/s, ${autocannonPercentiles(a.latency_ms).join(', ')}`);
    lines.push(
      renderTable([['server route', ...LATENCY_COLUMNS], ...r.http.server.map((s) => [`${s.route} ${s.channel}`, ...latencyCells(s)])]),
    );
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
  const lines = [
    [
      `compared like for like: ${st.connections_per_master} connection(s) per master × ${st.masters} masters,`,
      `pipeline ${st.pipeline} (${st.inflight_total} in flight), ${st.value_bytes} B values, ${st.keyspace} uniform keys,`,
      `${st.duration_s} s per op, ${st.rounds} round(s) (median round shown)`,
    ].join(' '),
  ];
  for (const [side, words] of Object.entries(c.sides)) lines.push(`  ${side}: ${words}`);
  const rows = [
    [
      'tool',
      'op',
      'ours ops/s',
      'theirs ops/s',
      'throughput ×',
      'ours µs CPU/op',
      'theirs µs CPU/op',
      'CPU/op ×',
      `ours ${PEER_LATENCY_COLUMN}`,
      `theirs ${PEER_LATENCY_COLUMN}`,
      'rounds ×',
    ],
  ];
  for (const x of c.rows) {
    rows.push([
      x.tool,
      x.op,
      String(x.ours.ops_per_s),
      String(x.theirs.ops_per_s),
      `${x.throughput_ratio.toFixed(2)}×`,
      x.ours.cpu_us_per_op.toFixed(2),
      x.theirs.cpu_us_per_op.toFixed(2),
      `${x.cpu_per_op_ratio.toFixed(2)}×`,
      peerLatency(x.ours),
      peerLatency(x.theirs),
      x.round_ratios.map((v) => v.toFixed(2)).join(' '),
    ]);
  }
  lines.push(renderTable(rows, { align: ['left', 'left'] }));
  for (const x of c.rows) lines.push(`  ${x.theirs.command}`);
  lines.push(`  ${c.note}`);
  return lines.join('\n');
}

/** How the sender thread paced the schedule, in words. */
function senderWords(p: NonNullable<BenchResult['generator']['pacing']>): string {
  const slack = p.fine_timer_slack ? ', 1 ns timer slack' : '';
  return `sender thread (futex sleep, spin ≤ ${p.spin_us} µs within ${Math.round(p.spin_budget * 100)}% of a core${p.batch_us !== undefined ? `, wakes ≥ ${p.batch_us} µs apart` : ''}${slack})`;
}
