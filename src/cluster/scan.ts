import type { Redis } from 'ioredis';
import { HarnessError } from '../errors.js';
import { hostPort } from './address.js';

export interface ScanOptions {
  /** MATCH pattern (glob); every key when absent. */
  match?: string;
  /** COUNT hint per call. Default 1000. */
  count?: number;
  /** Give up (HarnessError) after this many calls: a node that keeps returning a cursor must not hang us. */
  maxCalls?: number;
  /** Give up (HarnessError) after this time (Date.now() ms); several scans may share one deadline. */
  deadline?: number;
  /** Counts kept up to date as the scan goes, for callers that report them. */
  tally?: ScanTally;
}

export interface ScanTally {
  calls: number;
  /** Keys SCAN returned, duplicates included (SCAN may return a key twice when the table is resized). */
  keys: number;
}

/**
 * SCAN one node (never KEYS: O(N), blocking, and one node only), yielding each non-empty batch.
 * Keys written or deleted during the scan may or may not be seen (SCAN's guarantee).
 */
export async function* scanKeys(client: Redis, opts: ScanOptions = {}): AsyncGenerator<string[]> {
  const tally = opts.tally ?? { calls: 0, keys: 0 };
  const { match } = opts;
  const count = opts.count ?? 1000;
  const what = `SCAN${match === undefined ? '' : ` of ${match}`} on ${hostPort({ host: client.options.host ?? '?', port: client.options.port ?? 0 })}`;
  let cursor = '0';
  do {
    if (opts.deadline !== undefined && Date.now() > opts.deadline) {
      throw new HarnessError(
        `${what} did not finish in time (${tally.calls} calls, ${tally.keys} keys)`,
        'raise the timeout or the SCAN COUNT',
      );
    }
    if (opts.maxCalls !== undefined && tally.calls >= opts.maxCalls) {
      throw new HarnessError(`${what} exceeded ${opts.maxCalls} calls (${tally.keys} keys)`, 'raise the SCAN COUNT');
    }
    const [next, keys] =
      match === undefined ? await client.scan(cursor, 'COUNT', count) : await client.scan(cursor, 'MATCH', match, 'COUNT', count);
    tally.calls++;
    tally.keys += keys.length;
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

/** How many keys one node holds under a pattern. */
export async function countKeys(client: Redis, match: string): Promise<number> {
  let n = 0;
  for await (const batch of scanKeys(client, { match })) n += batch.length;
  return n;
}
