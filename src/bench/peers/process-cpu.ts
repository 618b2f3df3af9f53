import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { TICKS_PER_SECOND } from '../machine-load.js';

export interface MeasuredProcess {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** The process's CPU (user + system), read from /proc/<pid>/stat until it exits; NaN without /proc. */
  cpuMs: number;
}

const POLL_MS = 20;

/** /proc/<pid>/stat utime + stime, ms (null once the process is gone). */
function cpuOf(pid: number): number | null {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * Run a benchmark tool and measure its CPU the way the generator's is measured: from the kernel, over
 * its whole run. The last reading is at most POLL_MS before it exits (a tool's exit does almost nothing).
 * Bounded by `timeoutMs` (then SIGKILL); `signal` stops it (SIGTERM), so nothing writes after a Ctrl-C.
 */
export function runMeasured(bin: string, args: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<MeasuredProcess> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let cpuMs = Number.NaN;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const poll = setInterval(() => {
      const c = child.pid === undefined ? null : cpuOf(child.pid);
      if (c !== null) cpuMs = c;
    }, POLL_MS);
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const stop = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', stop, { once: true });
    if (signal?.aborted) stop();
    child.on('error', (err) => {
      clearInterval(poll);
      clearTimeout(kill);
      reject(err);
    });
    child.on('close', (code) => {
      clearInterval(poll);
      clearTimeout(kill);
      signal?.removeEventListener('abort', stop);
      resolve({ code, stdout, stderr, wallMs: performance.now() - t0, cpuMs });
    });
  });
}
