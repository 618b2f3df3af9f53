import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GATE_SUITES } from '../../src/gate.js';
import { partitionUnsupported } from '../../src/faults/partition.js';
import { runCli, tmp } from '../support/cli.js';
import { gateResult, suitesRun } from '../support/gate-result.js';
import { testPortBase } from '../support/ports.js';

// suites/persistence through the gate, on its own local cluster (its own file: gate-pass leaves it out). AOF crash:
// the loss within the everysec bound; partition (root only, else skipped with the reason): what the isolated master
// acked after the cut is lost without min-replicas-to-write, and a 2 s lag bound makes it refuse (NOREPLICAS).
const row = z.object({ errors: z.string(), lost: z.number(), stale: z.number() });

describe('gate --suites persistence (end to end)', () => {
  it('AOF loss judged against everysec; partition losses measured with and without min-replicas-to-write; cluster restored', async () => {
    const base = await testPortBase(13);
    const reports = tmp();
    const g = await runCli(['gate', '--port-base', String(base), '--reports', reports, '--suites', 'persistence'], { timeoutMs: 180_000 });
    const d = gateResult(g);
    expect(g.code, g.stderr + g.stdout).toBe(0);
    expect(suitesRun(d)).toEqual(
      GATE_SUITES.map((s) => [s.name, s.name === 'persistence' ? 'ran' : 'not selected (--suites persistence)']),
    );
    const checks = d.suites.find((s) => s.name === 'persistence')?.checks ?? [];
    expect(checks).toHaveLength(4);
    const [aof, ...partitions] = checks;
    expect(aof?.status).toBe('passed');
    expect(aof?.findings[0]?.title).toMatch(/SIGKILLed with appendonly yes, appendfsync everysec .* acknowledged writes lost/);
    const why = partitionUnsupported();
    if (why) {
      for (const c of partitions) expect(c, c.name).toMatchObject({ status: 'skipped' });
      return;
    }
    for (const c of partitions) expect(c.status, c.name).toBe('passed');
    const rowOf = (i: number) => row.parse((partitions[i]?.findings[0]?.data as unknown[])[0]);
    expect(rowOf(0).lost).toBeGreaterThan(0);
    expect(JSON.parse(rowOf(2).errors)).toHaveProperty('NOREPLICAS');
    for (const i of [0, 1, 2]) expect(rowOf(i).stale).toBe(0);
  });
});
