import { resourceUsage } from 'node:process';
import type { BenchResult } from '../report/index.js';

/**
 * The generator's cost over a run, from process.cpuUsage() readings around it (every thread of this
 * process: the sender thread, workers, autocannon's). `ops` is every op it issued, warm-up included.
 */
export function generatorFigures(cpu0: NodeJS.CpuUsage, cpu1: NodeJS.CpuUsage, wallMs: number, ops: number): BenchResult['generator'] {
  const user = cpu1.user - cpu0.user;
  const system = cpu1.system - cpu0.system;
  const us = user + system;
  return {
    cpu_user_ms: Math.round(user / 1000),
    cpu_system_ms: Math.round(system / 1000),
    cpu_percent: wallMs > 0 ? Math.round((us / 1000 / wallMs) * 1000) / 10 : 0,
    cpu_us_per_op: ops > 0 ? Math.round((us / ops) * 100) / 100 : 0,
    wall_ms: Math.round(wallMs),
    // maxRSS is in KiB.
    max_rss_mb: Math.round(resourceUsage().maxRSS / 1024),
  };
}
