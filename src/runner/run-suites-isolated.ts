import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { HarnessError } from '../errors.js';
import { suiteResultSchema, type SuiteResult } from '../report/index.js';
import type { RunSuitesOptions } from './run-suites.js';

const CHILD = fileURLToPath(new URL('./suite-child.js', import.meta.url));

/** The running suite process, so a signal handler can stop it. */
let current: ReturnType<typeof spawn> | undefined;

/** Run the suites in a child process (see suite-child.ts for why) and read back their results. */
export async function runSuitesIsolated(opts: RunSuitesOptions): Promise<SuiteResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cache-harness-suites-'));
  const optionsFile = join(dir, 'options.json');
  const resultFile = join(dir, 'result.json');
  try {
    const { log: _log, ...childOpts } = opts;
    writeFileSync(optionsFile, JSON.stringify(childOpts), { mode: 0o600 }); // holds the target's password
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [CHILD, optionsFile, resultFile], { stdio: ['ignore', 'inherit', 'pipe'] });
      current = child;
      child.stderr?.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n')) if (line.trim() !== '') opts.log(line);
      });
      child.on('error', reject);
      child.on('close', (c) => resolve(c));
    });
    current = undefined;
    let raw: string;
    try {
      raw = readFileSync(resultFile, 'utf8');
    } catch {
      throw new HarnessError(`the suite runner exited with code ${code} and wrote no results`);
    }
    return z.array(suiteResultSchema).parse(JSON.parse(raw));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Stop the suite process, if one runs (on teardown after a signal). */
export function stopSuites(): void {
  current?.kill('SIGTERM');
}
