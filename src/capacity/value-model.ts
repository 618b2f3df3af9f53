import { benchJsonValue } from '../bench/values.js';
import { PROFILES, type WorkloadInput } from '../bench/workload.js';
import type { JsonValue } from '../tenancy/index.js';

/** One value size (bytes of JSON text) and its share of the keys written. */
export interface ValueSizeShare {
  bytes: number;
  share: number;
}

/**
 * The value-size model of the capacity memory measurement. The spec has none, so it is the bench workload's:
 * the `mobile` profile (PROFILES in src/bench/workload.ts), each channel's value sizes weighted by that
 * channel's share of operations (80% mobile: 256/1024/4096 B at 50/40/10%; 20% web: 1024/4096 B at 50/50%),
 * i.e. 256 B 40%, 1 KiB 42%, 4 KiB 18% of keys. Values are app-like JSON documents (benchJsonValue), encoded
 * by TenantCache's codec as in production (brotli above 1 KiB), never zero-filled buffers.
 */
export function valueSizeModel(profile: WorkloadInput = PROFILES.mobile): ValueSizeShare[] {
  const channels = profile.channels;
  const total = channels.mobile + channels.web;
  const byBytes = new Map<number, number>();
  for (const ch of ['mobile', 'web'] as const) {
    const sizes = profile.channel[ch].valueSizes;
    const w = sizes.reduce((a, s) => a + s.weight, 0);
    if (total <= 0 || w <= 0) continue;
    for (const s of sizes) byBytes.set(s.bytes, (byBytes.get(s.bytes) ?? 0) + (channels[ch] / total) * (s.weight / w));
  }
  return [...byBytes].sort(([a], [b]) => a - b).map(([bytes, share]) => ({ bytes, share }));
}

const GOLDEN = (Math.sqrt(5) - 1) / 2;

/**
 * The value size of the i-th key of a tenant-module: a low-discrepancy sequence (i × golden ratio mod 1) through
 * the model's cumulative shares, so every run of keys, however short, holds the model's mix almost exactly.
 */
export function valueSizeAt(model: readonly ValueSizeShare[], i: number): number {
  const u = (i * GOLDEN) % 1;
  let acc = 0;
  for (const s of model) {
    acc += s.share;
    if (u < acc) return s.bytes;
  }
  return model[model.length - 1]?.bytes ?? 1;
}

/** Distinct documents per size: values differ from key to key, as app data does, and the codec sees it. */
const VARIANTS = 16;
const docs = new Map<string, JsonValue>();

/** The JSON document stored as the i-th key's value (about `valueSizeAt(model, i)` bytes of JSON text). */
export function modelValue(model: readonly ValueSizeShare[], i: number): JsonValue {
  const bytes = valueSizeAt(model, i);
  const variant = i % VARIANTS;
  const id = `${bytes}:${variant}`;
  let doc = docs.get(id);
  if (doc === undefined) docs.set(id, (doc = benchJsonValue(bytes, 11 + variant * 7919)));
  return doc;
}
