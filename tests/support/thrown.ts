/**
 * What `fn` throws synchronously, for assertions on the error itself. With `type`, anything else it throws
 * is rethrown (the test fails on the real error); throwing nothing fails too.
 */
export function thrown<E extends Error = Error>(fn: () => unknown, type?: abstract new (...args: never[]) => E): E {
  try {
    fn();
  } catch (err) {
    if (type === undefined ? err instanceof Error : err instanceof type) return err as E;
    throw err;
  }
  throw new Error(`expected ${type?.name ?? 'an error'}, nothing was thrown`);
}
