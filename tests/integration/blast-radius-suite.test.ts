import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GATE_SUITES } from '../../src/gate.js';
import { redisOnPorts, runCli, tmp } from '../support/cli.js';
import { gateResult, suitesRun } from '../support/gate-result.js';
import { testPortBase } from '../support/ports.js';

// suites/blast-radius through the gate, on its own local cluster (its own file: it runs beside gate-pass,
// which leaves this suite out to stay short). Judged on what the result document says, abuse by abuse.
const row = z.object({
  abuse: z.string(),
  refused: z.enum(['yes', 'no']),
  how: z.string(),
  victim_ops: z.number(),
  victim_p99_before_us: z.number(),
  victim_p99_during_us: z.number(),
  victim_p99_9_before_us: z.number(),
  victim_p99_9_during_us: z.number(),
  victim_errors: z.number(),
  victim_keys_lost: z.number(),
  disturbed: z.boolean(),
});
describe('gate --suites blast-radius (end to end)', () => {
  it('reports every abuse with the quiet tenant before/during; the closed ones refused, the others reported; no victim error or key lost', async () => {
    const base = await testPortBase(11);
    const reports = tmp();
    const g = await runCli(['gate', '--port-base', String(base), '--reports', reports, '--suites', 'blast-radius'], { timeoutMs: 180_000 });
    const d = gateResult(g);
    // A clean breach fails (exit 1); one on a disturbed machine is inconclusive (exit 3), never a pass.
    expect([0, 3], g.stderr + g.stdout).toContain(g.code);
    expect(d.verdict).toBe(g.code === 0 ? 'pass' : 'inconclusive');
    expect(suitesRun(d)).toEqual(
      GATE_SUITES.map((s) => [s.name, s.name === 'blast-radius' ? 'ran' : 'not selected (--suites blast-radius)']),
    );
    const suite = d.suites.find((s) => s.name === 'blast-radius');
    for (const c of suite?.checks ?? []) {
      expect(['passed', 'inconclusive']).toContain(c.status);
      if (c.status === 'inconclusive') expect(c.reason).toMatch(/on a disturbed machine/);
    }
    const rawRows: unknown[] = (suite?.checks ?? []).flatMap((c) =>
      c.findings.flatMap((f): unknown[] => (Array.isArray(f.data) ? (f.data as unknown[]) : [])),
    );
    const rows = rawRows.map((x) => row.parse(x));
    expect(rows.map((r) => [r.abuse, r.refused])).toEqual([
      ['baseline', 'no'],
      ['large value', 'yes'],
      ['unread replies', 'yes'],
      ['long script calls', 'yes'],
      ['connection flood', 'no'],
      ['raw writes past quota', 'no'],
      ['keys without a TTL', 'yes'],
      ['made-up module names', 'yes'],
      ['writes past quota under memory pressure', 'no'],
      ['its own quota zset grown under memory pressure', 'no'],
    ]);
    // Growing its own quota zset (no TTL) under memory pressure is the one abuse the default cluster cannot
    // stop: its effect on the quiet tenant is reported (a warning), never failed or hidden.
    const UNSTOPPABLE = 'its own quota zset grown under memory pressure';
    // Eviction is sampled LFU with minute-grained decay: a rarely read quiet key can tie with the flood's
    // fresh keys and go too (seen once in CI: 1 of 200). What the policy does promise is protection, judged
    // as a ratio: the quiet tenant loses a far smaller share of its keys than the flood does of its own.
    const EVICTION = 'writes past quota under memory pressure';
    for (const r of rows.filter((x) => x.abuse !== UNSTOPPABLE)) {
      expect(r.victim_ops, r.abuse).toBeGreaterThan(0);
      expect(r.victim_errors, r.abuse).toBe(0);
      if (r.abuse !== EVICTION) expect(r.victim_keys_lost, r.abuse).toBe(0);
      expect(r.victim_p99_9_during_us, r.abuse).toBeGreaterThan(0);
    }
    const eviction = row
      .extend({ victim_keys: z.number().positive(), evicted_keys: z.number().positive(), flood_written: z.number().positive() })
      .parse(rawRows.find((x) => row.parse(x).abuse === EVICTION));
    const floodShareEvicted = Math.min(1, eviction.evicted_keys / eviction.flood_written);
    expect(
      eviction.victim_keys_lost / eviction.victim_keys,
      'LFU protects the quiet tenant at least 10× better than the flood',
    ).toBeLessThan(floodShareEvicted / 10);
    expect(rows.find((r) => r.abuse === 'large value')?.how).toMatch(/Protocol error: invalid bulk length/);
    expect(rows.find((r) => r.abuse === 'long script calls')?.how).toMatch(/TOOMANY/);
    expect(rows.find((r) => r.abuse === 'keys without a TTL')?.how).toMatch(/^all \d+ NOPERM$/);
    const zsetFinding = suite?.checks.flatMap((c) => c.findings).find((f) => f.title.startsWith(UNSTOPPABLE));
    expect(zsetFinding?.severity).toMatch(/^(warning|info)$/);
    expect(redisOnPorts(base)).toEqual([]);
  });
});
