import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { redact } from '../redact.js';

/**
 * `spawn` arguments that run `bin args...` with umask 077, so every file redis-server creates (users.acl
 * after ACL SAVE, RDB, AOF, nodes.conf, its log) is 0600 and every directory 0700: users.acl holds
 * password hashes. Node's spawn has no umask option, so a shell sets it and execs the binary; the
 * binary and its arguments are the shell's positional parameters, never part of the script.
 */
export function withPrivateUmask(bin: string, args: readonly string[]): [string, string[]] {
  return ['/bin/sh', ['-c', 'umask 077 && exec "$0" "$@"', bin, ...args]];
}

/** Start redis-server on a config file, in its own process group so it outlives `up` and ignores the terminal's Ctrl-C (the gate stops it itself). */
export function spawnRedisServer(bin: string, confPath: string, outputPath: string): number {
  // Config errors are printed before the logfile is opened: keep stdout/stderr in a file of their own.
  const out = openSync(outputPath, 'a', 0o600);
  const [cmd, args] = withPrivateUmask(bin, [confPath]);
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not spawn ${bin}`);
  return child.pid;
}

/** Is this pid alive and still the redis-server for this port? Guards against killing a recycled pid. */
export function isOurRedis(pid: number, port: number): boolean {
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return false;
  try {
    const cmd = readFileSync(cmdline, 'utf8').replace(/\0/g, ' ');
    // redis-server rewrites its title to "redis-server 127.0.0.1:7001 [cluster]"
    return cmd.includes('redis-server') && cmd.includes(`:${port}`);
  } catch {
    return false;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGTERM, wait up to graceMs, then SIGKILL what is left. Resolves when all are gone. SIGCONT first: a
 * paused (SIGSTOPped) process would hold SIGTERM pending and only die at the SIGKILL.
 */
export async function stopProcesses(pids: readonly number[], graceMs = 5000): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGCONT');
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(50);
  for (const pid of pids.filter(isAlive)) signal(pid, 'SIGKILL');
  while (pids.some(isAlive)) await sleep(20);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Last lines of a node's log: what the user needs when a node did not start. Redacted: redis-server
 * echoes the config line it refused, which may be `requirepass <password>`.
 */
export function tailLog(path: string, lines = 5): string {
  if (!existsSync(path)) return '(no log written)';
  const all = readFileSync(path, 'utf8').trimEnd().split('\n');
  return redact(all.slice(-lines).join('\n'));
}
