import { resolve } from 'node:path';
import { parseTargetUrl } from '../cluster/index.js';
import { runGate } from '../gate.js';
import { progress } from './progress.js';

export async function gateCommand(o: { spec: string; portBase: number; target?: string; allowDestructive?: boolean; reports?: string; keepRunDir?: boolean; backend: 'local' | 'compose' }): Promise<void> {
  const target = o.target ? parseTargetUrl(o.target, o.allowDestructive ?? false) : undefined;
  progress(target ? `gate against external cluster ${target.seeds[0]?.host}:${target.seeds[0]?.port}`
    : o.backend === 'compose' ? 'gate on docker-compose.cluster.yml' : `gate on the embedded local cluster, port base ${o.portBase}`);
  const { doc, paths } = await runGate({
    specPath: resolve(o.spec), portBase: o.portBase, backend: o.backend,
    ...(target ? { target } : {}),
    ...(o.reports ? { reportsDir: resolve(o.reports) } : {}),
    keepRunDir: o.keepRunDir ?? false,
    log: progress,
  });
  for (const e of doc.errors) process.stderr.write(`cache-harness: ${e}\n`);
  const checks = doc.suites.flatMap((s) => s.checks);
  const failed = checks.filter((c) => c.status === 'failed').length;
  const passed = checks.filter((c) => c.status === 'passed').length;
  const skipped = checks.filter((c) => c.status === 'skipped').length;
  process.stdout.write(`verdict: ${doc.verdict.toUpperCase()} (exit ${doc.exit_code}) · ${passed} passed, ${failed} failed, ${skipped} skipped\n`
    + `report: ${paths.html}\njson:   ${paths.json}\njunit:  ${paths.junit}\n`);
  process.exitCode = doc.exit_code;
}
