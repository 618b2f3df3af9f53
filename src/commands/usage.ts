import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { resolveTarget } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import { formatBytes as mib, renderTable } from '../format/index.js';
import { clientOpsPerTenant } from '../metrics/client-ops.js';
import { readLiveCluster } from '../metrics/live-read.js';
import { accountUsage } from '../metrics/usage.js';
import { buildUsageReport, usageCsv, type UsageReport } from '../metrics/usage-report.js';
import { renderUsageHtml } from '../report/usage-html.js';
import { loadSpec } from '../spec/index.js';
import { positiveInt, positiveNumber } from './options.js';
import { progress } from './progress.js';

export interface UsageCliOptions {
  spec: string;
  portBase: number;
  target?: string;
  json?: string;
  csv?: string;
  html?: string;
  top: number;
  clientMetrics?: string[];
  opsWindow: number;
}

/** Register `usage` on the CLI (src/program.ts). */
export function registerUsageCommand(program: Command, common: { spec: () => Option; portBase: () => Option }): Command {
  return program
    .command('usage')
    .description(
      'usage report per tenant and module: keys / quota, memory / limit, plan, channel mix of its connections, top tenants by memory and by ops; the accounting the exporter serves (SCAN on every master, CLIENT LIST on every node)',
    )
    .addOption(common.spec())
    .addOption(common.portBase())
    .option('--target <url>', 'an external cluster, redis://[user:pass@]host:port (password from CACHE_HARNESS_PASSWORD); only read')
    .option('--json <file>', 'write the usage document (JSON)')
    .option('--csv <file>', 'write one line per tenant-module (CSV, RFC 4180)')
    .option('--html <file>', 'write the report as one HTML page')
    .addOption(new Option('--top <n>', 'tenants in each top list').argParser(positiveInt('--top')).default(10))
    .addOption(
      new Option(
        '--client-metrics <url...>',
        "applications' client metrics (GET /metrics of TenantCache's registry): ops per tenant for the top-by-ops list (Redis counts no commands per user)",
      ),
    )
    .addOption(new Option('--ops-window <s>', 'seconds between the two reads of the client metrics').argParser(positiveNumber).default(10))
    .action(async (o: UsageCliOptions) => usageCommand(o));
}

export async function usageCommand(o: UsageCliOptions): Promise<void> {
  const spec = loadSpec(o.spec);
  const target = resolveTarget(o);
  for (const u of o.clientMetrics ?? []) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new HarnessError(`--client-metrics ${u} is not a URL`, 'give http://host:port/metrics');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new HarnessError(`--client-metrics ${u}: not http(s)`, 'give http://host:port/metrics');
  }
  progress('accounting: SCAN of every master');
  const snapshot = await accountUsage(target, { modules: Object.keys(spec.modules) });
  progress(`accounted ${snapshot.keysScanned} keys in ${(snapshot.durationMs / 1000).toFixed(1)} s; CLIENT LIST of every node`);
  const live = await readLiveCluster(target);
  for (const f of live.failures) progress(`node ${f.node} not read: ${f.error} (its connections are not counted)`);
  let ops: { perTenant: Map<string, number>; source: string } | null = null;
  if (o.clientMetrics?.length) {
    progress(`client metrics: two reads of ${o.clientMetrics.length} URL(s), ${o.opsWindow} s apart`);
    ops = {
      perTenant: await clientOpsPerTenant(o.clientMetrics, o.opsWindow * 1000),
      source: `ops/s from the client metrics of ${o.clientMetrics.length} application(s) over ${o.opsWindow} s`,
    };
  }
  const report = buildUsageReport(snapshot, live.connections, ops, o.top);
  process.stdout.write(`${formatUsage(report)}\n`);
  const outputs: Array<[string | undefined, () => string]> = [
    [o.json, () => `${JSON.stringify(report, null, 2)}\n`],
    [o.csv, () => usageCsv(report)],
    [o.html, () => renderUsageHtml(report)],
  ];
  for (const [file, text] of outputs) {
    if (!file) continue;
    writeFileSync(resolve(file), text());
    process.stdout.write(`wrote ${resolve(file)}\n`);
  }
}

/** The terminal summary: per tenant, then the top lists. */
export function formatUsage(r: UsageReport): string {
  const perTenant = renderTable([
    ['tenant', 'plan', 'keys', 'memory', 'worst keys %', 'worst memory %', 'mobile / web / unknown', 'ops/s'],
    ...r.tenants.map((t) => {
      const worst = (k: 'keys_pct' | 'memory_pct') => {
        const xs = t.modules.map((m) => m[k]).filter((x): x is number => x !== null);
        return xs.length ? `${Math.max(...xs).toFixed(1)}%` : '';
      };
      return [
        t.tenant,
        t.plan ?? '(no meta)',
        String(t.keys),
        mib(t.memory_bytes),
        worst('keys_pct'),
        worst('memory_pct'),
        `${t.connections.mobile} / ${t.connections.web} / ${t.connections.unknown}`,
        t.ops_per_s === null ? '' : String(t.ops_per_s),
      ];
    }),
  ]);
  const top = `top by memory: ${r.top_by_memory.map((t) => `${t.tenant} ${mib(t.memory_bytes)}`).join(', ') || 'none'}`;
  const ops = r.top_by_ops
    ? `top by ops: ${r.top_by_ops.map((t) => `${t.tenant} ${t.ops_per_s}/s`).join(', ') || 'none'}`
    : `top by ops: not measured (${r.ops_note})`;
  return `${perTenant}\n\n${top}\n${ops}`;
}
