import { describe, expect, it } from 'vitest';
import { aggregate, latencyHistogram } from '../../src/bench/index.js';
import { percentileChartPng, percentileX, perSecondChartPng } from '../../src/report/charts.js';
import { PERF_CSS, renderBenchSection } from '../../src/report/perf-html.js';
import { benchResultSchema, type BenchResult } from '../../src/report/index.js';
import { encodedRun } from '../support/result-docs.js';

/** Limits of our own, not the shipped ones: this histogram's p99.9 (~25 ms) breaks mobile's 10 ms, so the section shows a fail. */
const SLO = { mobile: { p99Ms: 5, p999Ms: 10 }, web: { p99Ms: 20, p999Ms: 100 } };
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function result(name = 'mobile <open>-loop'): BenchResult {
  const h = latencyHistogram();
  for (let i = 1; i <= 5000; i++) h.recordValue(50 + (i % 97) * 3 + (i % 100 === 0 ? 25_000 : 0));
  const run = encodedRun(h, 5000, { errors: 1, errorsByMessage: { 'ERR <x> & "y"': 1 } });
  return aggregate([run], {
    name,
    profile: 'mobile',
    mode: 'open',
    driver: 'resp',
    startedAt: '2026-01-01T00:00:00.000Z',
    warmupMs: 1000,
    durationMs: 3000,
    config: { target_rate: 2000, connections_per_node: 1, workers: 1, max_ops: 10_000, op_table_size: 1024, seed: 1, masters: 3 },
    generator: { cpu_user_ms: 10, cpu_system_ms: 5, cpu_percent: 50, cpu_us_per_op: 3, wall_ms: 4000, max_rss_mb: 60 },
    slo: SLO,
    maxInFlightPerConn: 64,
  });
}

const pngOf = (uri: string) => Buffer.from(uri.replace(/^data:image\/png;base64,/, ''), 'base64');

describe('charts', () => {
  it('percentile x axis is 1/(1-p), the max one decade past 99.999%', () => {
    expect(percentileX(0)).toBe(1);
    expect(percentileX(50)).toBe(2);
    expect(percentileX(99)).toBeCloseTo(100, 6);
    expect(percentileX(99.9)).toBeCloseTo(1000, 3);
    expect(percentileX(100)).toBe(1e6);
  });

  it('draws the percentile curve and the per-second p99 as PNG data URIs', () => {
    const r = result();
    const a = percentileChartPng(r.curves, 'latency by percentile');
    const b = perSecondChartPng(r.per_second, 'p99 per second');
    for (const uri of [a, b]) {
      expect(uri.startsWith('data:image/png;base64,')).toBe(true);
      const png = pngOf(uri);
      expect(png.subarray(0, 8).equals(PNG)).toBe(true);
      expect(png.readUInt32BE(16)).toBe(760); // IHDR width
      expect(png.readUInt32BE(20)).toBe(340); // IHDR height
      expect(png.length).toBeGreaterThan(5000);
    }
  });
});

describe('benches section', () => {
  it('the aggregate output is a valid benches entry', () => {
    expect(() => benchResultSchema.parse(result())).not.toThrow();
  });

  it('renders SLO verdicts, per-group rows and embedded charts, escaping text', () => {
    const html = renderBenchSection([result()]);
    expect(html).toContain('<section id="benches">');
    expect(html).toContain('mobile &lt;open&gt;-loop');
    expect(html).not.toContain('<open>');
    expect(html).toContain('ERR &lt;x&gt; &amp; &quot;y&quot;');
    expect(html.match(/<img [^>]*src="data:image\/png;base64,/g)).toHaveLength(2);
    expect(html).toMatch(/<td>get<\/td><td>crm<\/td><td>mobile<\/td><td>basic<\/td>/);
    expect(html).toMatch(/class="failed">fail: p99\.9 2\d(\.\d+)? ms &gt; 10 ms/);
    expect(renderBenchSection([result()], { charts: false })).not.toContain('<img');
    expect(renderBenchSection([])).toBe('');
    expect(PERF_CSS).toContain('.charts');
  });
});
