import { HarnessError, errorMessage } from '../errors.js';

/**
 * Ops per tenant from the applications' client metrics (`cache_harness_client_op_duration_seconds_count`, which
 * TenantCache feeds and an application serves): Redis 7.0 counts no commands per ACL user, so the server cannot
 * say which tenant sends how much. Two scrapes of each URL `windowMs` apart; a tenant's rate is the growth of its
 * counts summed over modules, channels and ops, per second.
 */
export const CLIENT_OPS_COUNT = 'cache_harness_client_op_duration_seconds_count';

/** Parse the label set of one exposition line: `{a="x",b="y\"z"}` → map (Prometheus escapes: \\ \" \n). */
export function parseLabels(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const m of text.matchAll(re)) {
    const value = (m[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.set(m[1] ?? '', value);
  }
  return out;
}

/** Sum of CLIENT_OPS_COUNT per client_id in one exposition text. Pure. */
export function opsCountsByTenant(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${CLIENT_OPS_COUNT}{`)) continue;
    const close = line.lastIndexOf('}');
    const tenant = parseLabels(line.slice(CLIENT_OPS_COUNT.length + 1, close)).get('client_id');
    const value = Number(
      line
        .slice(close + 1)
        .trim()
        .split(' ')[0],
    );
    if (tenant === undefined || !Number.isFinite(value)) continue;
    out.set(tenant, (out.get(tenant) ?? 0) + value);
  }
  return out;
}

async function scrape(url: string, timeoutMs: number): Promise<string> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return await r.text();
  } catch (err) {
    throw new HarnessError(
      `--client-metrics ${url}: ${errorMessage(err)}`,
      "give the URL of an application's client metrics (GET /metrics)",
    );
  }
}

/** Ops/s per tenant over `windowMs`, from every URL (summed: several applications may serve one tenant). */
export async function clientOpsPerTenant(urls: readonly string[], windowMs: number, timeoutMs = 5000): Promise<Map<string, number>> {
  const read = () => Promise.all(urls.map(async (u) => opsCountsByTenant(await scrape(u, timeoutMs))));
  const t0 = performance.now();
  const before = await read();
  await new Promise((r) => setTimeout(r, windowMs));
  const after = await read();
  const seconds = (performance.now() - t0) / 1000;
  const out = new Map<string, number>();
  after.forEach((counts, i) => {
    for (const [tenant, n] of counts) {
      // A restarted application starts its counters at 0: its growth is what it counted since.
      const grown = n >= (before[i]?.get(tenant) ?? 0) ? n - (before[i]?.get(tenant) ?? 0) : n;
      out.set(tenant, (out.get(tenant) ?? 0) + grown / seconds);
    }
  });
  return new Map([...out].map(([t, v]) => [t, Math.round(v * 10) / 10]));
}
