import { createCanvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration, type Plugin } from 'chart.js';
import type { PercentileCurve, PerSecondPoint } from './perf-schema.js';

Chart.register(...registerables);

export interface ChartSize {
  width: number;
  height: number;
}

const DEFAULT_SIZE: ChartSize = { width: 760, height: 340 };
const COLORS: Record<string, string> = { all: '#1d2330', mobile: '#1f6fd1', web: '#d0741b' };
const FALLBACK = ['#1d2330', '#1f6fd1', '#d0741b', '#2a9d5a', '#9b3bb5'];

/** Paints the canvas white first (a transparent PNG is unreadable on dark viewers). */
const whiteBackground: Plugin = {
  id: 'whiteBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/** Render a Chart.js config on @napi-rs/canvas and return a PNG data URI (no DOM, no animation, fixed size). */
export function renderChartPng(config: ChartConfiguration, size: ChartSize = DEFAULT_SIZE): string {
  const canvas = createCanvas(size.width, size.height);
  const ctx = canvas.getContext('2d') as unknown as ConstructorParameters<typeof Chart>[0];
  const chart = new Chart(ctx, {
    ...config,
    options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 },
    plugins: [...(config.plugins ?? []), whiteBackground],
  });
  try {
    return `data:image/png;base64,${canvas.toBuffer('image/png').toString('base64')}`;
  } finally {
    chart.destroy();
  }
}

/** x position of percentile p on the "1/(1-p)" axis; the max sits one decade past 99.999%. */
export function percentileX(p: number): number {
  return p >= 100 ? 1e6 : 1 / (1 - p / 100);
}

const PERCENTILE_TICKS = new Map<number, string>([[1, '0%'], [2, '50%'], [10, '90%'], [100, '99%'], [1000, '99.9%'], [10_000, '99.99%'], [100_000, '99.999%'], [1_000_000, 'max']]);

/** Latency by percentile (HdrHistogram style): x = 1/(1-p) on a log axis, y = ms on a log axis. */
export function percentileChartPng(curves: readonly PercentileCurve[], title: string, size: ChartSize = DEFAULT_SIZE): string {
  return renderChartPng({
    type: 'line',
    data: {
      datasets: curves.map((c, i) => ({
        label: c.label,
        data: c.points.map((pt) => ({ x: percentileX(pt.percentile), y: Math.max(pt.value_us, 1) / 1000 })),
        borderColor: COLORS[c.label] ?? FALLBACK[i % FALLBACK.length],
        backgroundColor: COLORS[c.label] ?? FALLBACK[i % FALLBACK.length],
        pointRadius: 2,
        borderWidth: 2,
      })),
    },
    options: {
      plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } },
      scales: {
        x: {
          type: 'logarithmic', min: 1, max: 1e6, title: { display: true, text: 'percentile' },
          ticks: { autoSkip: false, callback: (v) => PERCENTILE_TICKS.get(Number(v)) ?? null },
          afterBuildTicks: (axis) => { axis.ticks = [...PERCENTILE_TICKS.keys()].map((value) => ({ value })); },
        },
        y: { type: 'logarithmic', title: { display: true, text: 'latency (ms)' } },
      },
    },
  }, size);
}

/** p99 per second per channel, and the overall p50 dashed. */
export function perSecondChartPng(points: readonly PerSecondPoint[], title: string, size: ChartSize = DEFAULT_SIZE): string {
  const series = (channel: PerSecondPoint['channel'], key: 'p99_us' | 'p50_us') => points.filter((p) => p.channel === channel).map((p) => ({ x: p.second, y: p[key] / 1000 }));
  const channels = (['all', 'mobile', 'web'] as const).filter((c) => points.some((p) => p.channel === c));
  return renderChartPng({
    type: 'line',
    data: {
      datasets: [
        ...channels.map((c) => ({ label: `p99 ${c}`, data: series(c, 'p99_us'), borderColor: COLORS[c], backgroundColor: COLORS[c], pointRadius: 2, borderWidth: 2 })),
        { label: 'p50 all', data: series('all', 'p50_us'), borderColor: '#888888', backgroundColor: '#888888', borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5 },
      ],
    },
    options: {
      plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'second of the measured window' }, ticks: { precision: 0 } },
        y: { type: 'logarithmic', title: { display: true, text: 'latency (ms)' } },
      },
    },
  }, size);
}
