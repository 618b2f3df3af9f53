import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError, errorMessage } from '../errors.js';
import { redact } from '../redact.js';

/**
 * Poll `check` until it returns true; on timeout, exit 2 with what was awaited and the last state seen.
 * A HarnessError thrown by `check` is final (no point waiting); other errors count as "not yet".
 */
export async function waitUntil(what: string, check: () => Promise<boolean | string>, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const r = await check();
      if (r === true) return;
      if (typeof r === 'string') last = redact(r);
    } catch (err) {
      if (err instanceof HarnessError) throw err;
      last = redact(errorMessage(err));
    }
    if (Date.now() > deadline) throw new HarnessError(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`);
    await sleep(intervalMs);
  }
}
