import { describe, expect, it } from 'vitest';
import { buildOpTable } from '../../src/bench/op-table.js';
import { filterOpTable, opTableForMaster } from '../../src/bench/op-table-filter.js';
import { buildWorkload } from '../../src/bench/workload.js';
import { sweepStepSchema, type SweepStep } from '../../src/capacity/schema.js';
import { planSteps, StepPlanner, stepPolicyProblems, type StepOutcome, type StepPolicyOptions } from '../../src/capacity/step-policy.js';
import { kneeOf, runSweep, sweepStep } from '../../src/capacity/sweep.js';
import { ownerIndex, type Target } from '../../src/cluster/index.js';
import { loadSpec } from '../../src/spec/index.js';
import { benchResult } from '../support/result-docs.js';

const POLICY: StepPolicyOptions = { startRate: 1000, maxRate: 1_000_000, maxSteps: 20, bisections: 3 };

/** Run the policy against a scripted machine: `okAt(rate, attempt)` says whether the attempt-th measurement of a rate is ok. */
async function script(
  okAt: (rate: number, attempt: number) => boolean,
  policy: Partial<StepPolicyOptions> = {},
  disturbedAt: (rate: number, attempt: number) => boolean = () => false,
) {
  const seen = new Map<number, number>();
  return planSteps({ ...POLICY, ...policy }, (step) => {
    const attempt = (seen.get(step.rate) ?? 0) + 1;
    seen.set(step.rate, attempt);
    return Promise.resolve({ ok: okAt(step.rate, attempt), disturbed: disturbedAt(step.rate, attempt) });
  });
}
const plan = (steps: readonly StepOutcome[]) => steps.map((s) => `${s.kind} ${s.rate} ${s.ok ? 'ok' : 'fail'}`);

describe('step policy', () => {
  it('doubles while ok, confirms the first failure once, then bisects `bisections` times below it', async () => {
    const r = await script((rate) => rate <= 5000);
    expect(plan(r.steps)).toEqual([
      'double 1000 ok',
      'double 2000 ok',
      'double 4000 ok',
      'double 8000 fail',
      'confirm 8000 fail',
      'bisect 6000 fail',
      'bisect 5000 ok',
      'bisect 5500 fail',
    ]);
    expect(r.knee).toBe(5000);
    expect(r.stopped).toMatch(/3 bisection\(s\) done: last ok 5000 ops\/s, first failed 5500/);
    // Nothing is ever measured above the first confirmed failure.
    const failedAt = r.steps.findIndex((s) => s.kind === 'confirm');
    expect(Math.max(...r.steps.slice(failedAt).map((s) => s.rate))).toBe(8000);
  });

  it('a failure the confirming step does not reproduce counts as ok, and doubling goes on', async () => {
    const r = await script((rate, attempt) => rate <= 4000 || (rate === 8000 && attempt === 2), { bisections: 1 });
    expect(plan(r.steps)).toEqual([
      'double 1000 ok',
      'double 2000 ok',
      'double 4000 ok',
      'double 8000 fail',
      'confirm 8000 ok',
      'double 16000 fail',
      'confirm 16000 fail',
      'bisect 12000 fail',
    ]);
    expect(r.knee).toBe(8000);
  });

  it('a bisection step that fails on a disturbed machine is measured once more; a clean failure counts at once', async () => {
    const r = await script(
      (rate, attempt) => rate <= 4000 || (rate === 6000 && attempt === 2),
      { bisections: 2 },
      (rate, attempt) => rate === 6000 && attempt === 1,
    );
    expect(plan(r.steps)).toEqual([
      'double 1000 ok',
      'double 2000 ok',
      'double 4000 ok',
      'double 8000 fail',
      'confirm 8000 fail',
      'bisect 6000 fail',
      'retry 6000 ok',
      'bisect 7000 fail',
    ]);
    expect(r.knee).toBe(6000);
  });

  it('stops at maxRate when every step is ok, and the knee is maxRate', async () => {
    const r = await script(() => true, { startRate: 300, maxRate: 1000 });
    expect(r.steps.map((s) => s.rate)).toEqual([300, 600, 1000]);
    expect(r.knee).toBe(1000);
    expect(r.stopped).toMatch(/maxRate \(1000 ops\/s\)/);
  });

  it('no knee when the first rate fails twice', async () => {
    const r = await script(() => false);
    expect(plan(r.steps)).toEqual(['double 1000 fail', 'confirm 1000 fail']);
    expect(r.knee).toBeNull();
    expect(r.stopped).toMatch(/first step .* failed twice/);
  });

  it('never measures more than maxSteps steps, confirmations included', async () => {
    const r = await script((rate) => rate <= 5000, { maxSteps: 5 });
    expect(r.steps).toHaveLength(5);
    expect(r.stopped).toMatch(/maxSteps \(5\)/);
    expect(r.knee).toBe(4000);
  });

  it('stops the bisection when no integer rate is left between the bounds', async () => {
    const r = await script((rate) => rate <= 2, { startRate: 1, maxRate: 100, bisections: 10 });
    expect(r.steps.map((s) => s.rate)).toEqual([1, 2, 4, 4, 3]);
    expect(r.knee).toBe(2);
    expect(r.stopped).toMatch(/no rate left/);
  });

  it('an interrupted measurement ends the sweep with the steps so far', async () => {
    let n = 0;
    const r = await planSteps(POLICY, () => Promise.resolve(++n <= 2 ? { ok: true, disturbed: false } : null));
    expect(r.steps.map((s) => s.rate)).toEqual([1000, 2000]);
    expect(r.stopped).toMatch(/interrupted/);
  });

  it('refuses impossible options', () => {
    expect(stepPolicyProblems({ startRate: 0, maxRate: 10, maxSteps: 0, bisections: -1 })).toHaveLength(3);
    expect(stepPolicyProblems({ startRate: 20, maxRate: 10, maxSteps: 3, bisections: 1 })).toEqual([
      'startRate (20) is above maxRate (10)',
    ]);
    expect(stepPolicyProblems(POLICY)).toEqual([]);
    expect(new StepPlanner(POLICY).next()).toEqual({ done: false, step: { rate: 1000, kind: 'double' } });
  });
});

