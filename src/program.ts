import { EXIT_CODES_HELP } from './errors.js';
import { Command, Option, type OutputConfiguration } from 'commander';
import { writeFileSync } from 'node:fs';
import { GATE_SUITES } from './gate-suites.js';
import { harnessVersion } from './paths.js';
import { portBaseOption, specOption } from './commands/options.js';
import type { GateCommandOptions } from './commands/gate.js';
import type { FailoverCommandOptions } from './commands/failover.js';

// Each verb loads its implementation when it runs: a `bench` process then holds the load generator's
// modules only, not vitest, the chart renderer or the exporter (a resident-memory budget, measured).

export interface ProgramOptions {
  /**
   * The command line after `node cache-harness`. Of the verbs whose options live in their own modules
   * (tenant, provision, exporter, bench), only the one it names is loaded; with none named (or
   * `--help`, `help <verb>`), all of them are.
   */
  args?: readonly string[];
  /** Where commander writes help, version and usage errors (default: process stdout / stderr). */
  output?: OutputConfiguration;
}

/** Verbs that define their options in their own modules, registered only when wanted. */
const LAZY_VERBS: ReadonlyArray<{ names: readonly string[]; register: (program: Command) => Promise<unknown> }> = [
  {
    names: ['tenant', 'provision'],
    register: async (p) => {
      (await import('./commands/tenant.js')).registerTenantCommands(p, { specOption, baseOption: portBaseOption });
    },
  },
  {
    names: ['exporter'],
    register: async (p) => {
      (await import('./commands/exporter.js')).registerExporterCommand(p);
    },
  },
  {
    names: ['bench'],
    register: async (p) => (await import('./commands/bench.js')).registerBenchCommand(p, { spec: specOption, portBase: portBaseOption }),
  },
  {
    names: ['usage'],
    register: async (p) => (await import('./commands/usage.js')).registerUsageCommand(p, { spec: specOption, portBase: portBaseOption }),
  },
  {
    names: ['capacity'],
    register: async (p) =>
      (await import('./commands/capacity.js')).registerCapacityCommand(p, { spec: specOption, portBase: portBaseOption }),
  },
  { names: ['image'], register: async (p) => (await import('./commands/image.js')).registerImageCommand(p) },
  { names: ['compare'], register: async (p) => (await import('./commands/compare.js')).registerCompareCommand(p, { spec: specOption }) },
  { names: ['rolling-restart'], register: async (p) => (await import('./commands/rolling-restart.js')).registerRollingRestartCommand(p) },
  {
    names: ['backup', 'restore'],
    register: async (p) => (await import('./commands/backup.js')).registerBackupCommands(p, { spec: specOption, portBase: portBaseOption }),
  },
];

/**
 * The whole CLI as a commander program, parsed by nobody yet. It never exits the process: help,
 * version and usage errors throw a CommanderError (exitCode 0 for help and version), which src/cli.ts
 * maps to an exit code; an action's own error propagates from parseAsync as it was thrown.
 */
