import type { UsageReport, UsageTenantRow } from '../metrics/usage-report.js';
import { formatBytes } from '../format/index.js';
import { escapeXml as esc } from './escape.js';
import { REPORT_CSS } from './html.js';
import { classed, htmlTable } from './html-table.js';

const mib = (b: number | null): string => (b === null ? '' : formatBytes(b));
/** A share of a limit in the report's colours: at or over the limit failed, from 80% (the alerts' ratio) inconclusive. */
const usedPct = (x: number | null) =>
  x === null ? '' : classed(`${x.toFixed(1)}%`, x >= 100 ? 'failed' : x >= 80 ? 'inconclusive' : 'passed');
const orBlank = (x: number | null): string => (x === null ? '' : String(x));

/** `cache-harness usage --html`: one self-contained page (the gate report's look). */
export function renderUsageHtml(r: UsageReport): string {
  const modules = r.tenants.reduce((n, t) => n + t.modules.length, 0);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cache-harness usage — ${r.tenants.length} tenants — ${esc(r.taken_at)}</title>
<style>${REPORT_CSS}header.usage{background:#1d2330}</style></head>
<body>
<header class="usage"><h1>Usage: ${r.tenants.length} tenants</h1><p>${esc(r.taken_at)} · ${modules} tenant-modules · ${r.keys_scanned} keys scanned in ${(r.accounting_ms / 1000).toFixed(1)} s</p></header>
<section><h2>Top tenants</h2>
<h3>By memory</h3>${htmlTable(
    ['tenant', 'memory'],
    r.top_by_memory.map((t) => [t.tenant, mib(t.memory_bytes)]),
  )}
<h3>By ops</h3>${
    r.top_by_ops === null
      ? `<p class="reason"><b>not measured:</b> ${esc(r.ops_note)}</p>`
      : `<p>${esc(r.ops_note)}</p>${htmlTable(
          ['tenant', 'ops/s'],
          r.top_by_ops.map((t) => [t.tenant, t.ops_per_s]),
        )}`
  }</section>
<section><h2>Per tenant</h2>${htmlTable(
    ['tenant', 'plan', 'keys', 'memory', 'connections mobile / web / unknown', 'mobile', 'ops/s'],
    r.tenants.map((t) => [
      t.tenant,
      t.plan ?? classed('no meta', 'failed'),
      t.keys,
      mib(t.memory_bytes),
      `${t.connections.mobile} / ${t.connections.web} / ${t.connections.unknown}`,
      t.mobile_pct === null ? '' : `${t.mobile_pct.toFixed(1)}%`,
      orBlank(t.ops_per_s),
    ]),
  )}</section>
<section><h2>Per tenant and module</h2><p>Keys against the plan's maxKeys and memory against its maxMemoryMB, per tenant-module (the unit the quota script enforces and the alerts divide); from 80% amber, at 100% red.</p>${htmlTable(
    ['tenant', 'plan', 'module', 'keys', 'quota', 'keys used', 'memory', 'limit', 'memory used', 'quota zset members'],
    r.tenants.flatMap((t) => moduleRows(t)),
  )}</section>
<footer>cache-harness usage document v${r.schema_version}</footer>
</body></html>
`;
}

function moduleRows(t: UsageTenantRow) {
  return t.modules.map((m) => [
    t.tenant,
    t.plan ?? '',
    m.module,
    m.keys,
    orBlank(m.keys_limit),
    usedPct(m.keys_pct),
    mib(m.memory_bytes),
    mib(m.memory_limit_bytes),
    usedPct(m.memory_pct),
    m.quota_entries === null
      ? ''
      : m.keys_limit !== null && m.quota_entries > m.keys_limit
        ? classed(`${m.quota_entries} (tampered)`, 'failed')
        : String(m.quota_entries),
  ]);
}
