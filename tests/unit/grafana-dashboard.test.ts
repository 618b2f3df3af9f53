import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ClientMetrics } from '../../src/client-metrics/index.js';
import { SERVED_METRICS } from '../../src/metrics/index.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { labelValuesProblems, promqlProblems, seriesOfServed, servedSeries } from '../support/promql-refs.js';

const DASHBOARD = join(PROJECT_ROOT, 'fixtures/grafana/cache-harness.json');

/** What the exporter serves (its one list, which a unit test holds equal to its /metrics) and what an application's client metrics serve. */
const EXPORTER = seriesOfServed(Object.values(SERVED_METRICS));
const CLIENT = servedSeries(new ClientMetrics().registry);
const SERVED = new Map([...EXPORTER, ...CLIENT]);

const target = z.object({ refId: z.string(), expr: z.string().min(1), datasource: z.object({ uid: z.literal('${datasource}') }) });
interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: unknown[];
  panels?: Panel[];
}
const panel: z.ZodType<Panel> = z.lazy(() =>
  z.object({
    id: z.number().int(),
    type: z.string(),
    title: z.string().min(1),
    targets: z.array(z.unknown()).optional(),
    panels: z.array(panel).optional(),
  }),
);
const dashboard = z.object({
  uid: z.string().min(1),
  title: z.string().min(1),
  panels: z.array(panel),
  templating: z.object({
    list: z.array(
      z.object({ name: z.string(), type: z.string(), query: z.union([z.string(), z.object({ query: z.string() })]).optional() }),
    ),
  }),
});

const d = dashboard.parse(JSON.parse(readFileSync(DASHBOARD, 'utf8')));
const panels = d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queries = panels.flatMap((p) => (p.type === 'row' ? [] : (p.targets ?? []).map((t) => ({ panel: p.title, ...target.parse(t) }))));

describe('the Grafana dashboard (fixtures/grafana/cache-harness.json)', () => {
  it("every query parses as PromQL and names only metrics and labels that are served (the exporter's or the client metrics')", () => {
    expect(queries.length).toBeGreaterThanOrEqual(10);
    const problems = queries.flatMap((q) => promqlProblems(q.expr, SERVED).map((p) => `${q.panel} [${q.refId}]: ${p}`));
    expect(problems).toEqual([]);
  });

  it('its variables are label_values queries on served metrics and labels; panels use the Prometheus variable', () => {
    const vars = d.templating.list.filter((v) => v.type === 'query');
    expect(vars.map((v) => v.name)).toEqual(['tenant', 'module']);
    for (const v of vars) {
      const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
      expect(labelValuesProblems(q, EXPORTER), q).toEqual([]);
    }
    expect(d.templating.list.find((v) => v.name === 'datasource')?.type).toBe('datasource');
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
  });

  it('shows what the issue asks: keys vs quota, memory vs limit, latency p99, mobile ratio (exporter); client-side latency and errors', () => {
    const exprs = queries.map((q) => q.expr).join('\n');
    for (const metric of [
      'redis_client_keys_total',
      'redis_client_keys_limit',
      'redis_client_memory_usage_bytes',
      'redis_client_memory_limit_bytes',
      'redis_client_latency_seconds_bucket',
      'redis_client_mobile_ratio',
      'cache_harness_client_op_duration_seconds_bucket',
      'cache_harness_client_op_errors_total',
    ])
      expect(exprs).toContain(metric);
  });

  it('the check fails on what it must catch: syntax, unknown metric, unknown label, grouping label no metric has', () => {
    expect(promqlProblems('rate(redis_client_keys_total[5m]', SERVED)[0]).toMatch(/syntax error/);
    expect(promqlProblems('redis_client_keyz_total', SERVED)).toEqual(['metric redis_client_keyz_total is not served']);
    expect(promqlProblems('redis_client_keys_total{tenant="a"}', SERVED)).toEqual(['metric redis_client_keys_total has no label "tenant"']);
    expect(promqlProblems('sum by (channel) (redis_client_keys_total)', SERVED)).toEqual([
      'channel in (channel): no metric under "sum by (channel) (redis_client_keys_total)" has that label',
    ]);
    expect(promqlProblems('redis_client_keys_total / on (node) redis_client_keys_limit', SERVED)[0]).toMatch(/^node in \(node\)/);
    expect(promqlProblems('redis_client_latency_seconds_sum{le="0.1"}', SERVED)).toEqual([
      'metric redis_client_latency_seconds_sum has no label "le"',
    ]);
    expect(promqlProblems('{__name__="redis_client_keys_total"}', SERVED)[0]).toMatch(/names no metric/);
    expect(promqlProblems('time()', SERVED)).toEqual(['no metric selector']);
    expect(
      promqlProblems('histogram_quantile(0.99, sum by (le) (rate(redis_client_latency_seconds_bucket[$__rate_interval])))', SERVED),
    ).toEqual([]);
    expect(labelValuesProblems('label_values(redis_client_keys_limit, tenant)', SERVED)).toEqual([
      'metric redis_client_keys_limit has no label tenant',
    ]);
  });
});
