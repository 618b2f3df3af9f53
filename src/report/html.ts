import { formatSeconds } from '../format/duration.js';
import { renderComparisonSection } from './comparison-html.js';
import { escapeXml as esc } from './escape.js';
import { classed, html, htmlTable } from './html-table.js';
import { PERF_CSS, renderBenchSection } from './perf-html.js';
import type { CheckResult, Finding, ResultDocument } from './result.js';

/** One self-contained HTML file (inline CSS, no external assets), rendered from the result document alone. */
export function renderHtml(doc: ResultDocument): string {
  const title = `cache-harness ${doc.verdict.toUpperCase()} — ${doc.spec.name} — ${doc.run_id}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${REPORT_CSS}${PERF_CSS}</style></head>
<body>
<header class="v-${doc.verdict}"><h1>${esc(doc.verdict.toUpperCase())}</h1>
<p>spec <b>${esc(doc.spec.name)}</b> (${esc(doc.spec.path)}) · target <b>${esc(doc.target.backend)}</b>${doc.target.redis_version ? ` · Redis ${esc(doc.target.redis_version)}` : ''} · run ${esc(doc.run_id)} · exit code ${doc.exit_code}</p>
<p>${esc(doc.started_at)} → ${esc(doc.finished_at)} (${formatSeconds(doc.duration_ms)}) · ${Object.entries(doc.timings_ms)
    .map(([k, v]) => `${esc(k)} ${formatSeconds(v)}`)
    .join(' · ')}</p>
</header>
${doc.errors.length ? `<section><h2>Harness errors</h2>${doc.errors.map((e) => `<pre class="err">${esc(e)}</pre>`).join('')}</section>` : ''}
<section><h2>Summary</h2>${summaryTable(doc)}</section>
<section><h2>Target nodes</h2>${table([...doc.target.nodes].sort((a, b) => a.address.localeCompare(b.address)).map((n) => ({ name: n.name ?? '', address: n.address, role: n.role })))}</section>
${doc.benches?.length ? renderBenchSection(doc.benches) : ''}
${doc.comparison ? renderComparisonSection(doc.comparison, doc.benches ?? []) : ''}
${doc.suites.map(suiteSection).join('\n')}
<footer>cache-harness ${esc(doc.harness_version)} · result schema v${doc.schema_version}</footer>
</body></html>
`;
}

function summaryTable(doc: ResultDocument): string {
  const rows = doc.suites.map((s) => {
    const count = (st: CheckResult['status']) => s.checks.filter((c) => c.status === st).length;
    const note = s.skip_reason ?? (s.errors.length ? `${s.errors.length} suite error(s)` : '');
    const findings = s.checks.reduce((n, c) => n + c.findings.length, 0);
    const counts = (['passed', 'failed', 'skipped', 'inconclusive'] as const).map(count);
    return [
      html(`<a href="#suite-${esc(s.name)}">${esc(s.name)}</a>`),
      classed(s.status, s.status),
      ...counts,
      findings,
      formatSeconds(s.duration_ms, 2),
      note,
    ];
  });
  return htmlTable(['suite', 'status', 'passed', 'failed', 'skipped', 'inconclusive', 'findings', 'time', 'note'], rows);
}

const MARK: Record<CheckResult['status'], string> = { passed: '✔', failed: '✘', skipped: '–', inconclusive: '?' };

/** Why a check or suite was not judged: shown next to it, so a skip or an inconclusive result never reads as a pass. */
function reasonLine(status: string, reason: string | undefined): string {
  if (!reason) return '';
  const label = status === 'inconclusive' ? 'inconclusive' : 'skipped by policy';
  return `<p class="reason ${esc(status)}"><b>${label}:</b> ${esc(reason)}</p>`;
}

