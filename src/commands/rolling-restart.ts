import { writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { localNodeControl, readState, resolveTarget } from '../cluster/index.js';
import { EXIT, HarnessError } from '../errors.js';
import { runRollingRestart, rollingProblems, type RollingRunResult } from '../faults/rolling-run.js';
import { formatSeconds, formatUs, renderTable } from '../format/index.js';
import { loadSpec } from '../spec/index.js';
import { withCleanupOnSignal } from '../cluster/signals.js';
import { portBaseOption } from './options.js';
import { progress } from './progress.js';

export interface RollingRestartCommandOptions {
  portBase: number;
  json?: string;
  rate: number;
}

/** An abort waits this long for the step in flight and the cleanup (each step's waits are bounded by 30 s). */
const ABORT_GRACE_MS = 150_000;

function rate(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 1 || n > 5000) throw new InvalidArgumentError('must be a number of ops/s from 1 to 5000 (per tenant)');
  return n;
}

/** `cache-harness rolling-restart`: progress on stderr, the summary on stdout, exit 1 when it did not go as it must. */
export async function rollingRestartCommand(o: RollingRestartCommandOptions): Promise<void> {
  const target = resolveTarget({ portBase: o.portBase }, { load: true });
  if (!target.runDir || target.password === undefined) throw new HarnessError('the local cluster has no run dir or password');
  const spec = loadSpec(readState(target.runDir).specPath);
  const control = localNodeControl(target.runDir, target.password);
  const abort = new AbortController();
  const running = runRollingRestart(target, control, spec, { ratePerSec: o.rate, log: progress, signal: abort.signal });
  running.catch(() => undefined); // awaited below
  const result = await withCleanupOnSignal(
    {
      // No new step starts; the one in flight, the nodes' restart and the tenants' removal finish (bounded).
      run: async () => {
        abort.abort();
        await Promise.race([running.catch(() => undefined), new Promise((r) => setTimeout(r, ABORT_GRACE_MS).unref())]);
      },
      emergency: () => undefined,
    },
    () => running,
    progress,
  );
  if (o.json) writeFileSync(o.json, `${JSON.stringify(result, null, 2)}\n`);
  const problems = rollingProblems(result, spec);
  process.stdout.write(`${summaryText(result)}\n${problems.length === 0 ? 'OK' : `FAILED:\n  ${problems.join('\n  ')}`}\n`);
  if (o.json) process.stdout.write(`json: ${o.json}\n`);
  process.exitCode = problems.length === 0 ? EXIT.pass : EXIT.fail;
}

export function summaryText(r: RollingRunResult): string {
  const steps = renderTable(
    [['step', 'node', 'action', 'took'], ...r.restart.steps.map((s, i) => [String(i + 1), s.node, s.action, formatSeconds(s.ms, 2)])],
    { align: ['right', 'left', 'left', 'right'] },
  );
  const tenants = renderTable([
    ['tenant', 'shard', 'ops', 'failed', 'p99', 'p99.9', 'max'],
    ...r.tenants.map((t) => [
      t.tenant,
      t.shard,
      String(t.ops),
      String(t.failed_ops),
      formatUs(t.p99_us),
      formatUs(t.p99_9_us),
      formatUs(t.max_us),
    ]),
  ]);
  const errors = r.tenants.flatMap((t) => t.errors.map((e) => `  ${t.tenant}: ${e}`));
  return [
    `rolling restart: ${r.restart.steps.length} step(s) in ${formatSeconds(r.restart.ms)}${r.restart.completed ? '' : `, stopped at ${r.restart.stoppedAt ?? '?'}`}`,
    steps,
    `traffic: ${r.rate_per_tenant} ops/s per tenant, one tenant per master`,
    tenants,
    ...(errors.length ? ['first errors:', ...errors] : []),
    `failed ops: ${r.failed_ops} of ${r.ops}; worst latency ${formatUs(r.worst_latency_us)} (${r.worst_latency_tenant})`,
    `end state: ${r.restart.topologyProblems.length === 0 ? 'as the spec describes' : r.restart.topologyProblems.join('; ')}`,
  ].join('\n');
}

/** Register `rolling-restart` on the CLI program (src/program.ts calls this). */
export function registerRollingRestartCommand(program: Command): void {
  program
    .command('rolling-restart')
    .description(
      'restart every node of a local cluster from `up` in turn, under traffic: replicas first, then each master by CLUSTER FAILOVER to its replica, restart, fail back; reports failed ops and the worst latency',
    )
    .addOption(portBaseOption())
    .option('--json <file>', 'also write the result as JSON')
    .addOption(new Option('--rate <ops>', 'ops/s per tenant (one tenant per master, paced open loop)').argParser(rate).default(300))
    .action(async (o: RollingRestartCommandOptions) => rollingRestartCommand(o));
}
