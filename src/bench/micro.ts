import { Bench } from 'tinybench';
import { renderTable } from '../format/table.js';
import type { Spec } from '../spec/index.js';
import {
  buildDataKey,
  buildKey,
  parseDataType,
  parseModule,
  parseTenantId,
  placeTenantModule,
  slotOf,
  tagForSlot,
  ValueCodec,
  type JsonValue,
} from '../tenancy/index.js';
import { encodeCommand, RespScanner } from './resp.js';
import { ClientMetrics } from '../client-metrics/client-metrics.js';
import { TENANT_OP_NAMES, type TenantOp } from '../tenancy/tenant-op.js';
import { benchJsonValue } from './values.js';

export interface MicroRow {
  task: string;
  /** Calls per second (each sample runs `batch` calls). */
  ops_per_s: number;
  mean_ns: number;
  p99_ns: number;
  samples: number;
}

const BATCH = 200;

/**
 * tinybench micro-benchmarks of the per-op code: key builder, placement, slot tags, codec, client metrics, RESP scanner.
 * Each sample runs the function BATCH times, so timer resolution does not dominate; figures are per call.
 */
export interface MicroOptions {
  /** Time per task (default 300 ms). */
  timeMs?: number;
  /** Least iterations per task, whatever the time (tinybench's default 64). A test runs each task once or twice. */
  iterations?: number;
  /** Warm-up before timing (default on); off only where the figures are not read. */
  warmup?: boolean;
}

export async function runMicroBenchmarks(spec: Spec, opts: MicroOptions = {}): Promise<MicroRow[]> {
  const tenant = parseTenantId('acme-42');
  const module = parseModule(spec, Object.keys(spec.modules)[0] ?? 'crm');
  const dataType = parseDataType(spec, module, Object.keys(spec.modules[module]?.dataTypes ?? {})[0] ?? 'sync');
  const placement = placeTenantModule(spec, tenant, module);
  const codec = new ValueCodec();
  const small: JsonValue = benchJsonValue(200);
  const large: JsonValue = benchJsonValue(8192);
  const smallEnc = codec.encode(small);
  const largeEnc = codec.encode(large);
  const replies = Buffer.from('+OK\r\n$5\r\nhello\r\n$-1\r\n:12\r\n'.repeat(50));
  // What TenantCache adds to each op by default: one observation, into a registry already holding the series of
  // 500 tenant-modules × 2 channels × 5 ops (an application-sized registry is smaller).
  const metrics = new ClientMetrics();
  const ops: TenantOp[] = Array.from({ length: 5000 }, (_, i) => ({
    op: TENANT_OP_NAMES[i % 5] ?? 'get',
    tenant: `t${Math.floor(i / 10)}`,
    module: 'crm',
    plan: 'basic',
    channel: i % 10 < 5 ? 'mobile' : 'web',
    seconds: 0.0003 + (i % 7) * 0.001,
    error: null,
  }));
  for (const op of ops) metrics.observe(op);
  let sink = 0;
  const scanner = new RespScanner(() => {
    sink++;
  });

  const bench = new Bench({
    time: opts.timeMs ?? 300,
    ...(opts.iterations !== undefined ? { iterations: opts.iterations } : {}),
    ...(opts.warmup === false ? { warmup: false } : { warmupTime: 50 }),
  });
  const add = (name: string, fn: () => void) =>
    bench.add(name, () => {
      for (let i = 0; i < BATCH; i++) fn();
    });
  let n = 0;
  add('buildDataKey (pre-parsed ids)', () => {
    sink += buildDataKey(tenant, module, placement, dataType, `k${n++ & 1023}`).length;
  });
  add('buildKey (validates the data type)', () => {
    sink += buildKey(spec, tenant, module, placement, dataType, `k${n++ & 1023}`).length;
  });
  add('parseTenantId', () => {
    sink += parseTenantId('acme-42').length;
  });
  add('placeTenantModule (sha1 + tag)', () => {
    sink += placeTenantModule(spec, tenant, module).slot ?? 0;
  });
  add('tagForSlot', () => {
    sink += tagForSlot(n++ & 16383).length;
  });
  add('slotOf (CRC16)', () => {
    sink += slotOf(`cliente:acme-42:crm:{${n++ & 255}}:users:k1`);
  });
  add('codec.encode 200 B JSON', () => {
    sink += codec.encode(small).length;
  });
  add('codec.decode 200 B JSON', () => {
    sink += codec.decode(smallEnc) === null ? 0 : 1;
  });
  add('codec.encode 8 KB JSON (brotli)', () => {
    sink += codec.encode(large).length;
  });
  add('codec.decode 8 KB JSON (brotli)', () => {
    sink += codec.decode(largeEnc) === null ? 0 : 1;
  });
  add('encodeCommand GET', () => {
    sink += encodeCommand(['GET', 'cliente:acme-42:crm:{a1}:users:k1']).length;
  });
  add('ClientMetrics.observe (5,000 series)', () => {
    const op = ops[n++ % ops.length];
    if (op) metrics.observe(op);
  });
  add('RespScanner.feed (200 replies)', () => {
    scanner.feed(replies);
  });
  await bench.run();
  if (sink < 0) throw new Error('unreachable');
  return bench.tasks.map((t) => {
    const r = t.result;
    if (r.state !== 'completed') return { task: t.name, ops_per_s: 0, mean_ns: 0, p99_ns: 0, samples: 0 };
    return {
      task: t.name,
      ops_per_s: Math.round((1000 / r.latency.mean) * BATCH),
      mean_ns: Math.round((r.latency.mean * 1e6) / BATCH),
      p99_ns: Math.round((r.latency.p99 * 1e6) / BATCH),
      samples: r.latency.samplesCount,
    };
  });
}

export function formatMicro(rows: readonly MicroRow[]): string {
  const head = ['task', 'calls/s', 'mean', 'p99 (per call)', 'samples'];
  const body = rows.map((r) => [r.task, r.ops_per_s.toLocaleString('en-US'), `${r.mean_ns} ns`, `${r.p99_ns} ns`, String(r.samples)]);
  return renderTable([head, ...body]);
}
