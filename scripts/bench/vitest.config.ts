import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `npm run bench:<name>`: the figure-producing runs, apart from `npm test`. Each file starts its own local
// cluster on 127.0.0.1 (ports from CACHE_HARNESS_TEST_PORT_BASE, default 7600), prints its figures and
// checks only that the work was done (counts), never a speed. One file at a time: they measure.
process.env.CACHE_HARNESS_HOME ??= join(tmpdir(), `cache-harness-bench-${process.pid}`);

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    name: 'bench',
    include: ['scripts/bench/*.bench.ts'],
    globalSetup: ['tests/support/global-teardown.ts'],
    pool: 'forks',
    fileParallelism: false,
    // Figures go straight to the terminal, not under vitest's per-test "stdout |" headers.
    disableConsoleIntercept: true,
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
