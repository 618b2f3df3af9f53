import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command, Option } from 'commander';
import { compareDocuments } from '../compare/compare.js';
import { readComparedDocument } from '../compare/documents.js';
import { applyOverrides, thresholdsFromSpec } from '../compare/thresholds.js';
import { EXIT } from '../errors.js';
import { renderTable } from '../format/table.js';
import type { ComparisonResult } from '../report/comparison-schema.js';
import { COMPARISON_HEADER, comparisonCells, comparisonMarkdown } from '../report/markdown.js';
import { loadSpec } from '../spec/index.js';

export interface CompareCliOptions {
  spec: string;
  json?: string;
  markdown?: string;
  threshold: string[];
  alpha?: string;
  force?: boolean;
}

/** What the terminal shows: the verdict counts, each regression, what was not compared, the caveats. */
export function formatComparison(c: ComparisonResult): string {
  const count = (v: string) => c.rows.filter((r) => r.verdict === v).length;
  const lines = [
    `compared ${c.benches.join(', ')}: ${c.rows.length} metric(s) — ${c.regressions} regression(s), ${c.improvements} improvement(s), ${count('not-significant')} not significant, ${count('unchanged')} unchanged (alpha ${c.thresholds.alpha})`,
  ];
  const regressions = c.rows.filter((r) => r.verdict === 'regression');
  if (regressions.length) lines.push('', renderTable([COMPARISON_HEADER, ...regressions.map(comparisonCells)], { indent: '  ' }));
  if (c.only_baseline.length) lines.push(`not compared (baseline only): ${c.only_baseline.join(', ')}`);
  if (c.only_current.length) lines.push(`not compared (current only): ${c.only_current.join(', ')}`);
  if (c.caveats.length)
    lines.push(`compared with --force despite: ${c.caveats.map((d) => `${d.bench} ${d.field} ${d.baseline} → ${d.current}`).join('; ')}`);
  lines.push(
    c.verdict === 'regression'
      ? 'verdict: REGRESSION'
      : c.verdict === 'inconclusive'
        ? 'verdict: INCONCLUSIVE (a measurement was disturbed, so it can neither pass nor fail: run both again on a quiet machine)'
        : 'verdict: no regression',
  );
  return lines.join('\n');
}

/** `cache-harness compare`: exit 0 when nothing regressed, 1 when something did, 2 on bad input (a HarnessError). */
export function compareCommand(baselinePath: string, currentPath: string, o: CompareCliOptions): void {
  const thresholds = applyOverrides(thresholdsFromSpec(loadSpec(o.spec).regression), o.threshold, o.alpha);
  const result = compareDocuments(readComparedDocument(baselinePath), readComparedDocument(currentPath), { thresholds, force: o.force });
  process.stdout.write(`${formatComparison(result)}\n`);
  if (o.json) writeFileSync(resolve(o.json), `${JSON.stringify(result, null, 2)}\n`);
  if (o.markdown)
    writeFileSync(
      resolve(o.markdown),
      `${comparisonMarkdown(result, { rows: 'regressions', where: o.json ?? 'compare --json' }).join('\n')}\n`,
    );
  process.exitCode = result.verdict === 'regression' ? EXIT.fail : result.verdict === 'inconclusive' ? EXIT.inconclusive : EXIT.pass;
}

export function registerCompareCommand(program: Command, common: { spec: () => Option }): Command {
  return program
    .command('compare')
    .description(
      "compare two runs (gate result.json or bench --json) bench by bench: throughput, p50, p99, p99.9, error rate per channel; a regression is significantly beyond the spec's `regression:` threshold and beyond its latency floor in µs (exit 1)",
    )
    .argument('<baseline>', 'the earlier run (result.json or a bench --json file)')
    .argument('<current>', 'the run to judge against it')
    .addOption(common.spec())
    .option('--json <file>', "write the comparison (the result document's `comparison` section) as JSON")
    .option('--markdown <file>', 'write a Markdown summary (CI job summary, PR comment)')
    .option(
      '--threshold <key=value>',
      'override a threshold of the spec: p50, p99, p99_9 (percent higher), throughput (percent, negative), error_rate (points), p50_floor_us, p99_floor_us, p99_9_floor_us (µs); repeatable',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--alpha <a>', "significance level (default: the spec's regression.alpha, 0.01)")
    .option(
      '--force',
      'compare even when the runs differ in configuration (rate, profile, mode, driver, topology); the differences are listed',
    )
    .action((baseline: string, current: string, o: CompareCliOptions) => compareCommand(baseline, current, o));
}
