import { CommanderError, type Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/program.js';
import { runProgram } from '../support/cli.js';

const VERBS = [
  'up',
  'status',
  'down',
  'gate',
  'lint-config',
  'lint-compose',
  'image',
  'render-conf',
  'compose',
  'report',
  'tenant',
  'provision',
  'exporter',
  'bench',
  'compare',
  'capacity',
  'usage',
  'rolling-restart',
  'failover',
  'backup',
  'restore',
];
const LAZY = ['tenant', 'provision', 'exporter', 'bench', 'compare', 'capacity', 'usage', 'rolling-restart', 'backup', 'restore', 'image'];

/** Every command of the program with its path from the root ([] for the root itself). */
function walk(cmd: Command, path: string[] = []): Array<{ path: string[]; cmd: Command }> {
  return [{ path, cmd }, ...cmd.commands.flatMap((c) => walk(c, [...path, c.name()]))];
}

/** Help text is wrapped to the terminal's width: compare with runs of white space as one space. */
const flat = (s: string) => s.replace(/\s+/g, ' ');

describe('the CLI program (src/program.ts; no server, no network)', () => {
  it('has every verb, each with a description', async () => {
    const program = await buildProgram();
    expect(program.commands.map((c) => c.name()).sort()).toEqual([...VERBS].sort());
    for (const { path, cmd } of walk(program)) expect(cmd.description(), path.join(' ') || 'root').not.toBe('');
  });

  it('--help works on every command and describes each of its options and arguments', async () => {
    const commands = walk(await buildProgram());
    expect(commands.map((c) => c.path.join(' '))).toEqual(
      expect.arrayContaining(['tenant create', 'tenant list', 'tenant show', 'tenant remove']),
    );
    for (const { path, cmd } of commands) {
      const name = path.join(' ') || 'cache-harness';
      // As the bin does it: built for this command line, so a lazily loaded verb is loaded.
      const r = await runProgram([...path, '--help']);
      expect(r.error, name).toBeInstanceOf(CommanderError);
      expect(r.error, name).toMatchObject({ code: 'commander.helpDisplayed', exitCode: 0 });
      expect(r.stderr, name).toBe('');
      const help = flat(r.stdout);
      expect(help, name).toContain(`Usage: cache-harness${path.map((p) => ` ${p}`).join('')}`);
      expect(help, name).toContain(flat(cmd.description()));
      for (const o of cmd.options) {
        expect(o.description, `${name} ${o.flags}`).not.toBe('');
        expect(help, `${name} ${o.flags}`).toContain(`${o.flags} ${flat(o.description)}`);
      }
      for (const a of cmd.registeredArguments) {
        expect(a.description, `${name} <${a.name()}>`).not.toBe('');
        expect(help, `${name} <${a.name()}>`).toContain(flat(a.description));
      }
      for (const sub of cmd.commands) expect(help, `${name} lists ${sub.name()}`).toContain(` ${sub.name()}`);
    }
  });

  it("`help <verb>` prints the verb's options too", async () => {
    const r = await runProgram(['help', 'bench']);
    expect(r.error).toMatchObject({ exitCode: 0 });
    expect(r.stdout).toContain('Usage: cache-harness bench');
    expect(r.stdout).toContain('--rate <ops>');
  });

  it('loads only the verb it runs: `bench` leaves tenant, provision and exporter out', async () => {
    const names = (await buildProgram({ args: ['bench', '--micro'] })).commands.map((c) => c.name());
    expect(names).toContain('bench');
    expect(names.filter((n) => LAZY.includes(n))).toEqual(['bench']);
    const inline = (await buildProgram({ args: ['up', '--port-base', '7001'] })).commands.map((c) => c.name());
    expect(inline.filter((n) => LAZY.includes(n))).toEqual([]);
  });

  it('usage errors throw a CommanderError (exit code 1 from commander) and name the problem; nothing exits the process', async () => {
    const unknown = await runProgram(['nosuchverb']);
    expect(unknown.error).toBeInstanceOf(CommanderError);
    expect(unknown.stderr).toMatch(/unknown command 'nosuchverb'/);
    const badBase = await runProgram(['up', '--port-base', '80']);
    expect(badBase.error).toMatchObject({ code: 'commander.invalidArgument', exitCode: 1 });
    expect(badBase.stderr).toMatch(/--port-base <port>' argument '80' is invalid\. must be an integer from 1024 to 55529/);
    const badChoice = await runProgram(['bench', '--mode', 'sideways']);
    expect(badChoice.stderr).toMatch(/argument 'sideways' is invalid\. Allowed choices are open, closed/);
  });

  it('defaults come from one place: --port-base 7001 and the spec fixture on every verb that takes them', async () => {
    const program = await buildProgram();
    for (const { path, cmd } of walk(program)) {
      for (const o of cmd.options) {
        if (o.long === '--port-base' && path[0] !== 'exporter') expect(o.defaultValue, path.join(' ')).toBe(7001);
        if (o.long === '--spec') expect(String(o.defaultValue), path.join(' ')).toMatch(/fixtures\/kryonix\.spec\.yaml$/);
      }
    }
  });
});
