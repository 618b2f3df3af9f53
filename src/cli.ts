import { Command, InvalidArgumentError, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { describeError, EXIT } from './errors.js';
import { DEFAULT_SPEC_PATH } from './spec/index.js';
import { harnessVersion } from './paths.js';
import type { GateCommandOptions } from './commands/gate.js';

// Each verb loads its implementation when it runs: a `bench` process then holds the load generator's
// modules only, not vitest, the chart renderer or the exporter (a resident-memory budget, measured).

const DEFAULT_PORT_BASE = 7001;

function portBase(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1024 || n > 55529) throw new InvalidArgumentError('must be an integer from 1024 to 55529 (bus ports are +10000)');
  return n;
}

const specOption = () => new Option('--spec <file>', 'spec file (YAML)').default(DEFAULT_SPEC_PATH, 'fixtures/kryonix.spec.yaml');
const baseOption = () => new Option('--port-base <port>', 'first node port; nodes use base..base+5, bus ports +10000').argParser(portBase).default(DEFAULT_PORT_BASE);

const program = new Command()
  .name('cache-harness')
  .description('Benchmark and conformance harness for a multi-tenant Redis Cluster.\nExit codes: 0 all passed, 1 a check failed, 2 the harness could not run, 3 inconclusive (a measurement could not be judged).')
  .version(harnessVersion())
  .showHelpAfterError('(run with --help for usage)');

program.command('up')
  .description('start the spec\'s cluster as local redis-server processes on 127.0.0.1 and wait until it is ready')
  .addOption(specOption()).addOption(baseOption())
  .action(async (o: { spec: string; portBase: number }) => (await import('./commands/cluster.js')).upCommand(o));

program.command('status')
  .description('show the nodes of a local cluster started by `up` (role, pid, state, slots)')
  .addOption(baseOption())
  .option('--json', 'print JSON')
  .action(async (o: { portBase: number; json?: boolean }) => (await import('./commands/cluster.js')).statusCommand(o));

program.command('down')
  .description('stop the processes a local `up` started (only those) and remove its run dir')
  .addOption(baseOption())
  .option('--keep-run-dir', 'keep data dirs and logs')
  .action(async (o: { portBase: number; keepRunDir?: boolean }) => (await import('./commands/cluster.js')).downCommand(o));

program.command('gate')
  .summary('the CI gate: up -> conformance suites -> report (HTML, JSON, JUnit) -> down; exit 0/1/2/3')
  .description('the CI gate: up -> conformance suites -> report (HTML, JSON, JUnit) -> down.\nExit codes: 0 every check passed, 1 a check or suite failed (a check that did not run fails), 2 the harness could not run (or a suite errored), 3 inconclusive: nothing failed but a measurement could not be judged.')
  .addOption(specOption()).addOption(baseOption())
  .option('--target <url>', 'run against an external cluster, redis://[user:pass@]host:port (non-destructive suites only)')
  .option('--allow-destructive', 'with --target: also run suites that change the cluster')
  .addOption(new Option('--backend <kind>', 'how to start the cluster when no --target: local processes, or docker-compose.cluster.yml (needs a Docker engine; ports 7001-7006)').choices(['local', 'compose']).default('local'))
  .option('--reports <dir>', 'where reports/<run-id>/ goes (default: ./reports in the project)')
  .option('--keep-run-dir', 'keep the local cluster\'s data dirs and logs after the run')
  .option('--suites <names>', 'run only these suites, comma-separated (config,isolation,sharding,ttl,quota,perf); the others are reported as skipped')
  .action(async (o: GateCommandOptions) => (await import('./commands/gate.js')).gateCommand(o));

program.command('lint-config')
  .description('lint redis.conf files: what the real redis-server rejects, plus checks Redis does not make')
  .argument('<files...>', 'redis.conf files')
  .option('--json', 'print JSON')
  .option('--no-container', 'do not require logfile/dir paths to exist inside the cluster\'s containers')
  .action(async (files: string[], o: { json?: boolean; container: boolean }) => (await import('./commands/lint.js')).lintCommand(files, o));

program.command('render-conf')
  .description('render the redis.conf of spec nodes: container flavor to stdout, or runnable local files with --out-dir')
  .addOption(specOption()).addOption(baseOption())
  .option('--node <name>', 'only this node (default: all)')
  .option('--out-dir <dir>', 'write <dir>/<node>/redis.conf (+ users.acl), local flavor, and print the paths')
  .action(async (o: { spec: string; portBase: number; node?: string; outDir?: string }) => { (await import('./commands/render-conf.js')).renderConfCommand(o); });

program.command('compose')
  .description('print docker-compose.cluster.yml rendered from the spec (the committed file must equal it)')
  .addOption(specOption()).addOption(baseOption())
  .option('-o, --out <file>', 'write to a file instead of stdout')
  .action(async (o: { spec: string; portBase: number; out?: string }) => {
    const text = (await import('./commands/compose.js')).composeCommand(o);
    if (o.out) writeFileSync(o.out, text);
    else process.stdout.write(text);
  });

// These verbs define their options in their own modules: load only the one being run (all of them for --help).
const lazyVerbs: Array<{ names: readonly string[]; register: () => Promise<void> }> = [
  { names: ['tenant', 'provision'], register: async () => (await import('./commands/tenant.js')).registerTenantCommands(program, { specOption, baseOption }) },
  { names: ['exporter'], register: async () => (await import('./commands/exporter.js')).registerExporterCommand(program) },
  { names: ['bench'], register: async () => { (await import('./commands/bench.js')).registerBenchCommand(program, { spec: specOption, portBase: baseOption }); } },
];
const verb = process.argv.slice(2).find((a) => !a.startsWith('-'));
const wanted = lazyVerbs.find((v) => verb !== undefined && v.names.includes(verb));
const inline = program.commands.some((c) => c.name() === verb);
for (const v of wanted ? [wanted] : inline ? [] : lazyVerbs) await v.register();

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`cache-harness: ${describeError(err)}\n`);
  process.exitCode = EXIT.harness;
}
