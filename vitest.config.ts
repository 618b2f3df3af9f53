import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './tests/support/slow-first-sequencer.js';

// Test clusters live under their own home, so the global teardown stops only what tests started.
process.env.CACHE_HARNESS_HOME ??= join(tmpdir(), `cache-harness-test-${process.pid}`);

// Unit tests need no server; integration tests start their own local clusters on free ports
// from CACHE_HARNESS_TEST_PORT_BASE (default 7600), never the gate's 7001.
export default defineConfig({
  test: {
    globalSetup: ['tests/support/global-teardown.ts'],
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      // Unit tests are pure: one module cache per thread for all files (isolate: false) takes the unit phase
      // from ~21 s to ~7 s here, nearly all of it imports.
      {
        extends: true,
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], pool: 'threads', isolate: false, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          // Mostly waiting (clusters forming, persistence settling, timed runs): 4 files at once keep 2 cores busy.
          maxWorkers: 4,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
