import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ALERT_NAMES, ALERT_RULES_PATH, alertExpressions, renderAlertRules, SEED_ALERT_RULES_PATH } from '../../src/metrics/index.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { readYamlFile } from '../../src/read-yaml.js';
import { loadSpec, parseSpec } from '../../src/spec/index.js';

const rulesFile = z.object({
  groups: z.array(
    z.object({
      name: z.string(),
      rules: z.array(
        z.object({
          alert: z.string(),
          expr: z.string(),
          for: z.string().optional(),
          labels: z.record(z.string(), z.string()).optional(),
          annotations: z.record(z.string(), z.string()).optional(),
        }),
      ),
    }),
  ),
});
const promtoolTest = z.object({
  rule_files: z.array(z.string()),
  tests: z.array(
    z.object({
      alert_rule_test: z
        .array(z.object({ eval_time: z.string(), alertname: z.string(), exp_alerts: z.array(z.unknown()).nullable().optional() }))
        .optional(),
    }),
  ),
});

const read = (rel: string) => readFileSync(join(PROJECT_ROOT, rel), 'utf8');
const readYaml = (rel: string) => readYamlFile(join(PROJECT_ROOT, rel));
const alertsOf = (rel: string) => rulesFile.parse(readYaml(rel)).groups.flatMap((g) => g.rules);
const PROMTOOL_DIR = 'tests/promtool';

describe('alert rules', () => {
  it(`${ALERT_RULES_PATH} is the render of the spec's thresholds (CACHE_HARNESS_UPDATE_FIXTURES=1 rewrites it)`, () => {
    const rendered = renderAlertRules(loadSpec());
    if (process.env.CACHE_HARNESS_UPDATE_FIXTURES === '1') writeFileSync(join(PROJECT_ROOT, ALERT_RULES_PATH), rendered);
    expect(read(ALERT_RULES_PATH)).toBe(rendered);
  });

  it('our rules are plan-relative: they divide by the limit series, matched on(client_id, module) group_left', () => {
    const rules = alertsOf(ALERT_RULES_PATH);
    expect(rules.map((r) => r.alert)).toEqual([...ALERT_NAMES]);
    const byName = new Map(rules.map((r) => [r.alert, r]));
    expect(byName.get('TenantKeyQuotaHigh')?.expr).toBe(
      'redis_client_keys_total / on(client_id, module) group_left redis_client_keys_limit > 0.9',
    );
    expect(byName.get('TenantMemoryHigh')?.expr).toContain('/ on(client_id, module) group_left redis_client_memory_limit_bytes > 0.9');
    expect(byName.get('TenantLatencyP99High')?.expr).toMatch(
      /^histogram_quantile\(0\.99, sum by \(client_id, module, plan, le\) \(rate\(redis_client_latency_seconds_bucket\[5m\]\)\)\) > 0\.1$/,
    );
    expect(byName.get('TenantMobileRatioLow')?.expr).toBe('redis_client_mobile_ratio < 60');
    // Not a spec threshold: the quota scripts never take a quota zset above maxKeys (src/metrics/usage.ts, quotaEntries).
    expect(byName.get('TenantQuotaIndexTampered')?.expr).toBe(
      'redis_client_quota_entries / on(client_id, module) group_left redis_client_keys_limit > 1',
    );
    expect(byName.get('TenantQuotaIndexTampered')?.labels?.severity).toBe('critical');
  });

  it('thresholds follow the spec', () => {
    const spec = loadSpec();
    const changed = parseSpec({
      ...(readYaml('fixtures/kryonix.spec.yaml') as object),
      alerts: { quotaRatio: 0.8, memoryRatio: 0.75, latencyP99Seconds: 0.05, mobileRatioMinPercent: 55 },
    });
    expect(alertExpressions(changed).TenantKeyQuotaHigh).toMatch(/> 0\.8$/);
    expect(alertExpressions(changed).TenantMemoryHigh).toMatch(/> 0\.75$/);
    expect(alertExpressions(changed).TenantLatencyP99High).toMatch(/> 0\.05$/);
    expect(alertExpressions(changed).TenantMobileRatioLow).toBe('redis_client_mobile_ratio < 55');
    expect(renderAlertRules(changed)).toContain('uses over 80% of its {{ $labels.module }} key quota');
    expect(renderAlertRules(spec)).toContain('uses over 90% of its {{ $labels.module }} key quota');
  });

  it(`${SEED_ALERT_RULES_PATH} is still byte for byte the seed's block (mojibake included)`, () => {
    const text = read(SEED_ALERT_RULES_PATH);
    expect(createHash('sha256').update(text).digest('hex')).toBe('4eb938a5d9c80767467ade09159ede57581be102d40f8ee7053e6ff9e2ea0c3f');
    expect(text).toContain('est√° usando');
    expect(alertsOf(SEED_ALERT_RULES_PATH).map((r) => r.alert)).toEqual([
      'ClientCacheQuotaExceeded',
      'ClientCachePerformanceDegraded',
      'ClientCacheMemoryPressure',
      'ClientMobileOptimizationLow',
    ]);
  });

  it('every rule of both files has a firing and a silent promtool case', () => {
    const cases = new Map<string, { positive: number; negative: number }>();
    const files = readdirSync(join(PROJECT_ROOT, PROMTOOL_DIR)).filter((f) => f.endsWith('.test.yml'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const doc = promtoolTest.parse(readYaml(join(PROMTOOL_DIR, f)));
      for (const t of doc.tests) {
        for (const a of t.alert_rule_test ?? []) {
          const c = cases.get(a.alertname) ?? { positive: 0, negative: 0 };
          if ((a.exp_alerts ?? []).length > 0) c.positive++;
          else c.negative++;
          cases.set(a.alertname, c);
        }
      }
    }
    const missing = [...alertsOf(ALERT_RULES_PATH), ...alertsOf(SEED_ALERT_RULES_PATH)]
      .map((r) => r.alert)
      .filter((name) => !cases.get(name)?.positive || !cases.get(name)?.negative);
    expect(missing).toEqual([]);
  });
});
