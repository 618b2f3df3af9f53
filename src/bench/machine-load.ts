import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** One process's CPU so far (clock ticks, user + system) and its parent. */
export interface ProcessCpu {
  ppid: number;
  ticks: number;
}

/** The machine at one moment: every process's CPU, the hypervisor's steal, this process's own CPU. */
export interface MachineSample {
  /** CPU per pid (/proc/<pid>/stat: the kernel's precise run time, per process). */
  processes: Map<number, ProcessCpu>;
  /** /proc/stat steal and total ticks, all cores. */
  steal: number;
  total: number;
  cores: number;
  /** The generator's own process (this one), µs and pid. */
  selfPid: number;
  processCpuUs: number;
  atMs: number;
}

/** Linux exposes USER_HZ = 100 to user space on every architecture Node runs on. */
export const TICKS_PER_SECOND = 100;

/** Steal and total ticks from the aggregate `cpu` line of /proc/stat. */
export function parseProcStat(text: string): { steal: number; total: number } | null {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  return { steal: f[7] ?? 0, total: f.reduce((a, b) => a + b, 0) };
}

/** `/proc/<pid>/stat` → parent pid and utime + stime (ticks). The command name may hold spaces and parentheses. */
export function parseProcessStat(text: string): ProcessCpu | null {
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(f[1]);
  const ticks = Number(f[11]) + Number(f[12]);
  return Number.isFinite(ppid) && Number.isFinite(ticks) ? { ppid, ticks } : null;
}

/**
 * A sample now; null where /proc is not there (not Linux): the quality block then says so. The busy
 * time comes from each process's own counter, not /proc/stat's busy fields: those are sampled on timer
 * ticks, which a tickless idle kernel skips, and they missed two thirds of a bench's short bursts here.
 */
export function sampleMachine(): MachineSample | null {
  let stat: ReturnType<typeof parseProcStat>;
  try {
    stat = parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return null;
  }
  if (!stat) return null;
  const processes = new Map<number, ProcessCpu>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const p = parseProcessStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      if (p) processes.set(pid, p);
    } catch {
      // gone meanwhile
    }
  }
  const cpu = process.cpuUsage();
  return {
    processes,
    ...stat,
    cores: availableParallelism(),
    selfPid: process.pid,
    processCpuUs: cpu.user + cpu.system,
    atMs: performance.now(),
  };
}

/**
 * CPU (ms) used between two samples by processes that are neither the generator nor the target (nor a
 * target's child: its BGSAVE and AOF-rewrite forks are counted as forks). A process that started during
 * the window counts with all its CPU; one that ended during it is missed (short-lived, seldom large).
 */
export function otherCpuMs(a: MachineSample, b: MachineSample, targetPids: ReadonlySet<number>): { otherMs: number; allMs: number } {
  let other = 0;
  let all = 0;
  for (const [pid, p] of b.processes) {
    const delta = Math.max(0, p.ticks - (a.processes.get(pid)?.ticks ?? 0));
    all += delta;
    if (pid === b.selfPid || targetPids.has(pid) || targetPids.has(p.ppid)) continue;
    other += delta;
  }
  const ms = 1000 / TICKS_PER_SECOND;
  return { otherMs: other * ms, allMs: all * ms };
}
