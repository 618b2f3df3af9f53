// Child-process entry: runs the vitest suites and writes their results as JSON.
// The gate runs suites here, not in its own process, because vitest installs SIGINT/SIGTERM
// handlers that exit at once — the gate must keep control of signals to tear the cluster down.
import { readFileSync, writeFileSync } from 'node:fs';
import { runSuites, type RunSuitesOptions } from './run-suites.js';

const [optionsFile, resultFile] = process.argv.slice(2);
if (!optionsFile || !resultFile) {
  process.stderr.write('usage: suite-child <options.json> <result.json>\n');
  process.exit(2);
}
const opts = JSON.parse(readFileSync(optionsFile, 'utf8')) as Omit<RunSuitesOptions, 'log'>;
const results = await runSuites({ ...opts, log: (line) => process.stderr.write(`${line}\n`) });
writeFileSync(resultFile, JSON.stringify(results));
process.exit(0);
