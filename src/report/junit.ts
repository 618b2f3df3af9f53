import type { ComparisonResult } from './comparison-schema.js';
import { escapeXml } from './escape.js';
import { COMPARISON_HEADER, comparisonCells } from './markdown.js';
import type { CheckResult, ResultDocument, SuiteResult } from './result.js';
import { DISTURBED_NOTE } from '../compare/disturbed.js';

/**
 * JUnit XML for CI systems, from the result document alone. JUnit knows no "inconclusive" or "policy skip":
 * both become `<skipped message="inconclusive: …"/>` / `<skipped message="skipped by policy: …"/>`, and each
 * suite carries its own status as a property, so neither reads as a pass.
 */
export function renderJUnit(doc: ResultDocument): string {
  const harnessErrors = doc.errors.length
    ? [
        `  <testsuite name="harness" tests="${doc.errors.length}" failures="0" errors="${doc.errors.length}" skipped="0" time="0">`,
        ...doc.errors.map(
          (e) =>
            `    <testcase classname="harness" name="harness error" time="0"><error message="${escapeXml(firstLine(e))}">${escapeXml(e)}</error></testcase>`,
        ),
        '  </testsuite>',
      ]
    : [];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="cache-harness ${escapeXml(doc.run_id)}" time="${sec(doc.duration_ms)}">`,
    ...doc.suites.map(suiteXml),
    ...(doc.comparison ? [comparisonSuiteXml(doc.comparison)] : []),
    ...harnessErrors,
    '</testsuites>',
    '',
  ].join('\n');
}

function suiteXml(s: SuiteResult): string {
  const failures = s.checks.filter((c) => c.status === 'failed').length;
  const cases = s.checks.map((c) => caseXml(s.name, c));
  // A suite the gate did not run still shows up, as one skipped case with the reason.
  if (s.checks.length === 0 && s.status === 'skipped')
    cases.push(
      `    <testcase classname="${escapeXml(s.name)}" name="(suite skipped)" time="0"><skipped message="${escapeXml(`suite skipped: ${s.skip_reason ?? 'no reason given'}`)}"/></testcase>`,
    );
  const skipped =
    s.checks.filter((c) => c.status === 'skipped' || c.status === 'inconclusive').length +
    (s.checks.length === 0 && s.status === 'skipped' ? 1 : 0);
  const errors = s.errors.map(
    (e) =>
      `    <testcase classname="${escapeXml(s.name)}" name="(suite error)" time="0"><error message="${escapeXml(firstLine(e))}">${escapeXml(e)}</error></testcase>`,
  );
  const props = [
    `      <property name="status" value="${s.status}"/>`,
    ...(s.skip_reason ? [`      <property name="skip_reason" value="${escapeXml(s.skip_reason)}"/>`] : []),
  ];
  return [
    `  <testsuite name="${escapeXml(s.name)}" tests="${cases.length + errors.length}" failures="${failures}" errors="${s.errors.length}" skipped="${skipped}" time="${sec(s.duration_ms)}">`,
    '    <properties>',
    ...props,
    '    </properties>',
    ...cases,
    ...errors,
    '  </testsuite>',
  ].join('\n');
}

function caseXml(suite: string, c: CheckResult): string {
  const findings = c.findings.map((f) => `[${f.severity}] ${f.title}${f.detail ? `: ${f.detail}` : ''}`);
  const out = c.status === 'inconclusive' ? [`INCONCLUSIVE (not a pass): ${c.reason ?? ''}`, ...findings] : findings;
  const body = [
    c.status === 'failed'
      ? `<failure message="${escapeXml(firstLine(c.failure ?? 'failed'))}">${escapeXml(c.failure ?? '')}</failure>`
      : '',
    c.status === 'skipped' ? `<skipped message="${escapeXml(`skipped by policy: ${c.reason ?? 'no reason given'}`)}"/>` : '',
    c.status === 'inconclusive' ? `<skipped message="${escapeXml(`inconclusive: ${c.reason ?? 'no reason given'}`)}"/>` : '',
    out.length ? `<system-out>${escapeXml(out.join('\n'))}</system-out>` : '',
  ].join('');
  return `    <testcase classname="${escapeXml(suite)}" name="${escapeXml(c.name)}" time="${sec(c.duration_ms)}">${body}</testcase>`;
}

/**
 * The baseline comparison as a `comparison` testsuite: one testcase per compared metric (`bench channel op
 * metric`), a failure for a regression; the figures and the evidence of every row in its system-out.
 */
function comparisonSuiteXml(c: ComparisonResult): string {
  const cases = c.rows.map((r) => {
    const cells = comparisonCells(r);
    const text = `${COMPARISON_HEADER.map((h, i) => `${h}: ${cells[i] ?? ''}`).join('\n')}\nverdict: ${r.verdict}`;
    const [bench, channel, op, metric, baseline, current, change, threshold, evidence] = cells;
    const regressed = `${metric} regressed ${change} (${baseline} → ${current}, threshold ${threshold}; ${evidence})`;
    // A disturbed measurement neither passes nor fails (src/compare/disturbed.ts): every row of it is skipped.
    const failure = isDisturbed(r)
      ? `<skipped message="${escapeXml(`inconclusive: ${r.verdict === 'regression' ? `${regressed}; ` : ''}${r.note ?? ''}`)}"/>`
      : r.verdict === 'regression'
        ? `<failure message="${escapeXml(regressed)}">${escapeXml(text)}</failure>`
        : '';
    return `    <testcase classname="comparison" name="${escapeXml(`${bench} ${channel} ${op} ${metric}`)}" time="0">${failure}<system-out>${escapeXml(text)}</system-out></testcase>`;
  });
  const failures = c.rows.filter((r) => r.verdict === 'regression' && !isDisturbed(r)).length;
  const inconclusive = c.rows.filter(isDisturbed).length;
  const props = [
    `      <property name="baseline" value="${escapeXml(c.baseline.run_id ?? c.baseline.path)}"/>`,
    `      <property name="verdict" value="${c.verdict}"/>`,
    ...c.caveats.map((v) => `      <property name="caveat" value="${escapeXml(`${v.bench} ${v.field} ${v.baseline} → ${v.current}`)}"/>`),
  ];
  return [
    `  <testsuite name="comparison" tests="${cases.length}" failures="${failures}" errors="0" skipped="${inconclusive}" time="0">`,
    '    <properties>',
    ...props,
    '    </properties>',
    ...cases,
    '  </testsuite>',
  ].join('\n');
}

const sec = (ms: number) => (ms / 1000).toFixed(3);

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

const isDisturbed = (r: ComparisonResult['rows'][number]) => r.note?.includes(DISTURBED_NOTE) === true;
