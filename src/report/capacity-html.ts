import type { CapacityDocument, Sweep } from '../capacity/schema.js';
import { formatSeconds, formatUs } from '../format/duration.js';
import { rateLatencyChartPng } from './charts.js';
import { escapeXml as esc } from './escape.js';
import { classed, htmlTable } from './html-table.js';
import { REPORT_CSS } from './html.js';
import { PERF_CSS } from './perf-html.js';

const MiB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(bytes < 10 * MiB ? 2 : 1)} MiB`;
const share = (x: number | null): string => (x === null ? '' : `${(100 * x).toFixed(1)}%`);
const optional = (x: number | undefined, f: (v: number) => string): string => (x === undefined ? '' : f(x));
const rate = (x: number | null): string => (x === null ? '' : `${Math.round(x)}`);
/** Headroom in the report's status colours: below 0 (over the limit) failed, below 20% inconclusive, else passed. */
const headroom = (x: number | null) =>
  x === null ? '' : classed(`${x.toFixed(1)}%`, x < 0 ? 'failed' : x < 20 ? 'inconclusive' : 'passed');

/** A whole page for `capacity --reports DIR` (capacity.html): self-contained, the gate report's look. */
export function renderCapacityPage(doc: CapacityDocument): string {
  const p = doc.projection;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cache-harness capacity — ${p.max_tenants} tenants fit — ${esc(doc.started_at)}</title>
<style>${REPORT_CSS}${PERF_CSS}header.capacity{background:#1d2330}</style></head>
<body>
<header class="capacity"><h1>Capacity: ${p.max_tenants} tenants fit</h1><p>first limit: ${esc(p.first_limit.resource)} on ${esc(p.first_limit.shard)} · cluster knee ${doc.knee ? `${rate(doc.knee.ops_per_s)} ops/s` : 'none'}</p></header>
${renderCapacitySection(doc)}
<footer>cache-harness capacity document v${doc.schema_version}</footer>
</body></html>
`;
}

/**
 * The HTML of the capacity document (issue 13): the latency-vs-offered-rate chart with the knee, every sweep's steps,
 * the per-shard projection, placement skew, memory per key / tenant / master, and the model's assumptions.
 */
export function renderCapacitySection(doc: CapacityDocument, opts: { charts?: boolean } = {}): string {
  const p = doc.projection;
  const first = p.first_limit;
  const parts: string[] = [];
  parts.push(`<section id="capacity"><h2>Capacity</h2>
<p>target <b>${esc(doc.target.backend)}</b> (${doc.target.masters.map(esc).join(', ')}) · ${esc(doc.started_at)} · ${formatSeconds(doc.duration_ms)}</p>
<p class="finding"><b>${p.max_tenants}</b> tenants fit with this mix (${mixText(p.plan_mix)}); the first limit is <b>${esc(first.resource)}</b> on <b>${esc(first.shard)}</b>. Cluster knee: ${doc.knee ? `<b>${rate(doc.knee.ops_per_s)} ops/s</b> at p99 ${esc(formatUs(doc.knee.p99_us))}` : '<b>none</b> (even the first step failed)'}.</p>`);
  if (opts.charts ?? true) {
    const cluster = doc.sweeps.find((s) => s.scope === 'cluster');
    const steps = doc.steps.length ? doc.steps : (cluster?.steps ?? []);
    if (steps.length)
      parts.push(
        `<div class="charts"><img alt="latency against offered rate" width="760" height="340" src="${rateLatencyChartPng(steps, doc.knee?.ops_per_s ?? null, 'cluster: latency against offered rate')}"></div>`,
      );
  }
  parts.push(`<h3>Per shard, for ${p.tenants} tenants</h3>${projectionTable(doc)}`);
  if (p.target_tenants !== null) {
    parts.push(
      p.masters_needed === null
        ? `<p>For ${p.target_tenants} tenants: no whole-module placement fits (see the assumptions).</p>`
        : `<p>For ${p.target_tenants} tenants: <b>${p.masters_needed}</b> master(s), modules → master: ${Object.entries(p.module_map ?? {})
            .sort(([, a], [, b]) => a - b)
            .map(([m, n]) => `${esc(m)} → ${n}`)
            .join(', ')}</p>`,
    );
  }
  parts.push(`<h3>Placement (${esc(doc.placement.strategy)})</h3>${placementTable(doc)}`);
  parts.push(`<h3>Sweeps</h3>${sweepSummary(doc.sweeps)}`);
  for (const s of doc.sweeps) parts.push(`<details><summary>${esc(s.scope)}: ${s.steps.length} step(s)</summary>${stepTable(s)}</details>`);
  parts.push(`<h3>Memory (fill ${(100 * doc.memory.fill).toFixed(0)}% of maxKeys)</h3>${memoryTables(doc)}`);
  parts.push(`<h3>Assumptions</h3><ul>${p.assumptions.map((a) => `<li>${esc(a)}</li>`).join('')}</ul></section>`);
  return parts.join('\n');
}

