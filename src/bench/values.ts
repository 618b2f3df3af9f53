import { ValueCodec, type JsonValue } from '../tenancy/index.js';
import { mulberry32 } from './prng.js';
import { valueOf } from './op-table.js';

const WORDS = [
  'contato',
  'cliente',
  'mensagem',
  'agenda',
  'fatura',
  'status',
  'ativo',
  'pendente',
  'sync',
  'mobile',
  'web',
  'whatsapp',
  'relatorio',
  'campanha',
  'curso',
];

/**
 * A JSON document whose text is about `bytes` long, shaped like app data (an array of records with
 * repeating field names and varied values), so the codec's compression does what it would in production.
 */
export function benchJsonValue(bytes: number, seed = 11): JsonValue {
  const rng = mulberry32(seed + bytes);
  const items: JsonValue[] = [];
  let size = 2;
  let id = 1000;
  while (size < bytes) {
    const word = WORDS[Math.floor(rng() * WORDS.length)] ?? 'x';
    const item = {
      id: id++,
      nome: `${word}-${Math.floor(rng() * 1e6).toString(36)}`,
      atualizado: 1_700_000_000 + Math.floor(rng() * 1e7),
      valor: Math.round(rng() * 1e5) / 100,
    };
    const len = JSON.stringify(item).length + 1;
    if (size + len > bytes && items.length > 0) break;
    items.push(item);
    size += len;
  }
  return items;
}

/** What the prefill stores for a value of `bytes` bytes: raw bytes, or the TenantCache codec's encoding of a JSON document. */
export function prefillValue(driver: string, bytes: number): Buffer {
  return driver === 'tenant-cache' ? new ValueCodec().encode(benchJsonValue(bytes)) : valueOf(bytes);
}
