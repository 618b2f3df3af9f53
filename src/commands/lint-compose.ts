import { readFileSync } from 'node:fs';
import { requireBinary } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import { formatComposeLint, lintCompose, type ComposeLintReport } from '../lint/index.js';
import { probeWithRedis } from '../lint/redis-probe.js';

export async function lintComposeCommand(files: string[], o: { json?: boolean }): Promise<void> {
  const bin = requireBinary('redis-server');
  const reports: ComposeLintReport[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (err) {
      throw new HarnessError(`cannot read ${f}: ${(err as Error).message}`, 'pass an existing compose file');
    }
    reports.push(await lintCompose(f, text, { probe: (conf) => probeWithRedis(bin, conf) }));
  }
  if (o.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  else process.stdout.write(`${reports.map(formatComposeLint).join('\n\n')}\n`);
  process.exitCode = reports.some((r) => r.errors > 0) ? 1 : 0;
}