const mixText = (mix: Readonly<Record<string, number>>): string =>
  Object.entries(mix)
    .map(([plan, n]) => `${esc(plan)} ${n}%`)
    .join(' / ');

function projectionTable(doc: CapacityDocument): string {
  const { first_limit: first } = doc.projection;
  return htmlTable(
    ['shard', 'memory', 'maxmemory', 'memory headroom', 'ops/s', 'knee ops/s', 'ops headroom', 'first limit'],
    doc.projection.shards.map((s) => [
      s.name,
      mib(s.memory_bytes),
      mib(s.maxmemory_bytes),
      headroom(s.memory_headroom_pct),
      rate(s.ops_per_s),
      s.knee_ops_per_s === null ? 'not measured' : rate(s.knee_ops_per_s),
      headroom(s.ops_headroom_pct),
      first.shard === s.name ? classed(first.resource, 'failed') : '',
    ]),
  );
}

function placementTable(doc: CapacityDocument): string {
  return htmlTable(
    ['shard', 'modules', 'key share', 'ops share', 'live key share'],
    doc.placement.shards.map((s) => [
      s.name,
      s.modules.join(', '),
      share(s.key_share),
      share(s.ops_share),
      s.live_key_share === null ? 'not sampled' : share(s.live_key_share),
    ]),
  );
}

function sweepSummary(sweeps: readonly Sweep[]): string {
  return htmlTable(
    ['scope', 'steps', 'knee ops/s', 'knee p99', 'knee p99.9', 'stopped'],
    sweeps.map((s) => [
      s.scope,
      s.steps.length,
      s.knee ? rate(s.knee.ops_per_s) : 'none',
      s.knee ? formatUs(s.knee.p99_us) : '',
      s.knee ? formatUs(s.knee.p99_9_us) : '',
      s.stopped,
    ]),
  );
}

function stepTable(s: Sweep): string {
  return htmlTable(
    ['offered ops/s', 'achieved ops/s', 'p50', 'p99', 'p99.9', 'errors', 'SLO', 'step', 'measurement', 'why not ok'],
    s.steps.map((x) => [
      rate(x.offered_ops_per_s),
      rate(x.achieved_ops_per_s),
      formatUs(x.p50_us),
      formatUs(x.p99_us),
      formatUs(x.p99_9_us),
      x.errors,
      classed(x.slo_met ? 'met' : 'missed', x.slo_met ? 'passed' : 'failed'),
      classed(x.ok ? 'ok' : 'not ok', x.ok ? 'passed' : 'failed'),
      classed(x.disturbed ? 'disturbed' : 'clean', x.disturbed ? 'inconclusive' : ''),
      x.reasons.join('; '),
    ]),
  );
}

function memoryTables(doc: CapacityDocument): string {
  const m = doc.memory;
  const plans = Object.keys(m.bytes_per_tenant);
  const perTenant = htmlTable(
    ['plan', 'tenants measured', `per tenant at ${(100 * m.fill).toFixed(0)}%`, 'per tenant at 100%', 'per module'],
    plans.map((plan) => [
      plan,
      m.tenants_per_plan[plan] ?? '',
      mib(m.bytes_per_tenant[plan] ?? 0),
      optional(m.bytes_per_tenant_full[plan], mib),
      Object.entries(m.bytes_per_tenant_module[plan] ?? {})
        .map(([mod, b]) => `${mod} ${mib(b)}`)
        .join(', '),
    ]),
  );
  const perKey = htmlTable(
    ['data type', 'bytes per key (used_memory)', 'MEMORY USAGE sample'],
    Object.entries(m.bytes_per_key).map(([dt, b]) => [
      dt,
      Math.round(b),
      optional(m.memory_usage_sample[dt], (x) => String(Math.round(x))),
    ]),
  );
  const perMaster = htmlTable(
    ['master', 'used_memory growth', 'keys'],
    m.per_master.map((x) => [x.name, mib(x.used_memory_delta), x.keys]),
  );
  const fixed = `<p>Every tenant also costs ${Math.round(m.bytes_per_tenant_each_master)} B on every master, whatever its modules (its ACL user, its meta key).</p>`;
  return `${perTenant}${fixed}${perKey}${perMaster}`;
}
