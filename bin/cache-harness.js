#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (scripts/setup.sh runs it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('cache-harness: dist/cli.js is missing. Run `npm run setup` (or `npm run build`) first.\n');
  process.exit(2);
}
try {
  await import(entry.href);
} catch (err) {
  // A broken build is the harness failing to run (2), never a failed check (1).
  process.stderr.write(
    `cache-harness: could not load dist/cli.js: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\nRun \`npm run build\` again.\n`,
  );
  process.exit(2);
}