export async function buildProgram(opts: ProgramOptions = {}): Promise<Command> {
  // Set before any verb is added: subcommands copy these settings when they are created.
  const program = new Command().exitOverride();
  if (opts.output) program.configureOutput(opts.output);
  program
    .name('cache-harness')
    .description(`Benchmark and conformance harness for a multi-tenant Redis Cluster.\n${EXIT_CODES_HELP}`)
    .version(harnessVersion())
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('up')
    .description("start the spec's cluster as local redis-server processes on 127.0.0.1 and wait until it is ready")
    .addOption(specOption())
    .addOption(portBaseOption())
    .action(async (o: { spec: string; portBase: number }) => (await import('./commands/cluster.js')).upCommand(o));

  program
    .command('status')
    .description('show the nodes of a local cluster started by `up` (role, pid, state, slots)')
    .addOption(portBaseOption())
    .option('--json', 'print JSON')
    .action(async (o: { portBase: number; json?: boolean }) => (await import('./commands/cluster.js')).statusCommand(o));

  program
    .command('down')
    .description('stop the processes a local `up` started (only those) and remove its run dir')
    .addOption(portBaseOption())
    .option('--keep-run-dir', 'keep data dirs and logs')
    .action(async (o: { portBase: number; keepRunDir?: boolean }) => (await import('./commands/cluster.js')).downCommand(o));

  program
    .command('gate')
    .summary('the CI gate: up -> conformance suites -> report (HTML, JSON, JUnit) -> down; exit 0/1/2/3')
    .description(`the CI gate: up -> conformance suites -> report (HTML, JSON, JUnit) -> down.\n${EXIT_CODES_HELP}`)
    .addOption(specOption())
    .addOption(portBaseOption())
    .option('--target <url>', 'run against an external cluster, redis://[user:pass@]host:port (non-destructive suites only)')
    .option('--allow-destructive', 'with --target: also run suites that change the cluster')
    .addOption(
      new Option(
        '--backend <kind>',
        "how to start the cluster when no --target: local redis-server processes; the spec's compose file (docker compose v2 or docker-compose v1); or one container per node (testcontainers). compose and containers need a Docker engine and a local image: `cache-harness image build`, then CACHE_HARNESS_REDIS_IMAGE=<tag> (else the spec's topology.image); nothing is pulled",
      )
        .choices(['local', 'compose', 'containers'])
        .default('local'),
    )
    .option('--reports <dir>', 'where reports/<run-id>/ goes (default: ./reports in the project)')
    .option('--keep-run-dir', "keep the local cluster's data dirs and logs after the run")
    .option(
      '--suites <names>',
      `run only these suites, comma-separated (${GATE_SUITES.map((x) => x.name).join(',')}); the others are reported as skipped`,
    )
    .option(
      '--baseline <file>',
      "compare the perf benches with an earlier run's result.json (or bench --json file) under the spec's `regression:` thresholds; a regression fails the gate",
    )
    .action(async (o: GateCommandOptions) => (await import('./commands/gate.js')).gateCommand(o));

  program
    .command('failover')
    .description(
      'kill, pause or restart one master of a local cluster `up` started, under traffic over every shard: client-visible window, promotion, recovery, acked writes lost',
    )
    .addOption(specOption())
    .addOption(portBaseOption())
    .option('--node <name>', "the master to fault (default: the spec's first master)")
    .addOption(
      new Option('--fault <kind>', 'SIGKILL, SIGSTOP held past cluster-node-timeout, or a clean restart')
        .choices(['kill', 'pause', 'restart'])
        .default('kill'),
    )
    .option('--json <file>', 'write the result as JSON')
    .action(async (o: FailoverCommandOptions) => (await import('./commands/failover.js')).failoverCommand(o));

  program
    .command('lint-config')
    .description('lint redis.conf files: what the real redis-server rejects, plus checks Redis does not make')
    .argument('<files...>', 'redis.conf files')
    .option('--json', 'print JSON')
    .option('--no-container', "do not require logfile/dir paths to exist inside the cluster's containers")
    .action(async (files: string[], o: { json?: boolean; container: boolean }) =>
      (await import('./commands/lint.js')).lintCommand(files, o),
    );

  program
    .command('lint-compose')
    .description(
      "lint docker compose files of Redis nodes: a data volume shared by several nodes, config paths the container lacks, restart loops on a config Redis cannot start with, and each node config's own problems (requirepass without masterauth...)",
    )
    .argument('<files...>', 'compose files')
    .option('--json', 'print JSON')
    .action(async (files: string[], o: { json?: boolean }) => (await import('./commands/lint-compose.js')).lintComposeCommand(files, o));

  program
    .command('render-conf')
    .description('render the redis.conf of spec nodes: container flavor to stdout, or runnable local files with --out-dir')
    .addOption(specOption())
    .addOption(portBaseOption())
    .option('--node <name>', 'only this node (default: all)')
    .option('--out-dir <dir>', 'write <dir>/<node>/redis.conf (+ users.acl), local flavor, and print the paths')
    .action(async (o: { spec: string; portBase: number; node?: string; outDir?: string }) => {
      (await import('./commands/render-conf.js')).renderConfCommand(o);
    });

  program
    .command('report')
    .description(
      "rebuild report.html, report.md and junit.xml from result.json alone: DIR is one run's folder, or a reports folder (every run in it, and its index.html); default ./reports",
    )
    .argument('[dir]', "a run's folder or a reports folder")
    .action(async (dir: string | undefined) => {
      (await import('./commands/report.js')).reportCommand(dir);
    });

  program
    .command('compose')
    .description('print docker-compose.cluster.yml rendered from the spec (the committed file must equal it)')
    .addOption(specOption())
    .addOption(portBaseOption())
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (o: { spec: string; portBase: number; out?: string }) => {
      const text = (await import('./commands/compose.js')).composeCommand(o);
      if (o.out) writeFileSync(o.out, text);
      else process.stdout.write(text);
    });

  const verb = opts.args?.find((a) => !a.startsWith('-'));
  const wanted = LAZY_VERBS.find((v) => verb !== undefined && v.names.includes(verb));
  const inline = program.commands.some((c) => c.name() === verb);
  for (const v of wanted ? [wanted] : inline ? [] : LAZY_VERBS) await v.register(program);
  return program;
}
