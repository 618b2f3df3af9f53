import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { stopProcesses } from './processes.js';

/**
 * redis-server processes whose working directory is under `root`: Redis chdirs into its `dir`, which is
 * always inside our run directory, so this finds our nodes even when a state.json was lost.
 */
export function redisServersUnder(root: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // comm, not exe: Debian's redis-server is a symlink to redis-check-rdb
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'redis-server') continue;
      const cwd = readlinkSync(`/proc/${entry}/cwd`).replace(/ \(deleted\)$/, '');
      if (cwd === root || cwd.startsWith(`${root}/`)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** Stop every redis-server running under `root`; returns how many. */
export async function stopRedisServersUnder(root: string): Promise<number> {
  const pids = redisServersUnder(root);
  await stopProcesses(pids);
  return pids.length;
}
