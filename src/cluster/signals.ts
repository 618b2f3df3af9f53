export interface Cleanup {
  /** Graceful: SIGTERM, wait, SIGKILL. */
  run: () => Promise<void>;
  /**
   * Synchronous last resort, run on process 'exit' when `run` did not finish — e.g. when another
   * library's own signal handler calls process.exit first (vitest does on SIGTERM).
   */
  emergency: () => void;
}

/**
 * Run `fn`; if SIGINT or SIGTERM arrives meanwhile, clean up and exit 130/143.
 * Keeps Ctrl-C from leaving redis-server (or prometheus) processes behind.
 */
export async function withCleanupOnSignal<T>(
  cleanup: Cleanup,
  fn: () => Promise<T>,
  log: (line: string) => void = () => undefined,
): Promise<T> {
  let cleaning = false;
  const onSignal = (sig: NodeJS.Signals) => {
    const code = sig === 'SIGINT' ? 130 : 143;
    // A second signal: exit now; the 'exit' handler still runs the synchronous cleanup.
    if (cleaning) process.exit(code);
    cleaning = true;
    log(`${sig} received: cleaning up`);
    void cleanup.run().finally(() => process.exit(code));
  };
  const onExit = () => cleanup.emergency();
  // `on`, not `once`: signal-exit (under testcontainers' lock files) re-raises a signal when only its own
  // listeners are left, which would kill the process before the cleanup has run.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.once('exit', onExit);
  try {
    return await fn();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
}
