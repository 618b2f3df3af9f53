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
  const onSignal = (sig: NodeJS.Signals) => {
    log(`${sig} received: cleaning up`);
    void cleanup.run().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  const onExit = () => cleanup.emergency();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', onExit);
  try {
    return await fn();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
}
