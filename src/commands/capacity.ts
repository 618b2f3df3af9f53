import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { buildWorkload } from '../bench/workload.js';
import { LIVE_SAMPLE_TENANTS } from '../capacity/live-sample.js';
import { DEFAULT_FILL } from '../capacity/placement.js';
import { DEFAULT_OPS_PER_TENANT_S } from '../capacity/projection.js';
import { runCapacity } from '../capacity/run.js';
import type { CapacityDocument } from '../capacity/schema.js';
import { MIN_STEP_SECONDS, SWEEP_DEFAULTS } from '../capacity/sweep.js';
import { resolveTarget } from '../cluster/index.js';
import { EXIT, HarnessError } from '../errors.js';
import { formatSeconds, formatUs, renderTable } from '../format/index.js';
import { DEFAULT_PLAN_MIX, generatePopulation, loadPopulation, type TenantInput } from '../provision/index.js';
import { renderCapacityPage } from '../report/capacity-html.js';
import { loadSpec, type Spec } from '../spec/index.js';
import { positiveInt, positiveNumber, share } from './options.js';
import { progress } from './progress.js';

export interface CapacityCliOptions {
  spec: string;
  portBase: number;
  target?: string;
  allowDestructive?: boolean;
  population?: string;
  tenants?: number;
  targetTenants?: number;
  fill: number;
  tenantsPerPlan: number;
  opsPerTenant: number;
  profile: 'mobile' | 'web';
  sweep: boolean;
  stepSeconds: number;
  maxRate: number;
  workers: number;
  liveSample: number;
  json?: string;
  reports?: string;
}

const DEFAULT_TENANTS = 1000;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

/** Register `capacity` on the CLI (src/program.ts). */
export function registerCapacityCommand(program: Command, common: { spec: () => Option; portBase: () => Option }): Command {
  return program
    .command('capacity')
    .description(
      'capacity planning: memory per key and tenant (measured through TenantCache), placement skew (checked live), throughput knees by open-loop sweeps (cluster and each master), and the per-shard projection for a population; exit 1 when the population does not fit',
    )
    .addOption(common.spec())
    .addOption(common.portBase())
    .option(
      '--target <url>',
      'an external cluster, redis://[user:pass@]host:port (password from CACHE_HARNESS_PASSWORD); needs --allow-destructive',
    )
    .option(
      '--allow-destructive',
      'with --target: allow writing (and removing) temporary tenants and keys, and loading the cluster to its knee',
    )
    .option('--population <file>', 'population YAML (as `provision --from`): its tenants, or its plan mix scaled by --tenants')
    .addOption(
      new Option(
        '--tenants <n>',
        `tenants to project (default: the file's, else ${DEFAULT_TENANTS} in the plan mix ${mixText(DEFAULT_PLAN_MIX)})`,
      ).argParser(positiveInt('--tenants')),
    )
    .addOption(
      new Option(
        '--target-tenants <n>',
        'masters (and module → master map) needed for this many tenants (default 10 × --tenants)',
      ).argParser(positiveInt('--target-tenants')),
    )
    .addOption(
      new Option('--fill <share>', "each tenant-module's keys, as a share of its plan's maxKeys")
        .argParser(fillShare)
        .default(DEFAULT_FILL),
    )
    .addOption(
      new Option('--tenants-per-plan <n>', 'tenants per plan the memory is measured on')
        .argParser(positiveInt('--tenants-per-plan'))
        .default(2),
    )
    .addOption(
      new Option('--ops-per-tenant <ops>', "ops/s of a tenant of activity 1 (the workload's plan activity scales it): a model input")
        .argParser(positiveNumber)
        .default(DEFAULT_OPS_PER_TENANT_S),
    )
    .addOption(new Option('--profile <name>', 'workload profile of the sweeps and the op mix').choices(['mobile', 'web']).default('mobile'))
    .option('--no-sweep', 'skip the throughput sweeps (ops/s are then no limit in the projection; the report says so)')
    .addOption(
      new Option('--step-seconds <s>', `measured seconds per sweep step (at least ${MIN_STEP_SECONDS}: a stable p99)`)
        .argParser(stepSeconds)
        .default(SWEEP_DEFAULTS.stepSeconds),
    )
    .addOption(
      new Option('--max-rate <ops>', 'highest offered rate a sweep tries')
        .argParser(positiveInt('--max-rate'))
        .default(SWEEP_DEFAULTS.maxRate),
    )
    .addOption(
      new Option('--workers <n>', 'generator threads per sweep step (more when one cannot issue the rate)')
        .argParser(positiveInt('--workers'))
        .default(1),
    )
    .addOption(
      new Option('--live-sample <n>', 'tenants of the population written and counted per master to check placement (0: none)')
        .argParser(nonNegativeInt)
        .default(LIVE_SAMPLE_TENANTS),
    )
    .option('--json <file>', 'write the capacity document (JSON)')
    .option('--reports <dir>', 'write capacity.json and capacity.html there')
    .addHelpText(
      'after',
      `\nTakes about ${Math.round((4 * SWEEP_DEFAULTS.maxSteps * 15) / 60)} minutes at most with the default sweeps (4 sweeps of at most ${SWEEP_DEFAULTS.maxSteps} steps), plus the memory fill. Every tenant and key it writes is removed, also on Ctrl-C (it stops after the step in flight).`,
    )
    .action(async (o: CapacityCliOptions) => capacityCommand(o));
}

