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

/** The string CONFIG GET returns for a directive as the spec writes it. */
export function expectedConfigValue(directive: string, value: DirectiveValue): string {
  if (Array.isArray(value)) return value.join(' ').replace(/\s+/g, ' ').trim();
  const s = String(value).trim();
  if (MEMORY_DIRECTIVES.has(directive) && /[a-z]$/i.test(s)) return String(memoryToBytes(s));
  return s.toLowerCase();
}
