import { describe, expect, it } from 'vitest';
import { formatMicro, runMicroBenchmarks } from '../../src/bench/index.js';
import { loadSpec } from '../../src/spec/index.js';

// Prints per-call timings of the per-op code (key builder, placement, codec, RESP scanner).
// Measures, does not gate: the machine is shared, so no speed is asserted.
describe('micro-benchmarks (tinybench)', () => {
  it('runs every task and prints a table', async () => {
    const rows = await runMicroBenchmarks(loadSpec(), { timeMs: 60 });
    console.log(`[bench-micro]\n${formatMicro(rows)}`);
    expect(rows.map((r) => r.task)).toContain('buildDataKey (pre-parsed ids)');
    expect(rows.map((r) => r.task)).toContain('codec.encode 8 KB JSON (brotli)');
    for (const r of rows) {
      expect(r.samples, r.task).toBeGreaterThan(0);
      expect(r.mean_ns, r.task).toBeGreaterThan(0);
    }
  }, 60_000);
});
