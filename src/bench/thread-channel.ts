import { Worker } from 'node:worker_threads';
import { threadEntry, type ThreadEntryName } from './thread-entry.js';

/** What every measuring thread may post: its own messages, or an error (which rejects whatever is awaited). */
type ThreadMessage = { type: string } | { type: 'error'; message: string };

/**
 * The starting thread's side of a measuring worker thread (a paced tenant, the fault traffic): start it, await
 * its messages by type (bounded; an error message, the thread's exit or the time-out rejects), post to it.
 * `From` / `To` are the thread's message protocol, declared beside the thread's entry.
 */
export class ThreadChannel<From extends ThreadMessage, To> {
  private exit: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    /** Names the thread in errors, e.g. "the quiet tenant's thread". */
    readonly label: string,
  ) {
    // Always listened to: an 'error' event without a listener would throw in this thread.
    worker.on('error', (err) => {
      this.exit ??= err;
    });
    worker.once('exit', (code) => {
      this.exit ??= new Error(`${label} exited (code ${code})`);
    });
  }

  /** Start the thread (data in `workerData` only: never argv/env) and wait for its 'ready'. */
  static async open<From extends ThreadMessage, To>(
    entry: ThreadEntryName,
    workerData: unknown,
    label: string,
    readyTimeoutMs = 30_000,
  ): Promise<ThreadChannel<From, To>> {
    const worker = new Worker(threadEntry(entry), { workerData, execArgv: [] });
    const channel = new ThreadChannel<From, To>(worker, label);
    try {
      await channel.next('ready', readyTimeoutMs);
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return channel;
  }

  /** Why the thread is gone, if it is. */
  get exited(): Error | null {
    return this.exit;
  }

  post(m: To): void {
    this.worker.postMessage(m);
  }

  /** The next message of `type`. */
  next<K extends From['type']>(type: K, timeoutMs: number): Promise<Extract<From, { type: K }>> {
    return new Promise((resolve, reject) => {
      if (this.exit) return reject(this.exit);
      const off = () => {
        clearTimeout(timer);
        this.worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      const fail = (err: Error) => {
        off();
        reject(err);
      };
      const onMessage = (m: From) => {
        if (m.type === 'error' && 'message' in m) fail(new Error(`${this.label}: ${m.message}`));
        else if (m.type === type) {
          off();
          resolve(m as Extract<From, { type: K }>);
        }
      };
      const onError = (err: Error) => fail(err);
      const onExit = (code: number) => fail(new Error(`${this.label} exited (code ${code}) before '${type}'`));
      const timer = setTimeout(() => fail(new Error(`no '${type}' from ${this.label} within ${timeoutMs} ms`)), timeoutMs);
      this.worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  }

  /** End the thread now (idempotent). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}
