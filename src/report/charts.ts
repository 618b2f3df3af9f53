/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access --
   chart.js types its drawing context as the DOM's CanvasRenderingContext2D, and this Node build has no DOM
   lib: those types do not resolve here. @napi-rs/canvas implements the same context. */
import { createCanvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration, type Plugin } from 'chart.js';
import { PERCENTILES, percentileKey, percentileLabel } from './percentiles.js';
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

/** The labelled x ticks: every summary percentile, and the axis's ends (p0 and the decade before the max). */
const PERCENTILE_TICKS = [...new Set([0, ...PERCENTILES, 99.999])]
  .sort((a, b) => a - b)
  .map((p) => ({ value: percentileX(p), label: percentileLabel(p) }));

/** Latency by percentile (HdrHistogram style): x = 1/(1-p) on a log axis, y = ms on a log axis. */
export function percentileChartPng(curves: readonly PercentileCurve[], title: string, size: ChartSize = DEFAULT_SIZE): string {
  return renderChartPng(
    {
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
        scales: percentileScales(),
      },
    },
    size,
  );
}

/** The percentile chart's axes: x = 1/(1-p) with the summary percentiles as ticks, y = ms, both logarithmic. */
function percentileScales(): NonNullable<ChartConfiguration<'line'>['options']>['scales'] {
  return {
    x: {
      type: 'logarithmic',
      min: 1,
      max: 1e6,
      title: { display: true, text: 'percentile' },
      ticks: { autoSkip: false, callback: (_v, i) => PERCENTILE_TICKS[i]?.label ?? null },
      afterBuildTicks: (axis) => {
        axis.ticks = PERCENTILE_TICKS.map(({ value }) => ({ value }));
      },
    },
    y: { type: 'logarithmic', title: { display: true, text: 'latency (ms)' } },
  };
}

/** p99 per second per channel, and the overall p50 dashed. */
export function perSecondChartPng(points: readonly PerSecondPoint[], title: string, size: ChartSize = DEFAULT_SIZE): string {
  const series = (channel: PerSecondPoint['channel'], p: 50 | 99) =>
    points.filter((x) => x.channel === channel).map((x) => ({ x: x.second, y: x[percentileKey(p)] / 1000 }));
  const channels = (['all', 'mobile', 'web'] as const).filter((c) => points.some((p) => p.channel === c));
  return renderChartPng(
    {
      type: 'line',
      data: {
        datasets: [
          ...channels.map((c) => ({
            label: `${percentileLabel(99)} ${c}`,
            data: series(c, 99),
            borderColor: COLORS[c],
            backgroundColor: COLORS[c],
            pointRadius: 2,
            borderWidth: 2,
          })),
          {
            label: `${percentileLabel(50)} all`,
            data: series('all', 50),
            borderColor: '#888888',
            backgroundColor: '#888888',
            borderDash: [6, 4],
            pointRadius: 0,
            borderWidth: 1.5,
          },
        ],
      },
      options: {
        plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'second of the measured window' }, ticks: { precision: 0 } },
          y: { type: 'logarithmic', title: { display: true, text: 'latency (ms)' } },
        },
      },
    },
    size,
  );
}

/** One run of a baseline comparison in an overlaid chart: the baseline drawn dashed, the current run solid. */
export interface OverlaySide<T> {
  side: 'baseline' | 'current';
  data: T;
}

const sideStyle = (side: OverlaySide<unknown>['side'], color: string) => ({
  borderColor: color,
  backgroundColor: color,
  borderWidth: 2,
  ...(side === 'baseline' ? { borderDash: [6, 4], pointRadius: 0 } : { pointRadius: 2 }),
});

/** Both runs' latency-by-percentile curves on one chart (same axes as percentileChartPng), one colour per channel. */
export function percentileOverlayChartPng(
  sides: ReadonlyArray<OverlaySide<readonly PercentileCurve[]>>,
  title: string,
  size: ChartSize = DEFAULT_SIZE,
): string {
  return renderChartPng(
    {
      type: 'line',
      data: {
        datasets: sides.flatMap(({ side, data }) =>
          data.map((c, i) => ({
            label: `${side} ${c.label}`,
            data: c.points.map((pt) => ({ x: percentileX(pt.percentile), y: Math.max(pt.value_us, 1) / 1000 })),
            ...sideStyle(side, COLORS[c.label] ?? FALLBACK[i % FALLBACK.length] ?? '#1d2330'),
          })),
        ),
      },
      options: { plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } }, scales: percentileScales() },
    },
    size,
  );
}

