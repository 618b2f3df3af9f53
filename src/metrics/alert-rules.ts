import type { Spec } from '../spec/index.js';

/** Where our rules live; the seed's (kept as written, known-bad) are beside them. */
export const ALERT_RULES_PATH = 'fixtures/prometheus/alerts.yml';
export const SEED_ALERT_RULES_PATH = 'fixtures/prometheus/seed-alerts.yml';

/** Our alert names, in file order (the promtool tests cover each). */
export const ALERT_NAMES = [
  'TenantKeyQuotaHigh',
  'TenantMemoryHigh',
  'TenantLatencyP99High',
  'TenantMobileRatioLow',
  'TenantQuotaIndexTampered',
] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

/** One rule of the file: what fires, for how long, and how it reads to the person paged. */
interface AlertRule {
  expr: string;
  for: string;
  /** critical: a tenant acting against the shared cluster (page now); warning: a tenant near its plan; info: advice. */
  severity: 'critical' | 'warning' | 'info';
  component: string;
  summary: string;
  description: string;
}

/** Our rules from the spec's thresholds, by name (rendered in ALERT_NAMES order). */
function alertRules(spec: Spec): Record<AlertName, AlertRule> {
  const a = spec.alerts;
  return {
    TenantKeyQuotaHigh: {
      expr: `redis_client_keys_total / on(client_id, module) group_left redis_client_keys_limit > ${num(a.quotaRatio)}`,
      for: '5m',
      severity: 'warning',
      component: 'quota',
      summary: `Tenant {{ $labels.client_id }} uses over ${pct(a.quotaRatio)} of its {{ $labels.module }} key quota`,
      description:
        "Tenant {{ $labels.client_id }} (plan {{ $labels.plan }}) holds {{ $value | humanizePercentage }} of the plan's maxKeys in module {{ $labels.module }}; new keys are refused at 100%",
    },
    TenantMemoryHigh: {
      expr: `redis_client_memory_usage_bytes / on(client_id, module) group_left redis_client_memory_limit_bytes > ${num(a.memoryRatio)}`,
      for: '3m',
      severity: 'warning',
      component: 'memory',
      summary: `Tenant {{ $labels.client_id }} uses over ${pct(a.memoryRatio)} of its {{ $labels.module }} memory allowance`,
      description:
        "Tenant {{ $labels.client_id }} (plan {{ $labels.plan }}) uses an estimated {{ $value | humanizePercentage }} of the plan's maxMemoryMB in module {{ $labels.module }} (sampled MEMORY USAGE)",
    },
    TenantLatencyP99High: {
      expr: `histogram_quantile(0.99, sum by (client_id, module, plan, le) (rate(redis_client_latency_seconds_bucket[5m]))) > ${num(a.latencyP99Seconds)}`,
      for: '2m',
      severity: 'warning',
      component: 'performance',
      summary: `p99 probe latency above ${ms(a.latencyP99Seconds)} on the shard of tenant {{ $labels.client_id }} ({{ $labels.module }})`,
      description: `p99 over 5m of the exporter's probe (a SET and a GET in the slot of tenant {{ $labels.client_id }}'s {{ $labels.module }} keys) is {{ $value | humanizeDuration }} (threshold ${ms(a.latencyP99Seconds)}): the shard serving this tenant is slow for every client on it`,
    },
    TenantMobileRatioLow: {
      expr: `redis_client_mobile_ratio < ${num(a.mobileRatioMinPercent)}`,
      for: '10m',
      severity: 'info',
      component: 'optimization',
      summary: 'Few mobile connections for tenant {{ $labels.client_id }}',
      description: `Only {{ $value | printf \\"%.1f\\" }}% of tenant {{ $labels.client_id }}'s open connections declare the mobile channel (CLIENT LIST on every node; minimum ${num(a.mobileRatioMinPercent)}%)`,
    },
    // Not a spec threshold: the quota scripts keep ZCARD(quota zset) <= maxKeys (usage.ts `quotaEntries`), so any
    // ratio above 1 is members written outside them. Those have no TTL: memory `volatile-*` eviction cannot
    // reclaim, which it takes from the other tenants' keys instead. Hence critical and a short `for`.
    TenantQuotaIndexTampered: {
      expr: 'redis_client_quota_entries / on(client_id, module) group_left redis_client_keys_limit > 1',
      for: '1m',
      severity: 'critical',
      component: 'security',
      summary: 'Tenant {{ $labels.client_id }} wrote into its {{ $labels.module }} quota zset outside the quota scripts',
      description:
        "The quota zset(s) of tenant {{ $labels.client_id }} (plan {{ $labels.plan }}), module {{ $labels.module }}, hold {{ $value | humanizePercentage }} of the plan's maxKeys, more than the quota scripts ever write: members added with raw ZADD (or maxKeys lowered below what it held), without a TTL, so eviction cannot reclaim them. Remedy: an admin runs quotaReconcile on the zset (drops members whose key does not exist); if it repeats, disable the tenant's ACL user",
    },
  };
}

/** PromQL expressions of our rules, from the spec's thresholds (the suites query these live). */
export function alertExpressions(spec: Spec): Record<AlertName, string> {
  const rules = alertRules(spec);
  return Object.fromEntries(ALERT_NAMES.map((n) => [n, rules[n].expr])) as Record<AlertName, string>;
}

/**
 * fixtures/prometheus/alerts.yml, rendered from the spec. Thresholds are relative to the tenant's plan:
 * usage / limit per tenant-module, matched `on(client_id, module) group_left`: one-to-one matching with
 * `on()` would keep only the on() labels, `group_left` keeps the usage series' labels (plan, job, instance)
 * for the alert. One exporter per cluster: with several scraping it, the limit side is no longer unique
 * per (client_id, module) and the rule errors; add `instance` to the on() labels then.
 */
export function renderAlertRules(spec: Spec): string {
  const rules = alertRules(spec);
  return `# cache-harness tenant alert rules, rendered from the spec's \`alerts:\` thresholds by
# src/metrics/alert-rules.ts (tests/unit/metrics-alert-rules.test.ts keeps this file equal to the render).
# Series: src/metrics/served-metrics.ts, exported by \`cache-harness exporter\` from the live cluster alone. Usage and limits are per
# tenant-module (labels client_id, module, plan), the unit the quota script enforces; thresholds are
# ratios of the tenant's plan, unlike the seed's absolute "keys > 90000" (seed-alerts.yml, kept as written).
# Unit tests: tests/promtool/*.test.yml (scripts/promtool-tests.sh).
groups:
  - name: cache-harness-tenant-alerts
    rules:
${ALERT_NAMES.map((name) => ruleYaml(name, rules[name])).join('\n')}`;
}

/** One rule's YAML block (hand-written, not stringified: the file keeps its comments and quoting). */
function ruleYaml(name: AlertName, r: AlertRule): string {
  return `      - alert: ${name}
        expr: ${r.expr}
        for: ${r.for}
        labels:
          severity: ${r.severity}
          service: cache
          component: ${r.component}
        annotations:
          summary: "${r.summary}"
          description: "${r.description}"
`;
}

function num(n: number): string {
  return String(Number(n.toPrecision(12)));
}

function pct(ratio: number): string {
  return `${num(ratio * 100)}%`;
}

function ms(seconds: number): string {
  return `${num(seconds * 1000)}ms`;
}