describe('sweep steps from bench results', () => {
  // benchResult: 3000 measured ops over 3 s, all answered (1000 ops/s); at scale 1 within its 5/10 ms mobile SLO.
  it('ok when achieved ≥ 99% of offered, no error and the SLO met', () => {
    const s = sweepStepSchema.parse(sweepStep(1000, benchResult('a', 1)));
    expect(s).toMatchObject({ offered_ops_per_s: 1000, achieved_ops_per_s: 1000, errors: 0, slo_met: true, ok: true, reasons: [] });
    expect(s.channels.map((c) => c.channel)).toEqual(['mobile']);
    expect(s.p99_9_us).toBeGreaterThanOrEqual(s.p99_us);
  });

  it('not ok, with the reasons, when the rate falls short, ops fail or the SLO breaks', () => {
    const short = sweepStep(1020, benchResult('a', 1));
    expect(short.ok).toBe(false);
    expect(short.reasons.join()).toMatch(/achieved 1000 ops\/s, below 99% of the offered 1020/);

    const r = benchResult('b', 1);
    r.totals.errors = 2;
    r.totals.timeouts = 1;
    r.errors_by_message = { 'ERR boom': 2 };
    const failing = sweepStep(1000, r);
    expect(failing).toMatchObject({ ok: false, errors: 3 });
    expect(failing.reasons.join()).toMatch(/2 error\(s\), 1 timeout\(s\): 2× ERR boom/);

    const slow = sweepStep(1000, benchResult('c', 30));
    expect(slow).toMatchObject({ slo_met: false, ok: false });
    expect(slow.reasons.join()).toMatch(/mobile: .* > \d+ ms/);
  });

  it('the knee is the highest ok rate by its last measurement', () => {
    const step = (offered: number, ok: boolean, p99 = offered): SweepStep => ({
      offered_ops_per_s: offered,
      achieved_ops_per_s: offered,
      p50_us: 1,
      p99_us: p99,
      p99_9_us: 2 * p99,
      channels: [],
      errors: 0,
      slo_met: ok,
      ok,
      reasons: ok ? [] : ['x'],
      disturbed: false,
    });
    expect(kneeOf([step(1000, true), step(2000, true), step(4000, false), step(4000, false), step(3000, true)])).toEqual({
      ops_per_s: 3000,
      p99_us: 3000,
      p99_9_us: 6000,
    });
    expect(kneeOf([step(1000, true), step(2000, false), step(2000, true, 7)])).toEqual({ ops_per_s: 2000, p99_us: 7, p99_9_us: 14 });
    expect(kneeOf([step(1000, false), step(1000, false)])).toBeNull();
  });
});

describe('per-master op tables', () => {
  const spec = loadSpec();
  const workload = buildWorkload(spec, 'mobile');
  const table = buildOpTable(spec, workload, { size: 16384, seed: 1 });
  const slotOwner = ownerIndex(spec.topology.masters.map((m) => ({ role: 'master' as const, slots: m.slots })));

  it('keeps only the ops whose slot the master owns, a power of two of them, in order', () => {
    let total = 0;
    spec.topology.masters.forEach((_, i) => {
      const t = opTableForMaster(table, slotOwner, i);
      if (!t) throw new Error(`no ops for master ${i}`);
      expect(Math.log2(t.size) % 1).toBe(0);
      for (let j = 0; j < t.size; j++) expect(slotOwner[t.slot[j] ?? -1]).toBe(i);
      // In order: the first kept entry is the table's first entry on that master.
      const first = Array.from(table.slot).findIndex((s) => slotOwner[s] === i);
      expect(t.key[0]).toBe(table.key[first]);
      expect(t.dims).toBe(table.dims);
      total += t.size;
    });
    expect(total).toBeGreaterThan(table.size / 2);
    expect(total).toBeLessThanOrEqual(table.size);
  });

  it('repeats fewer than 1024 kept entries up to 1024, and keeps nothing from nothing', () => {
    const few = filterOpTable(table, (i) => i < 10);
    expect(few?.size).toBe(1024);
    expect(few?.key[10]).toBe(table.key[0]);
    expect(filterOpTable(table, () => false)).toBeNull();
  });
});

describe('runSweep refuses before touching anything', () => {
  const spec = loadSpec();
  const workload = buildWorkload(spec, 'mobile');
  const target: Target = { backend: 'local', seeds: [{ host: '127.0.0.1', port: 1 }], destructive: true };

  it('steps shorter than 10 s unless a test asks for them; an external target without --allow-destructive', async () => {
    await expect(runSweep({ spec, target, workload, scope: 'cluster', stepSeconds: 2 })).rejects.toThrow(/too short for a stable p99/);
    await expect(runSweep({ spec, target: { ...target, destructive: false }, workload, scope: 'cluster' })).rejects.toThrow(
      /not the harness’s to change/,
    );
    await expect(runSweep({ spec, target, workload, scope: 'cluster', startRate: 10, maxRate: 5 })).rejects.toThrow(/above maxRate/);
  });
});
