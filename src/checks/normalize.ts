import type { DirectiveValue } from '../spec/index.js';

/** Directives whose value is a memory size: CONFIG GET answers them in bytes. */
const MEMORY_DIRECTIVES = new Set([
  'maxmemory',
  'auto-aof-rewrite-min-size',
  'client-query-buffer-limit',
  'proto-max-bulk-len',
  'repl-backlog-size',
  'active-defrag-ignore-bytes',
  'maxmemory-clients',
  'hash-max-listpack-value',
  'hash-max-ziplist-value',
  'zset-max-listpack-value',
  'zset-max-ziplist-value',
  'stream-node-max-bytes',
]);

/** Redis's memtoull: k/m/g are powers of 1000, kb/mb/gb powers of 1024, case-insensitive. */
export function memoryToBytes(v: string): number {
  const m = /^(-?\d+)\s*(k|kb|m|mb|g|gb|b)?$/i.exec(v.trim());
  if (!m) throw new Error(`not a memory size: "${v}"`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult: Record<string, number> = { b: 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return n * (mult[unit] ?? 1);
}

/** Redis 7.0's client-output-buffer-limit per class (hard, soft, soft seconds), in CONFIG GET's order and names. */
const OUTPUT_BUFFER_DEFAULTS: ReadonlyArray<[string, string]> = [
  ['normal', '0 0 0'],
  ['slave', '268435456 67108864 60'],
  ['pubsub', '33554432 8388608 60'],
];

/**
 * client-output-buffer-limit as CONFIG GET answers it: all three classes (those not set keep Redis's
 * defaults), `replica` named `slave`, sizes in bytes, e.g. "normal 67108864 16777216 60 slave ... pubsub ...".
 */
export function outputBufferLimitValue(value: DirectiveValue): string {
  const tokens = (Array.isArray(value) ? value.join(' ') : String(value)).trim().split(/\s+/);
  if (tokens.length % 4 !== 0)
    throw new Error(`client-output-buffer-limit takes <class> <hard> <soft> <seconds> groups, got "${tokens.join(' ')}"`);
  const set = new Map<string, string>();
  for (let i = 0; i < tokens.length; i += 4) {
    const cls = (tokens[i] ?? '').toLowerCase();
    const name = cls === 'replica' ? 'slave' : cls;
    if (!OUTPUT_BUFFER_DEFAULTS.some(([c]) => c === name))
      throw new Error(`client-output-buffer-limit: unknown class "${cls}" (normal, replica, pubsub)`);
    const seconds = tokens[i + 3] ?? '';
    if (!/^\d+$/.test(seconds)) throw new Error(`client-output-buffer-limit ${cls}: "${seconds}" is not a number of seconds`);
    set.set(name, `${memoryToBytes(tokens[i + 1] ?? '')} ${memoryToBytes(tokens[i + 2] ?? '')} ${Number(seconds)}`);
  }
  return OUTPUT_BUFFER_DEFAULTS.map(([c, d]) => `${c} ${set.get(c) ?? d}`).join(' ');
}

/** The string CONFIG GET returns for a directive as the spec writes it. */
export function expectedConfigValue(directive: string, value: DirectiveValue): string {
  if (directive === 'client-output-buffer-limit') return outputBufferLimitValue(value);
  if (Array.isArray(value)) {
    if (MEMORY_DIRECTIVES.has(directive)) throw new Error(`${directive} is one memory size, not a list`);
    return value.join(' ').replace(/\s+/g, ' ').trim();
  }
  const s = String(value).trim();
  if (MEMORY_DIRECTIVES.has(directive) && /[a-z]$/i.test(s)) return String(memoryToBytes(s));
  return s.toLowerCase();
}
