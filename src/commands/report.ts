import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { HarnessError } from '../errors.js';
import { PROJECT_ROOT } from '../paths.js';
import { loadRuns, RESULT_FILE, writeIndex } from '../report/history.js';
import { readResultFile } from '../report/read-result.js';
import { renderReports } from '../report/write.js';

/**
 * `cache-harness report [DIR]`: rebuild report.html, report.md and junit.xml from result.json alone.
 * DIR is one run's folder (holding result.json), or a reports folder: then every run in it, and its
 * index.html. A result.json that cannot be read is exit 2 naming the file and the problem (in a reports
 * folder, after the readable runs and the index, which lists it as unreadable, were written).
 */
export function reportCommand(dirArg: string | undefined): void {
  const dir = resolve(dirArg ?? join(PROJECT_ROOT, 'reports'));
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new HarnessError(`${dir} is not a folder`, "name a run's folder (reports/<run-id>) or a reports folder");
  const single = join(dir, RESULT_FILE);
  if (existsSync(single)) {
    const paths = renderReports(readResultFile(single), dirname(single));
    process.stdout.write(`rebuilt ${dir}\n  report: ${paths.html}\n  markdown: ${paths.markdown}\n  junit: ${paths.junit}\n`);
    return;
  }
  const runs = loadRuns(dir);
  if (runs.length === 0)
    throw new HarnessError(
      `${dir} holds no ${RESULT_FILE}, and no subfolder of it does`,
      "name a run's folder (reports/<run-id>) or the reports folder a gate wrote (--reports DIR)",
    );
  const problems: string[] = [];
  for (const run of runs) {
    if ('doc' in run) renderReports(run.doc, join(dir, run.folder));
    else problems.push(run.problem);
  }
  const index = writeIndex(dir);
  process.stdout.write(`rebuilt ${runs.length - problems.length} of ${runs.length} run(s) in ${dir}\n  index: ${index}\n`);
  if (problems.length)
    throw new HarnessError(
      `${problems.length} result document(s) could not be read (listed as unreadable in the index):\n${problems.map((p) => `  ${p.replace(/\n/g, '\n  ')}`).join('\n')}`,
      `pass result.json files a gate of this harness wrote, or move the others out of ${dir}`,
    );
}
