import { describe, expect, it } from 'vitest';
import { formatMicro, runMicroBenchmarks } from '../../src/bench/index.js';
import { loadSpec } from '../../src/spec/index.js';

// The figures come from `cache-harness bench --micro`; this only checks that every task runs and is
// reported (two iterations each, no warm-up: nothing here is a measurement).
describe('micro-benchmarks (tinybench)', () => {
  it('runs every task and reports it', async () => {
    const rows = await runMicroBenchmarks(loadSpec(), { timeMs: 1, iterations: 2, warmup: false });
    const table = formatMicro(rows);
    for (const r of rows) expect(table, r.task).toContain(r.task);
    expect(rows.map((r) => r.task)).toContain('buildDataKey (pre-parsed ids)');
    expect(rows.map((r) => r.task)).toContain('codec.encode 8 KB JSON (brotli)');
    expect(rows.map((r) => r.task)).toContain('ClientMetrics.observe (5,000 series)');
    for (const r of rows) {
      expect(r.samples, r.task).toBeGreaterThan(0);
      expect(r.mean_ns, r.task).toBeGreaterThan(0);
    }
  }, 60_000);
});
