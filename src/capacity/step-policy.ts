/**
 * The sweep's step policy (issue 13 part 1), pure: which rate to measure next, given what the steps so far said.
 *
 * - Doubling: start at `startRate`, double while the step is ok, never above `maxRate` (the last doubling step is
 *   `maxRate` itself; ok there ends the sweep: the knee is at least `maxRate`).
 * - Confirming: the first failed doubling step is measured once more at the same rate (the "plus one
 *   confirming step"). Failed again: the failure counts and doubling stops there. Ok this time: the first
 *   failure was noise (a fork, another process), the rate counts as ok and doubling goes on. Nothing is ever
 *   measured above a confirmed failure.
 * - Bisecting: `bisections` steps between the highest ok rate and the lowest confirmed failed rate, each halving
 *   the interval. A failed bisection step measured on a disturbed machine is measured once more before it counts
 *   (the gate does the same for SLO breaches); a clean failure counts at once.
 * - Bounded: never more than `maxSteps` measurements in all (confirmations and re-measurements included).
 *
 * The knee is the highest rate whose (last) measurement was ok; null when the first rate failed twice.
 */

export interface StepPolicyOptions {
  /** ops/s of the first step. */
  startRate: number;
  /** No step above this rate. */
  maxRate: number;
  /** Most measurements in all. */
  maxSteps: number;
  /** Bisection steps after the first confirmed failure (default 3 in runSweep). */
  bisections: number;
}

/** Why a step is measured: the doubling phase, the confirmation of its first failure, a bisection, or a re-measurement of a disturbed failure. */
export type StepKind = 'double' | 'confirm' | 'bisect' | 'retry';

export interface PlannedStep {
  rate: number;
  kind: StepKind;
}

export interface StepOutcome extends PlannedStep {
  ok: boolean;
  disturbed: boolean;
}

export type NextStep = { done: false; step: PlannedStep } | { done: true; stopped: string };

/** Check the options once (a caller's mistake, not a measurement): rates > 0, start ≤ max, at least one step. */
export function stepPolicyProblems(o: StepPolicyOptions): string[] {
  const out: string[] = [];
  if (!(Number.isFinite(o.startRate) && o.startRate > 0)) out.push(`startRate must be > 0, got ${o.startRate}`);
  if (!(Number.isFinite(o.maxRate) && o.maxRate > 0)) out.push(`maxRate must be > 0, got ${o.maxRate}`);
  if (o.startRate > o.maxRate) out.push(`startRate (${o.startRate}) is above maxRate (${o.maxRate})`);
  if (!(Number.isInteger(o.maxSteps) && o.maxSteps >= 1)) out.push(`maxSteps must be a positive integer, got ${o.maxSteps}`);
  if (!(Number.isInteger(o.bisections) && o.bisections >= 0)) out.push(`bisections must be an integer ≥ 0, got ${o.bisections}`);
  return out;
}

/**
 * Replays the outcomes so far and says what comes next. Pure: the same history gives the same answer, so a
 * test can script outcomes and the sweep can only do what this says.
 */
export class StepPlanner {
  private readonly history: StepOutcome[] = [];
  /** Highest rate known ok. */
  private lo: number | null = null;
  /** Lowest rate whose failure counts (confirmed, or clean in bisection). */
  private hi: number | null = null;
  private bisectionsDone = 0;
  /** A step that must be measured next, whatever else (a confirmation or a re-measurement). */
  private pending: PlannedStep | null = null;

  constructor(private readonly o: StepPolicyOptions) {}

  get steps(): readonly StepOutcome[] {
    return this.history;
  }

  /** The highest rate known ok (the knee), null if none. */
  get knee(): number | null {
    return this.lo;
  }

  /** The lowest rate whose failure counts, null if none yet. */
  get firstFailed(): number | null {
    return this.hi;
  }

  record(s: StepOutcome): void {
    this.history.push(s);
    this.pending = null;
    if (s.ok) {
      this.lo = Math.max(this.lo ?? 0, s.rate);
      if (s.kind === 'bisect' || s.kind === 'retry') this.bisectionsDone++;
      return;
    }
    switch (s.kind) {
      case 'double':
        this.pending = { rate: s.rate, kind: 'confirm' };
        return;
      case 'confirm':
        this.hi = Math.min(this.hi ?? Infinity, s.rate);
        return;
      case 'bisect':
        if (s.disturbed) {
          this.pending = { rate: s.rate, kind: 'retry' };
          return;
        }
        this.hi = Math.min(this.hi ?? Infinity, s.rate);
        this.bisectionsDone++;
        return;
      case 'retry':
        this.hi = Math.min(this.hi ?? Infinity, s.rate);
        this.bisectionsDone++;
        return;
    }
  }

  next(): NextStep {
    const n = this.history.length;
    if (n >= this.o.maxSteps) return { done: true, stopped: `maxSteps (${this.o.maxSteps}) measured${this.describeBounds()}` };
    if (this.pending) return { done: false, step: this.pending };
    if (n === 0) return { done: false, step: { rate: Math.min(this.o.startRate, this.o.maxRate), kind: 'double' } };
    if (this.hi === null) {
      // Still doubling: every rate so far ended ok.
      const lo = this.lo ?? this.o.startRate;
      if (lo >= this.o.maxRate)
        return { done: true, stopped: `every step ok up to maxRate (${this.o.maxRate} ops/s): the knee is at least that` };
      return { done: false, step: { rate: Math.min(2 * lo, this.o.maxRate), kind: 'double' } };
    }
    if (this.lo === null) return { done: true, stopped: `the first step (${this.hi} ops/s) failed twice: the knee is below it` };
    if (this.bisectionsDone >= this.o.bisections)
      return { done: true, stopped: `${this.bisectionsDone} bisection(s) done${this.describeBounds()}` };
    const mid = Math.round((this.lo + this.hi) / 2);
    if (mid <= this.lo || mid >= this.hi)
      return { done: true, stopped: `no rate left between the last ok and the first failed step${this.describeBounds()}` };
    return { done: false, step: { rate: mid, kind: 'bisect' } };
  }

  private describeBounds(): string {
    const parts = [
      ...(this.lo !== null ? [`last ok ${this.lo} ops/s`] : []),
      ...(this.hi !== null ? [`first failed ${this.hi} ops/s`] : []),
    ];
    return parts.length ? `: ${parts.join(', ')}` : '';
  }
}

/** Run the policy against a function that judges each step (tests script outcomes with it; the sweep measures). */
export async function planSteps(
  o: StepPolicyOptions,
  measure: (step: PlannedStep) => Promise<{ ok: boolean; disturbed: boolean } | null>,
): Promise<{ steps: readonly StepOutcome[]; knee: number | null; stopped: string }> {
  const planner = new StepPlanner(o);
  for (;;) {
    const next = planner.next();
    if (next.done) return { steps: planner.steps, knee: planner.knee, stopped: next.stopped };
    const r = await measure(next.step);
    if (r === null) return { steps: planner.steps, knee: planner.knee, stopped: 'interrupted: no further step measured' };
    planner.record({ ...next.step, ...r });
  }
}