function fillShare(v: string): number {
  const n = share(v);
  if (n === 0) throw new InvalidArgumentError('must be above 0 (a share of maxKeys, e.g. 0.5)');
  return n;
}
function stepSeconds(v: string): number {
  const n = positiveNumber(v);
  if (n < MIN_STEP_SECONDS) throw new InvalidArgumentError(`${n} s is too short for a stable p99: use at least ${MIN_STEP_SECONDS}`);
  return n;
}
function nonNegativeInt(v: string): number {
  return v === '0' ? 0 : positiveInt('--live-sample')(v);
}
function mixText(mix: Readonly<Record<string, number>>): string {
  return Object.entries(mix)
    .map(([p, n]) => `${p} ${n}`)
    .join('/');
}

/** The population to project: a file's tenants, its mix scaled to --tenants, or the default mix. */
export function resolvePopulation(
  spec: Spec,
  o: Pick<CapacityCliOptions, 'population' | 'tenants'>,
): { population: TenantInput[]; source: string } {
  if (o.population) {
    const file = loadPopulation(resolve(o.population), spec);
    if (o.tenants === undefined) return { population: file, source: `${file.length} tenant(s) from ${o.population}` };
    const mix: Record<string, number> = {};
    for (const t of file) mix[t.plan] = (mix[t.plan] ?? 0) + 1;
    const web = file.filter((t) => t.channel === 'web').length;
    return {
      population: generatePopulation({
        count: o.tenants,
        prefix: 'p',
        planMix: mix,
        webPercent: file.length ? (100 * web) / file.length : 0,
      }),
      source: `${o.tenants} tenant(s) in the plan mix of ${o.population} (${mixText(mix)})`,
    };
  }
  const n = o.tenants ?? DEFAULT_TENANTS;
  return {
    population: generatePopulation({ count: n, prefix: 'p' }),
    source: `${n} tenant(s) generated in the default plan mix (${mixText(DEFAULT_PLAN_MIX)})`,
  };
}

