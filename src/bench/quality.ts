import { formatUs } from '../format/duration.js';
import type { Quality } from '../report/index.js';
import { otherCpuMs, type MachineSample } from './machine-load.js';
import type { NodeActivity } from './target-activity.js';

/** What disturbs a measurement; the spec's `perf.disturbance` (defaults in src/bench/settings.ts). */
export interface DisturbanceThresholds {
  /** CPU of everything but the target and the generator, 100 = one core. */
  otherCpuPercent: number;
  stealPercent: number;
  /** Forks of the target allowed in the window. */
  forks: number;
  /** The generator's own lateness. */
  sendLagP99Us: number;
}

export interface QualityInputs {
  machine: [MachineSample, MachineSample] | null;
  target: [NodeActivity[], NodeActivity[]] | null;
  /** The target runs on this machine: its CPU is not "other" load. */
  targetLocal: boolean;
  sendLagP99Us: number;
  thresholds: DisturbanceThresholds;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Judge one run's measurement: the machine's CPU over the window minus the target's (from its own INFO,
 * when it runs here) minus the generator's = load nobody asked for; plus steal, target forks, send lag.
 */
export function assessQuality(q: QualityInputs): Quality {
  const reasons: string[] = [];
  const th = q.thresholds;
  const [m0, m1] = q.machine ?? [null, null];
  const windowMs = m0 && m1 ? m1.atMs - m0.atMs : 0;
  const windowSec = windowMs / 1000;
  const ticks = m0 && m1 ? m1.total - m0.total : 0;
  const stealPercent = m0 && m1 && ticks > 0 ? (100 * (m1.steal - m0.steal)) / ticks : 0;
  const generatorCores = m0 && m1 && windowSec > 0 ? (m1.processCpuUs - m0.processCpuUs) / 1e6 / windowSec : 0;
  const [t0, t1] = q.target ?? [[], []];
  const targetCores =
    q.target && windowSec > 0 ? t1.reduce((a, n, i) => a + Math.max(0, n.cpuSec - (t0[i]?.cpuSec ?? n.cpuSec)), 0) / windowSec : 0;
  const forkNodes = q.target ? t1.filter((n, i) => n.forks > (t0[i]?.forks ?? n.forks)).map((n) => n.address) : [];
  const forks = q.target ? t1.reduce((a, n, i) => a + Math.max(0, n.forks - (t0[i]?.forks ?? n.forks)), 0) : 0;
  // The target's processes are only ours to exclude when they run here.
  const targetPids = new Set(q.targetLocal ? t1.map((n) => n.pid).filter((pid) => pid > 0) : []);
  const cpu = m0 && m1 ? otherCpuMs(m0, m1, targetPids) : { otherMs: 0, allMs: 0 };
  const otherCpuPercent = windowSec > 0 ? cpu.otherMs / 10 / windowSec : 0;
  const busyCores = windowSec > 0 ? cpu.allMs / 1000 / windowSec : 0;

  if (!q.machine) reasons.push("the machine's load could not be read (/proc/stat): the measurement cannot be vouched for");
  if (otherCpuPercent > th.otherCpuPercent)
    reasons.push(`other processes used ${r1(otherCpuPercent)}% of a core during the run (limit ${th.otherCpuPercent}%)`);
  if (stealPercent > th.stealPercent) reasons.push(`the hypervisor stole ${r1(stealPercent)}% of the CPU time (limit ${th.stealPercent}%)`);
  if (forks > th.forks)
    reasons.push(`the target forked ${forks} time(s) during the run (BGSAVE / AOF rewrite on ${forkNodes.join(', ')}; limit ${th.forks})`);
  if (q.sendLagP99Us > th.sendLagP99Us)
    reasons.push(`the generator sent 1% of ops ≥ ${formatUs(q.sendLagP99Us)} late (limit ${formatUs(th.sendLagP99Us)})`);
  return {
    window_ms: Math.round(windowMs),
    machine: {
      cores: m1?.cores ?? 1,
      busy_percent: r1((100 * busyCores) / (m1?.cores ?? 1)),
      steal_percent: r1(stealPercent),
      other_cpu_percent: r1(otherCpuPercent),
    },
    target_cpu_percent: q.target && q.targetLocal ? r1(100 * targetCores) : null,
    forks,
    fork_nodes: forkNodes,
    generator_cpu_percent: r1(100 * generatorCores),
    send_lag_p99_us: q.sendLagP99Us,
    thresholds: {
      other_cpu_percent: th.otherCpuPercent,
      steal_percent: th.stealPercent,
      forks: th.forks,
      send_lag_p99_us: th.sendLagP99Us,
    },
    disturbed: reasons.length > 0,
    reasons,
  };
}
