import { readFileSync } from 'node:fs';
import { requireBinary } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import { parseConf } from './parse-conf.js';
import { probeWithRedis } from './redis-probe.js';
import { staticIssues, type LintIssue, type StaticOptions } from './static-rules.js';

export interface LintReport {
  file: string;
  issues: LintIssue[];
  errors: number;
  warnings: number;
}

/** Lint a config text: what the real redis-server rejects, plus the checks Redis does not make. */
export async function lintConfigText(file: string, text: string, opts: StaticOptions): Promise<LintReport> {
  const fromRedis = await probeWithRedis(requireBinary('redis-server'), text);
  const fromRules = staticIssues(parseConf(text), opts);
  const issues = [...fromRedis, ...fromRules].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return {
    file,
    issues,
    errors: issues.filter((i) => i.severity === 'error').length,
    warnings: issues.filter((i) => i.severity === 'warning').length,
  };
}

export async function lintConfigFile(file: string, opts: StaticOptions): Promise<LintReport> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HarnessError(`cannot read ${file}: ${(err as Error).message}`, 'pass an existing redis.conf');
  }
  return lintConfigText(file, text, opts);
}

/** compiler-style lines: file:line: severity [rule] message */
export function formatLint(r: LintReport): string {
  const lines = r.issues.map((i) => `${r.file}:${i.line ?? '-'}: ${i.severity} [${i.rule}] ${i.message}`);
  lines.push(`${r.file}: ${r.errors} error(s), ${r.warnings} warning(s)`);
  return lines.join('\n');
}
