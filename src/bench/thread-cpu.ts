import { readFileSync } from 'node:fs';
import { TICKS_PER_SECOND } from './machine-load.js';

/**
 * CPU time of the calling thread, ms (user + system, from /proc/thread-self/stat; 10 ms granularity),
 * or NaN where that file does not exist. Splits the generator's cost between its sender and receiver.
 */
export function threadCpuMs(): number {
  try {
    const st = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}
