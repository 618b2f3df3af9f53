import { DEFAULT_CONTAINER_PATHS, formatLint, lintConfigFile, type LintReport } from '../lint/index.js';

export async function lintCommand(files: string[], o: { json?: boolean; container: boolean }): Promise<void> {
  const reports: LintReport[] = [];
  for (const f of files) reports.push(await lintConfigFile(f, { containerPaths: o.container ? DEFAULT_CONTAINER_PATHS : null }));
  if (o.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  else process.stdout.write(`${reports.map(formatLint).join('\n\n')}\n`);
  process.exitCode = reports.some((r) => r.errors > 0) ? 1 : 0;
}
