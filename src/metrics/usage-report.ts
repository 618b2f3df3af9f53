import type { TenantConnections } from './client-list.js';
import type { UsageSnapshot } from './usage.js';

/**
 * The seed's "relatórios de uso": per tenant and module, keys against the quota, memory against the limit, the
 * plan, the channel mix of its connections, and the top tenants by memory and by ops. Built from the same
 * accounting snapshot (usage.ts) and CLIENT LIST reading (client-list.ts) the exporter serves, so a report and a
 * scrape of one moment agree. Pure.
 */
export const USAGE_SCHEMA_VERSION = 1;

export interface UsageModuleRow {
  module: string;
  keys: number;
  keys_limit: number | null;
  /** keys / keys_limit in percent; null without a limit. */
  keys_pct: number | null;
  memory_bytes: number;
  memory_limit_bytes: number | null;
  memory_pct: number | null;
  /** ZCARD of its quota zset(s): above keys_limit means members written outside the quota scripts. */
  quota_entries: number | null;
}

export interface UsageTenantRow {
  tenant: string;
  /** null: no valid meta (keys of a tenant that was never provisioned or was removed). */
  plan: string | null;
  keys: number;
  memory_bytes: number;
  modules: UsageModuleRow[];
  /** Open connections by the channel their name declares (CLIENT LIST on every node). */
  connections: { mobile: number; web: number; unknown: number };
  /** Share of its connections that are mobile, in percent (as redis_client_mobile_ratio); null with none open. */
  mobile_pct: number | null;
  /** Ops/s its applications' client metrics counted over the window; null when none were read. */
  ops_per_s: number | null;
}

export interface UsageReport {
  schema: 'cache-harness.usage';
  schema_version: typeof USAGE_SCHEMA_VERSION;
  taken_at: string;
  accounting_ms: number;
  keys_scanned: number;
  tenants: UsageTenantRow[];
  top_by_memory: Array<{ tenant: string; memory_bytes: number }>;
  /** null when no client metrics were read (Redis 7.0 counts no commands per user): `ops_note` says why. */
  top_by_ops: Array<{ tenant: string; ops_per_s: number }> | null;
  ops_note: string;
}

/** Percent of a limit, unrounded (the JSON carries the figures the exporter serves; reports round for display). */
const pct = (x: number, of: number | null): number | null => (of === null || of <= 0 ? null : (100 * x) / of);

/**
 * The report of one accounting snapshot, the connections read at about the same time, and (optionally) each
 * tenant's ops/s from its applications' client metrics. `top` tenants in each ranking.
 */
export function buildUsageReport(
  snapshot: UsageSnapshot,
  connections: readonly TenantConnections[],
  ops: { perTenant: ReadonlyMap<string, number>; source: string } | null,
  top = 10,
): UsageReport {
  const byTenant = new Map<string, UsageTenantRow>();
  const row = (tenant: string, plan: string | null): UsageTenantRow => {
    let r = byTenant.get(tenant);
    if (!r) {
      r = {
        tenant,
        plan,
        keys: 0,
        memory_bytes: 0,
        modules: [],
        connections: { mobile: 0, web: 0, unknown: 0 },
        mobile_pct: null,
        ops_per_s: ops ? (ops.perTenant.get(tenant) ?? 0) : null,
      };
      byTenant.set(tenant, r);
    }
    return r;
  };
  for (const t of snapshot.tenants) row(t.tenant, t.plan);
  for (const m of snapshot.tenantModules) {
    const r = row(m.tenant, m.plan);
    r.keys += m.keys;
    r.memory_bytes += m.memoryBytes;
    r.modules.push({
      module: m.module,
      keys: m.keys,
      keys_limit: m.keysLimit,
      keys_pct: pct(m.keys, m.keysLimit),
      memory_bytes: m.memoryBytes,
      memory_limit_bytes: m.memoryLimitBytes,
      memory_pct: pct(m.memoryBytes, m.memoryLimitBytes),
      quota_entries: m.quotaEntries,
    });
  }
  // Connections of a tenant with no keys and no meta still show: someone is connected as it.
  for (const c of connections) row(c.tenant, null).connections[c.channel] += c.connections;
  const tenants = [...byTenant.values()].sort((a, b) => a.tenant.localeCompare(b.tenant));
  for (const t of tenants) {
    t.modules.sort((a, b) => a.module.localeCompare(b.module));
    const all = t.connections.mobile + t.connections.web + t.connections.unknown;
    t.mobile_pct = all > 0 ? (100 * t.connections.mobile) / all : null;
  }
  const ranked = <K extends 'memory_bytes' | 'ops_per_s'>(k: K) =>
    [...tenants]
      .filter((t) => (t[k] ?? 0) > 0)
      .sort((a, b) => (b[k] ?? 0) - (a[k] ?? 0) || a.tenant.localeCompare(b.tenant))
      .slice(0, top);
  return {
    schema: 'cache-harness.usage',
    schema_version: USAGE_SCHEMA_VERSION,
    taken_at: snapshot.takenAt,
    accounting_ms: snapshot.durationMs,
    keys_scanned: snapshot.keysScanned,
    tenants,
    top_by_memory: ranked('memory_bytes').map((t) => ({ tenant: t.tenant, memory_bytes: t.memory_bytes })),
    top_by_ops: ops ? ranked('ops_per_s').map((t) => ({ tenant: t.tenant, ops_per_s: t.ops_per_s ?? 0 })) : null,
    ops_note: ops
      ? ops.source
      : 'ops per tenant need the applications’ client metrics (--client-metrics URL): Redis 7.0 counts no commands per user',
  };
}

const CSV_HEADER = [
  'tenant',
  'plan',
  'module',
  'keys',
  'keys_limit',
  'keys_pct',
  'memory_bytes',
  'memory_limit_bytes',
  'memory_pct',
  'quota_entries',
  'mobile_connections',
  'web_connections',
  'unknown_connections',
  'mobile_pct',
  'ops_per_s',
] as const;

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
const csvField = (v: string | number | null): string => {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One line per tenant-module (a tenant with none: one line with an empty module), tenant columns repeated. */
export function usageCsv(r: UsageReport): string {
  const lines = [CSV_HEADER.join(',')];
  for (const t of r.tenants) {
    const tail = [t.connections.mobile, t.connections.web, t.connections.unknown, t.mobile_pct, t.ops_per_s];
    const mods = t.modules.length ? t.modules : [null];
    for (const m of mods)
      lines.push(
        [
          t.tenant,
          t.plan,
          m?.module ?? '',
          m?.keys ?? null,
          m?.keys_limit ?? null,
          m?.keys_pct ?? null,
          m?.memory_bytes ?? null,
          m?.memory_limit_bytes ?? null,
          m?.memory_pct ?? null,
          m?.quota_entries ?? null,
          ...tail,
        ]
          .map(csvField)
          .join(','),
      );
  }
  return `${lines.join('\r\n')}\r\n`;
}