/** A second's p99 of one channel, the shape both runs are drawn from. */
export interface P99Point {
  second: number;
  channel: PerSecondPoint['channel'];
  p99_us: number;
}

/** Both runs' per-second p99 on one chart, one colour per channel (the baseline dashed). */
export function perSecondOverlayChartPng(
  sides: ReadonlyArray<OverlaySide<readonly P99Point[]>>,
  title: string,
  size: ChartSize = DEFAULT_SIZE,
): string {
  return renderChartPng(
    {
      type: 'line',
      data: {
        datasets: sides.flatMap(({ side, data }) =>
          (['all', 'mobile', 'web'] as const)
            .filter((ch) => data.some((p) => p.channel === ch))
            .map((ch) => ({
              label: `${side} ${percentileLabel(99)} ${ch}`,
              data: data.filter((p) => p.channel === ch).map((p) => ({ x: p.second, y: Math.max(p.p99_us, 1) / 1000 })),
              ...sideStyle(side, COLORS[ch] ?? '#1d2330'),
            })),
        ),
      },
      options: {
        plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'second of the measured window' }, ticks: { precision: 0 } },
          y: { type: 'logarithmic', title: { display: true, text: 'latency (ms)' } },
        },
      },
    },
    size,
  );
}

/** A sweep's step as the latency-vs-rate chart needs it (capacity schema's SweepStep fits). */
export interface RateStep {
  offered_ops_per_s: number;
  p50_us: number;
  p99_us: number;
  p99_9_us: number;
  ok: boolean;
}

/** Latency (p50 / p99 / p99.9) against offered rate (each rate's last measurement), failed steps drawn as crosses, the knee as a dashed vertical line. */
export function rateLatencyChartPng(
  steps: readonly RateStep[],
  kneeOpsPerS: number | null,
  title: string,
  size: ChartSize = DEFAULT_SIZE,
): string {
  // One point per rate: a rate measured again (a confirmation, a retry) is judged by its last measurement, as the knee is.
  const last = new Map(steps.map((s) => [s.offered_ops_per_s, s]));
  const sorted = [...last.values()].sort((a, b) => a.offered_ops_per_s - b.offered_ops_per_s);
  const ms = (us: number) => Math.max(us, 1) / 1000;
  const series = [
    { p: 50, key: 'p50_us', color: '#888888' },
    { p: 99, key: 'p99_us', color: '#1f6fd1' },
    { p: 99.9, key: 'p99_9_us', color: '#d0741b' },
  ] as const;
  const ys = sorted.flatMap((s) => series.map((x) => ms(s[x.key])));
  const knee =
    kneeOpsPerS === null || ys.length === 0
      ? []
      : [
          {
            label: `knee ${Math.round(kneeOpsPerS)} ops/s`,
            data: [
              { x: kneeOpsPerS, y: Math.min(...ys) },
              { x: kneeOpsPerS, y: Math.max(...ys) },
            ],
            borderColor: '#b3261e',
            backgroundColor: '#b3261e',
            borderDash: [6, 4],
            pointRadius: 0,
            borderWidth: 2,
          },
        ];
  return renderChartPng(
    {
      type: 'line',
      data: {
        datasets: [
          ...series.map((x) => ({
            label: percentileLabel(x.p),
            data: sorted.map((s) => ({ x: s.offered_ops_per_s, y: ms(s[x.key]) })),
            borderColor: x.color,
            backgroundColor: x.color,
            pointStyle: sorted.map((s) => (s.ok ? 'circle' : 'crossRot')),
            pointRadius: sorted.map((s) => (s.ok ? 3 : 6)),
            borderWidth: 2,
          })),
          ...knee,
        ],
      },
      options: {
        plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'offered rate (ops/s); × = step not ok' } },
          y: { type: 'logarithmic', title: { display: true, text: 'latency (ms)' } },
        },
      },
    },
    size,
  );
}
