import { resolve } from 'node:path';
import { hostPort, parseTargetUrl } from '../cluster/index.js';
import { readComparedDocument } from '../compare/documents.js';
import { assertGateBaseline, assertGateSuites, runGate, type GateBackend } from '../gate.js';
import { loadSpec } from '../spec/index.js';
import type { ResultDocument } from '../report/index.js';
import { progress } from './progress.js';

export interface GateCommandOptions {
  spec: string;
  portBase: number;
  target?: string;
  allowDestructive?: boolean;
  reports?: string;
  keepRunDir?: boolean;
  backend: GateBackend;
  /** Comma-separated gate suites to run (the others are reported as skipped). */
  suites?: string;
  /** A result.json (or `bench --json` file) the perf benches are compared with. */
  baseline?: string;
}

export async function gateCommand(o: GateCommandOptions): Promise<void> {
  const suites = o.suites
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (suites) assertGateSuites(suites); // before anything starts: exit 2 on a typo
  const baseline = o.baseline === undefined ? undefined : readComparedDocument(o.baseline); // exit 2 on a bad file
  if (baseline) assertGateBaseline(baseline, loadSpec(resolve(o.spec)), suites);
  const target = o.target ? parseTargetUrl(o.target, { allowDestructive: o.allowDestructive }) : undefined;
  progress(
    target
      ? `gate against external cluster ${target.seeds.map(hostPort).join(', ')}`
      : o.backend === 'compose'
        ? `gate on a docker compose cluster (the spec's compose file), port base ${o.portBase}`
        : o.backend === 'containers'
          ? `gate on one container per node (testcontainers), port base ${o.portBase}`
          : `gate on the embedded local cluster, port base ${o.portBase}`,
  );
  const { doc, paths } = await runGate({
    specPath: resolve(o.spec),
    portBase: o.portBase,
    backend: o.backend,
    ...(target ? { target } : {}),
    ...(o.reports ? { reportsDir: resolve(o.reports) } : {}),
    ...(suites ? { suites } : {}),
    ...(baseline ? { baseline } : {}),
    keepRunDir: o.keepRunDir ?? false,
    log: progress,
  });
  for (const e of doc.errors) process.stderr.write(`cache-harness: ${e}\n`);
  process.stdout.write(
    `${summaryLine(doc)}\nreport: ${paths.html}\nsummary: ${paths.markdown}\njson:   ${paths.json}\njunit:  ${paths.junit}\nindex:  ${paths.index}\n`,
  );
  process.exitCode = doc.exit_code;
}

/** `verdict: FAIL (exit 1) · 20 passed, 1 failed, 1 skipped, 0 inconclusive · suites not run: quota` */
function summaryLine(doc: ResultDocument): string {
  const checks = doc.suites.flatMap((s) => s.checks);
  const count = (st: string) => checks.filter((c) => c.status === st).length;
  const notRun = doc.suites.filter((s) => s.status === 'skipped').map((s) => s.name);
  return (
    `verdict: ${doc.verdict.toUpperCase()} (exit ${doc.exit_code}) · ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped, ${count('inconclusive')} inconclusive` +
    (notRun.length ? ` · suites skipped: ${notRun.join(', ')}` : '') +
    (doc.comparison
      ? ` · baseline: ${doc.comparison.regressions} regression(s), ${doc.comparison.improvements} improvement(s) in ${doc.comparison.rows.length} metric(s)${doc.comparison.verdict === 'inconclusive' ? ' (inconclusive: a measurement was disturbed)' : ''}`
      : '')
  );
}
