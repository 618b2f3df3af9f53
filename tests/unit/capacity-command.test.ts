import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { resolvePopulation } from '../../src/commands/capacity.js';
import { HarnessError } from '../../src/errors.js';
import { loadSpec } from '../../src/spec/index.js';
import { runProgram } from '../support/cli.js';

const spec = loadSpec();
const count = (ts: ReadonlyArray<{ plan: string }>) =>
  ts.reduce<Record<string, number>>((a, t) => ({ ...a, [t.plan]: (a[t.plan] ?? 0) + 1 }), {});

describe('cache-harness capacity: input (no server)', () => {
  it('the population: 1000 in the 60/30/10 mix by default, a file as written, or its mix scaled by --tenants', () => {
    const d = resolvePopulation(spec, {});
    expect(count(d.population)).toEqual({ basic: 600, pro: 300, enterprise: 100 });
    expect(d.source).toContain('default plan mix');
    const dir = mkdtempSync(join(tmpdir(), 'capacity-pop-'));
    const file = join(dir, 'pop.yaml');
    writeFileSync(
      file,
      'version: 1\ntenants:\n  - { id: a1, plan: basic }\n  - { id: a2, plan: basic, channel: web }\n  - { id: a3, plan: basic }\n  - { id: b1, plan: enterprise }\n',
    );
    const asWritten = resolvePopulation(spec, { population: file });
    expect(asWritten.population.map((t) => t.id)).toEqual(['a1', 'a2', 'a3', 'b1']);
    const scaled = resolvePopulation(spec, { population: file, tenants: 400 });
    expect(count(scaled.population)).toEqual({ basic: 300, enterprise: 100 });
    expect(scaled.population.filter((t) => t.channel === 'web')).toHaveLength(100);
    expect(scaled.source).toContain('plan mix of');
  });

  it('bad options are usage errors naming the option; an external target needs --allow-destructive', async () => {
    for (const [args, text] of [
      [['--fill', '0'], "'--fill <share>' argument '0' is invalid"],
      [['--fill', '1.5'], 'must be a number from 0 to 1'],
      [['--step-seconds', '5'], 'too short for a stable p99: use at least 10'],
      [['--tenants', '-3'], '--tenants must be a positive integer'],
      [['--live-sample', 'x'], '--live-sample must be a positive integer'],
    ] as const) {
      const r = await runProgram(['capacity', ...args]);
      expect(r.error, args.join(' ')).toBeInstanceOf(CommanderError);
      expect(r.stderr, args.join(' ')).toContain(text);
    }
    // Refused before any connection: port 1 is never dialled.
    const r = await runProgram(['capacity', '--target', 'redis://127.0.0.1:1']);
    expect(r.error).toBeInstanceOf(HarnessError);
    expect((r.error as HarnessError).message).toContain('not the harness’s to change');
  });
});