function suiteSection(s: ResultDocument['suites'][number]): string {
  const checks = s.checks.map(
    (c) => `<div class="check">
<h3><span class="${c.status}">${MARK[c.status]}</span> ${esc(c.name)} <span class="badge ${c.status}">${c.status}</span> <small>${c.duration_ms.toFixed(0)} ms</small></h3>
${reasonLine(c.status, c.reason)}
${c.failure ? `<pre class="err">${esc(c.failure)}</pre>` : ''}
${c.findings.map(findingBlock).join('')}
</div>`,
  );
  return `<section id="suite-${esc(s.name)}"><h2>Suite: ${esc(s.name)} <span class="badge ${s.status}">${s.status}</span></h2>
${s.skip_reason ? `<p class="reason skipped"><b>suite skipped:</b> ${esc(s.skip_reason)}</p>` : ''}
${s.errors.map((e) => `<pre class="err">${esc(e)}</pre>`).join('')}
${checks.join('\n')}</section>`;
}

function findingBlock(f: Finding): string {
  return `<div class="finding ${f.severity}"><b>[${f.severity}]</b> ${esc(f.title)}${f.detail ? `<p>${esc(f.detail)}</p>` : ''}${dataBlock(f.data)}</div>`;
}

function dataBlock(data: unknown): string {
  if (data === undefined) return '';
  if (Array.isArray(data) && data.length > 0 && data.every(isFlatRecord)) return table(data);
  return `<pre>${esc(JSON.stringify(data, null, 2))}</pre>`;
}

/** What a table cell may hold: a value String() prints as itself. */
type Scalar = string | number | boolean | bigint | null | undefined;
const isScalar = (v: unknown): v is Scalar => v === null || ['string', 'number', 'boolean', 'bigint', 'undefined'].includes(typeof v);

function isFlatRecord(x: unknown): x is Record<string, Scalar> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Object.values(x).every(isScalar);
}

/** A single record with more fields than this reads better as field | value rows than as one wide row. */
const TRANSPOSE_OVER_COLUMNS = 6;

function table(rows: Array<Record<string, Scalar>>): string {
  if (rows.length === 0) return '<p>(none)</p>';
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const [only] = rows;
  if (rows.length === 1 && only && cols.length > TRANSPOSE_OVER_COLUMNS)
    return htmlTable(
      ['field', 'value'],
      cols.map((c) => [c, String(only[c] ?? '')]),
    );
  // Several wide rows: the table scrolls inside its block instead of widening the page.
  return `<div class="wide">${htmlTable(
    cols,
    rows.map((r) => cols.map((c) => String(r[c] ?? ''))),
  )}</div>`;
}

/** The report's own CSS; pages of other documents (capacity) share it. */
export const REPORT_CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330}
header{padding:16px 24px;color:#fff}header.v-pass{background:#1f7a3a}header.v-fail{background:#b3261e}header.v-error{background:#7a4b00}header.v-inconclusive{background:#5b3f9a}
header h1{margin:0 0 4px}header p{margin:2px 0}
section{padding:8px 24px}h2{border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:12px 0 4px}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ccd;padding:3px 8px;text-align:left;font-size:13px}th{background:#eef}
.passed,.pass{color:#1f7a3a}.failed,.fail{color:#b3261e}.skipped{color:#777}.inconclusive{color:#5b3f9a}
.badge{display:inline-block;padding:1px 8px;border-radius:9px;font-size:12px;font-weight:bold;color:#fff;vertical-align:middle}
.badge.passed{background:#1f7a3a;color:#fff}.badge.failed{background:#b3261e;color:#fff}.badge.skipped{background:#777;color:#fff}.badge.inconclusive{background:#5b3f9a;color:#fff}
p.reason{margin:2px 0 6px;padding:4px 10px;border-left:4px solid #777;background:#f4f4f4}p.reason.inconclusive{border-color:#5b3f9a;background:#f3effa}
pre{background:#f5f5f8;padding:8px;overflow:auto;font-size:12px}pre.err{background:#fdecea;color:#7a1010}
.finding{border-left:4px solid #88a;padding:4px 10px;margin:6px 0;background:#fafaff}.finding p{white-space:pre-line;margin:4px 0}div.wide{overflow-x:auto;max-width:100%}.finding.warning{border-color:#d08b00}.finding.error{border-color:#b3261e}
footer{padding:16px 24px;color:#777;font-size:12px}small{color:#777;font-weight:normal}`;
