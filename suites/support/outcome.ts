// How a check tells the gate it was not judged: skipped by the harness's own policy, or inconclusive.
// Anything else that does not pass — a bare skip, a todo, a test a hook kept from running — is a failure.

declare module 'vitest' {
  interface TaskMeta {
    /** Set by skipByPolicy: the only skip the gate accepts as "not a failure". */
    policySkip?: string;
    /** Set by markInconclusive: the test passed, but its measurement could not be judged. */
    inconclusive?: string;
  }
}

interface Meta {
  policySkip?: string;
  inconclusive?: string;
}

/** Skip this check because the harness's policy says so (e.g. a destructive check on a target we do not own). Never returns. */
export function skipByPolicy(ctx: { task: { meta: Meta }; skip: (note?: string) => never }, reason: string): never {
  ctx.task.meta.policySkip = reason;
  return ctx.skip(reason);
}

/** The check ran, but its measurement cannot be judged (noisy machine, too few samples...): the gate reports it as inconclusive. */
export function markInconclusive(task: { meta: Meta }, reason: string): void {
  task.meta.inconclusive = reason;
}