export async function capacityCommand(o: CapacityCliOptions): Promise<void> {
  const spec = loadSpec(o.spec);
  const target = resolveTarget(o, { load: true });
  const { population, source } = resolvePopulation(spec, o);
  // The outputs' folders are checked before a run of many minutes, not after it.
  if (o.reports) {
    mkdirSync(resolve(o.reports), { recursive: true });
    writableFolder(resolve(o.reports), '--reports');
  }
  if (o.json) writableFolder(dirname(resolve(o.json)), '--json');
  // Ctrl-C: stop after the step (or fill) in flight; every phase removes what it wrote. A second Ctrl-C exits at once.
  const controller = new AbortController();
  const onSigint = () => {
    progress('Ctrl-C: stopping after the step in flight and removing what this run wrote (Ctrl-C again to exit now)');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  let doc: CapacityDocument;
  try {
    doc = await runCapacity({
      spec,
      target,
      workload: buildWorkload(spec, o.profile),
      population,
      populationSource: source,
      targetTenants: o.targetTenants ?? 10 * population.length,
      fill: o.fill,
      tenantsPerPlan: o.tenantsPerPlan,
      opsPerTenantS: o.opsPerTenant,
      sweep: o.sweep ? { stepSeconds: o.stepSeconds, maxRate: o.maxRate, workers: o.workers } : null,
      liveSampleSize: o.liveSample,
      log: progress,
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  process.stdout.write(`${formatCapacity(doc)}\n`);
  const json = `${JSON.stringify(doc, null, 2)}\n`;
  if (o.json) {
    writeFileSync(resolve(o.json), json);
    process.stdout.write(`json: ${resolve(o.json)}\n`);
  }
  if (o.reports) {
    const dir = resolve(o.reports);
    writeFileSync(join(dir, 'capacity.json'), json);
    writeFileSync(join(dir, 'capacity.html'), renderCapacityPage(doc));
    process.stdout.write(`reports: ${join(dir, 'capacity.html')}\n`);
  }
  if (doc.projection.max_tenants < doc.projection.tenants) process.exitCode = EXIT.fail;
}

function writableFolder(dir: string, option: string): void {
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new HarnessError(
      `${option}: the folder ${dir} does not exist or is not writable`,
      'create it, or name a file in a writable folder',
    );
  }
}

/** The terminal summary: knees, bytes per tenant, the per-shard projection and the answer. */
export function formatCapacity(doc: CapacityDocument): string {
  const p = doc.projection;
  const knees = doc.sweeps.map((s) => [
    s.scope,
    s.knee ? String(s.knee.ops_per_s) : 'none',
    s.knee ? formatUs(s.knee.p99_us) : '',
    String(s.steps.length),
    s.stopped,
  ]);
  const lines = [
    doc.sweeps.length ? renderTable([['sweep', 'knee ops/s', 'p99 at knee', 'steps', 'stopped'], ...knees]) : 'no sweep was run',
    '',
    `bytes per tenant at ${(doc.memory.fill * 100).toFixed(0)}% fill: ${Object.entries(doc.memory.bytes_per_tenant)
      .map(([plan, b]) => `${plan} ${mib(b)}`)
      .join(', ')}`,
    '',
    renderTable([
      ['shard', 'memory', 'maxmemory', 'mem headroom', 'ops/s', 'knee', 'ops headroom', 'key share', 'ops share'],
      ...p.shards.map((s) => {
        const pl = doc.placement.shards.find((x) => x.name === s.name);
        return [
          s.name,
          mib(s.memory_bytes),
          mib(s.maxmemory_bytes),
          `${s.memory_headroom_pct}%`,
          String(s.ops_per_s),
          s.knee_ops_per_s === null ? '' : String(s.knee_ops_per_s),
          s.ops_headroom_pct === null ? '' : `${s.ops_headroom_pct}%`,
          pl ? `${(100 * pl.key_share).toFixed(1)}%` : '',
          pl ? `${(100 * pl.ops_share).toFixed(1)}%` : '',
        ];
      }),
    ]),
    '',
    `${p.tenants} tenants projected: ${p.max_tenants} fit; the first limit is ${p.first_limit.resource} on ${p.first_limit.shard}`,
    p.target_tenants === null
      ? ''
      : p.masters_needed === null
        ? `for ${p.target_tenants} tenants: no whole-module placement fits (see the assumptions in the report)`
        : `for ${p.target_tenants} tenants: ${p.masters_needed} master(s), modules → master ${JSON.stringify(p.module_map)}`,
    `done in ${formatSeconds(doc.duration_ms)}`,
  ];
  return lines.filter((l, i) => l !== '' || i > 0).join('\n');
}
