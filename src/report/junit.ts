import { escapeXml } from './escape.js';
import type { ResultDocument } from './result.js';

/** JUnit XML for CI systems, from the result document alone. */
export function renderJUnit(doc: ResultDocument): string {
  const sec = (ms: number) => (ms / 1000).toFixed(3);
  const suites = doc.suites.map((s) => {
    const failures = s.checks.filter((c) => c.status === 'failed').length;
    const skipped = s.checks.filter((c) => c.status === 'skipped').length;
    const cases = s.checks.map((c) => {
      const findings = c.findings.map((f) => `[${f.severity}] ${f.title}${f.detail ? `: ${f.detail}` : ''}`).join('\n');
      const body = [
        c.status === 'failed' ? `<failure message="${escapeXml(firstLine(c.failure ?? 'failed'))}">${escapeXml(c.failure ?? '')}</failure>` : '',
        c.status === 'skipped' ? '<skipped/>' : '',
        findings ? `<system-out>${escapeXml(findings)}</system-out>` : '',
      ].join('');
      return `    <testcase classname="${escapeXml(s.name)}" name="${escapeXml(c.name)}" time="${sec(c.duration_ms)}">${body}</testcase>`;
    });
    const errors = s.errors.map((e) => `    <testcase classname="${escapeXml(s.name)}" name="(suite error)" time="0"><error message="${escapeXml(firstLine(e))}">${escapeXml(e)}</error></testcase>`);
    return [
      `  <testsuite name="${escapeXml(s.name)}" tests="${s.checks.length + s.errors.length}" failures="${failures}" errors="${s.errors.length}" skipped="${skipped}" time="${sec(s.duration_ms)}">`,
      ...cases, ...errors, '  </testsuite>',
    ].join('\n');
  });
  const harnessErrors = doc.errors.length
    ? [`  <testsuite name="harness" tests="${doc.errors.length}" failures="0" errors="${doc.errors.length}" skipped="0" time="0">`,
      ...doc.errors.map((e) => `    <testcase classname="harness" name="harness error" time="0"><error message="${escapeXml(firstLine(e))}">${escapeXml(e)}</error></testcase>`),
      '  </testsuite>']
    : [];
  return ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="cache-harness ${escapeXml(doc.run_id)}" time="${sec(doc.duration_ms)}">`, ...suites, ...harnessErrors, '</testsuites>', ''].join('\n');
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
