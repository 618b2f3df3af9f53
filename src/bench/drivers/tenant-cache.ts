import { TenantCache, type JsonValue, CHANNELS } from '../../tenancy/index.js';
import { OP_GET } from '../op-table.js';
import { memo } from '../prng.js';
import { REPLY_ERROR, REPLY_NIL, REPLY_OK } from '../resp.js';
import { benchJsonValue } from '../values.js';
import type { Driver, DriverContext } from './driver.js';

interface PendingOp {
  op: number;
  intended: number;
  sentAt: number;
}

const OPEN_BATCH = 16;

/**
 * The application's path: one TenantCache per (tenant, module, channel) the op table uses, each connected
 * as the tenant's own ACL user; values are JSON documents through the codec. Needs provisioned tenants.
 * Every op is reported to this thread's client metrics (TenantCache's default), as in an application, so the
 * measured rate includes that cost.
 */
export async function createTenantCacheDriver(ctx: DriverContext): Promise<Driver> {
  const { table } = ctx;
  const creds = new Map((ctx.tenants ?? []).map((t) => [t.tenant, t]));
  const cacheIndex = new Int32Array(table.size);
  const wanted = new Map<string, { tm: number; channel: number }>();
  for (let i = 0; i < table.size; i++) {
    const id = `${table.tm[i]}|${table.channel[i]}`;
    if (!wanted.has(id)) wanted.set(id, { tm: table.tm[i] ?? 0, channel: table.channel[i] ?? 0 });
  }
  const ids = [...wanted.keys()];
  const caches: TenantCache[] = [];
  const close = async () => {
    await Promise.all(caches.map((c) => c.close()));
  };
  try {
    for (let b = 0; b < ids.length; b += OPEN_BATCH) {
      const opened = await Promise.all(
        ids.slice(b, b + OPEN_BATCH).map((id) => {
          const w = wanted.get(id);
          const tm = table.tenantModules[w?.tm ?? 0];
          const cred = tm ? creds.get(tm.tenant) : undefined;
          if (!w || !tm || !cred) throw new Error(`tenant-cache driver: no credentials for ${tm?.tenant ?? '?'}`);
          return TenantCache.open({
            spec: ctx.spec,
            seeds: ctx.target.seeds,
            tenant: tm.tenant,
            module: tm.module,
            channel: CHANNELS[w.channel] ?? 'mobile',
            aclUser: cred.aclUser,
            password: cred.password,
            meta: cred.meta,
          });
        }),
      );
      caches.push(...opened);
    }
  } catch (err) {
    await close();
    throw err;
  }
  const at = new Map(ids.map((id, i) => [id, i]));
  for (let i = 0; i < table.size; i++) cacheIndex[i] = at.get(`${table.tm[i]}|${table.channel[i]}`) ?? 0;
  const values = new Map<number, JsonValue>();
  const valueOf = new Array<JsonValue | null>(table.size);
  for (let i = 0; i < table.size; i++) {
    const bytes = table.valueSize[i] ?? 1;
    valueOf[i] = table.kind[i] === OP_GET ? null : memo(values, bytes, () => benchJsonValue(bytes));
  }

  const pending = new Set<PendingOp>();
  const done = (p: PendingOp, status: number, error?: string) => {
    if (!pending.delete(p)) return;
    ctx.onComplete(p.op, p.intended, p.sentAt, performance.now(), status, error);
  };
  const fail = (p: PendingOp) => (e: unknown) => done(p, REPLY_ERROR, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  return {
    name: 'tenant-cache',
    send(op, intended) {
      const cache = caches[cacheIndex[op] ?? 0];
      if (!cache) return;
      const p: PendingOp = { op, intended, sentAt: performance.now() };
      pending.add(p);
      const dataType = table.dataType[op] ?? '';
      const key = table.userKey[op] ?? '';
      const v = valueOf[op];
      if (v === null || v === undefined) cache.get(dataType, key).then((r) => done(p, r === undefined ? REPLY_NIL : REPLY_OK), fail(p));
      else cache.set(dataType, key, v).then(() => done(p, REPLY_OK), fail(p));
    },
    inFlight: () => pending.size,
    forEachPending(fn) {
      for (const p of pending) fn(p.op, p.intended, p.sentAt);
    },
    close,
  };
}
