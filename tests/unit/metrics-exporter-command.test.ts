import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { exporterTarget, registerExporterCommand } from '../../src/commands/exporter.js';
import { HarnessError } from '../../src/errors.js';

function program(): { cmd: Command; errors: string[] } {
  const errors: string[] = [];
  const cmd = new Command().exitOverride().configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => undefined });
  registerExporterCommand(cmd);
  cmd.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => undefined }));
  return { cmd, errors };
}

describe('cache-harness exporter (argument handling, no server)', () => {
  it('--target gives an external target with its credentials', () => {
    const t = exporterTarget({ target: 'redis://admin:s3cret@127.0.0.1:7001' });
    expect(t).toMatchObject({ backend: 'external', seeds: [{ host: '127.0.0.1', port: 7001 }], username: 'admin', password: 's3cret', destructive: false });
  });

  it('--target and --port-base together are refused', () => {
    expect(() => exporterTarget({ target: 'redis://127.0.0.1:7001', portBase: 7001 })).toThrow(HarnessError);
  });

  it('--port-base of no local cluster is a HarnessError before any port is bound', () => {
    expect(() => exporterTarget({ portBase: 54321 })).toThrow(/no local cluster of ours on port base 54321/);
  });

  it('rejects bad ports and intervals, and requires --port', async () => {
    for (const args of [['exporter'], ['exporter', '--port', '80'], ['exporter', '--port', '9199', '--interval', '0'], ['exporter', '--port', '9199', '--port-base', '7001', '--target', 'redis://127.0.0.1:7001']]) {
      const { cmd, errors } = program();
      await expect(cmd.parseAsync(args, { from: 'user' })).rejects.toThrow();
      expect(errors.join('')).toMatch(/required option|must be|cannot be used with/);
    }
  });
});
