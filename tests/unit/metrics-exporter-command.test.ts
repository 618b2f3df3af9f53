import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { exporterTarget } from '../../src/commands/exporter.js';
import { HarnessError } from '../../src/errors.js';
import { runProgram } from '../support/cli.js';

describe('cache-harness exporter (argument handling, no server)', () => {
  it('--target gives an external target with its credentials', () => {
    const t = exporterTarget({ target: 'redis://admin:s3cret@127.0.0.1:7001' });
    expect(t).toMatchObject({
      backend: 'external',
      seeds: [{ host: '127.0.0.1', port: 7001 }],
      username: 'admin',
      password: 's3cret',
      destructive: false,
    });
  });

  it('--target and --port-base together are refused', () => {
    expect(() => exporterTarget({ target: 'redis://127.0.0.1:7001', portBase: 7001 })).toThrow(HarnessError);
  });

  it('--port-base of no local cluster is a HarnessError before any port is bound', () => {
    expect(() => exporterTarget({ portBase: 54321 })).toThrow(/no local cluster of ours on port base 54321/);
  });

  it('rejects bad ports and intervals, and requires --port', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['exporter'], /required option '--port <port>' not specified/],
      [['exporter', '--port', '80'], /--port <port>' argument '80' is invalid\. must be an integer from 1024 to 65535/],
      [['exporter', '--port', '9199', '--interval', '0'], /must be a number of seconds from 1 to 86400/],
      [['exporter', '--port', '9199', '--accounting-interval', 'x'], /must be a number of seconds from 1 to 86400/],
      [
        ['exporter', '--port', '9199', '--probe-max', '0'],
        /--probe-max <n>' argument '0' is invalid\. must be an integer from 1 to 100000/,
      ],
      [['exporter', '--port', '9199', '--port-base', '80'], /must be an integer from 1024 to 55529/],
      [
        ['exporter', '--port', '9199', '--port-base', '7001', '--target', 'redis://127.0.0.1:7001'],
        /cannot be used with option '--target <url>'/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runProgram(args);
      expect(r.error, args.join(' ')).toBeInstanceOf(CommanderError);
      expect((r.error as CommanderError).exitCode, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });
});
