import { CommanderError } from 'commander';
import { describeError, EXIT } from './errors.js';
import { buildProgram } from './program.js';

try {
  const program = await buildProgram({ args: process.argv.slice(2) });
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed the help, the version or the usage error. A usage error means the harness
    // could not run (2), never that a check failed (1).
    process.exitCode = err.exitCode === 0 ? EXIT.pass : EXIT.harness;
  } else {
    // Last line of defence: no password this process knows reaches the terminal.
    process.stderr.write(`cache-harness: ${describeError(err)}\n`);
    process.exitCode = EXIT.harness;
  }
}
