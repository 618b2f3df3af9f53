import { type Command, InvalidArgumentError, Option } from 'commander';
import { resolveTarget, type Target } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import {
  startExporter,
  EXPORTER_HOST,
  DEFAULT_ACCOUNTING_INTERVAL_SECONDS,
  DEFAULT_INTERVAL_SECONDS,
  DEFAULT_PROBE_OPTIONS,
  type Exporter,
} from '../metrics/index.js';
import { DEFAULT_SPEC_PATH, loadSpec } from '../spec/index.js';
import { DEFAULT_PORT_BASE, parsePortBase, specOption } from './options.js';
import { progress } from './progress.js';

export interface ExporterCommandOptions {
  port: number;
  portBase?: number;
  target?: string;
  /** Seconds between live reads (CLIENT LIST, INFO, probe round). */
  interval: number;
  /** Seconds between usage accountings (SCAN of every master). */
  accountingInterval: number;
  /** Tenant-modules probed per live read (a rotation covers the rest). */
  probeMax: number;
  /** Its modules are the only `module` label values. */
  spec?: string;
}

function httpPort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1024 || n > 65535) throw new InvalidArgumentError('must be an integer from 1024 to 65535');
  return n;
}

function probeMax(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError('must be an integer from 1 to 100000');
  return n;
}

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 1 || n > 86_400) throw new InvalidArgumentError('must be a number of seconds from 1 to 86400');
  return n;
}

/** The cluster to account: an external `--target`, or the local cluster `up` started on `--port-base`. */
export function exporterTarget(o: Pick<ExporterCommandOptions, 'portBase' | 'target'>): Target {
  if (o.target && o.portBase !== undefined) throw new HarnessError('give --target or --port-base, not both');
  return resolveTarget({ target: o.target, portBase: o.portBase ?? DEFAULT_PORT_BASE });
}

/** Start the exporter for the command's options (tests call this; the command then waits for a signal). */
export async function startExporterFromOptions(o: ExporterCommandOptions, log: (line: string) => void = progress): Promise<Exporter> {
  const modules = Object.keys(loadSpec(o.spec ?? DEFAULT_SPEC_PATH).modules);
  const target = exporterTarget(o);
  return startExporter({
    port: o.port,
    target,
    intervalSeconds: o.interval,
    accountingIntervalSeconds: o.accountingInterval,
    probe: { maxPerRound: o.probeMax },
    modules,
    log,
  });
}

/** `cache-harness exporter`: serve until SIGINT/SIGTERM, then close the HTTP server. */
export async function exporterCommand(o: ExporterCommandOptions): Promise<void> {
  const exp = await startExporterFromOptions(o);
  const where = o.target ? 'the --target cluster' : `the local cluster on port base ${o.portBase ?? DEFAULT_PORT_BASE}`;
  process.stdout.write(
    `exporter on ${exp.url} (bound to ${EXPORTER_HOST} only), reading ${where}: connections, node signals and a latency probe every ${o.interval} s, usage (SCAN of every master) every ${o.accountingInterval} s\nstop it with Ctrl-C\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  progress('stopping the exporter');
  await exp.close();
}

/** Register `exporter` on the CLI program (src/program.ts calls this). */
export function registerExporterCommand(program: Command): void {
  program
    .command('exporter')
    .description(
      'serve per-tenant usage (SCAN), connections per channel (CLIENT LIST), probe latency and per-node signals of a live cluster for Prometheus on 127.0.0.1:<port>/metrics',
    )
    .requiredOption('--port <port>', 'HTTP port; binds 127.0.0.1 only', httpPort)
    .addOption(
      new Option('--port-base <port>', `first node port of a local cluster started by \`up\` (default ${DEFAULT_PORT_BASE})`)
        .argParser(parsePortBase)
        .conflicts('target'),
    )
    .option('--target <url>', 'an external cluster instead, redis://[user:pass@]host:port')
    .addOption(specOption())
    .addOption(
      new Option('--interval <seconds>', 'seconds between live reads: CLIENT LIST and INFO on every node, then a probe round')
        .argParser(seconds)
        .default(DEFAULT_INTERVAL_SECONDS),
    )
    .addOption(
      new Option('--accounting-interval <seconds>', 'seconds between usage accountings (each one SCANs the whole keyspace)')
        .argParser(seconds)
        .default(DEFAULT_ACCOUNTING_INTERVAL_SECONDS),
    )
    .addOption(
      new Option('--probe-max <n>', 'tenant-modules probed per live read; a rotation covers the rest over the next reads')
        .argParser(probeMax)
        .default(DEFAULT_PROBE_OPTIONS.maxPerRound),
    )
    .action(async (o: ExporterCommandOptions) => exporterCommand(o));
}
