import { Redis } from 'ioredis';
import { explainConnectError } from '../../cluster/index.js';
import { OP_GET, valueOf } from '../op-table.js';
import { memo } from '../prng.js';
import { REPLY_ERROR, REPLY_NIL, REPLY_OK } from '../resp.js';
import type { Driver, DriverContext } from './driver.js';
import { errorMessage } from '../../errors.js';

interface PendingOp {
  op: number;
  intended: number;
  sentAt: number;
}

/**
 * ioredis as an application would use it (auto-pipelining on), one `Redis` per master (or a few),
 * ops routed by the slot map read before the run, keys and values pre-built as Buffers.
 */
export async function createIoredisDriver(ctx: DriverContext): Promise<Driver> {
  const { table, topology } = ctx;
  const keyBuf: Buffer[] = new Array<Buffer>(table.size);
  const valBuf: Array<Buffer | null> = new Array<Buffer | null>(table.size);
  const nodeOf = new Uint8Array(table.size);
  const keys = new Map<string, Buffer>();
  const values = new Map<number, Buffer>();
  for (let i = 0; i < table.size; i++) {
    const key = table.key[i] ?? '';
    keyBuf[i] = memo(keys, key, () => Buffer.from(key));
    const bytes = table.valueSize[i] ?? 1;
    valBuf[i] = table.kind[i] === OP_GET ? null : memo(values, bytes, () => valueOf(bytes));
    nodeOf[i] = topology.slotOwner[table.slot[i] ?? 0] ?? 0;
  }
  const conns: Redis[][] = [];
  const close = async () => {
    await Promise.all(
      conns.flat().map(async (c) => {
        try {
          await c.quit();
        } catch {
          c.disconnect();
        }
      }),
    );
  };
  try {
    for (const m of topology.masters) {
      const list: Redis[] = [];
      conns.push(list);
      for (let j = 0; j < ctx.connections; j++) {
        const c = new Redis({
          host: m.host,
          port: m.port,
          ...(ctx.target.username ? { username: ctx.target.username } : {}),
          ...(ctx.target.password ? { password: ctx.target.password } : {}),
          enableAutoPipelining: true,
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          enableOfflineQueue: false,
          retryStrategy: () => null,
        });
        let cause: unknown;
        c.on('error', (err: unknown) => {
          cause ??= err;
        });
        list.push(c);
        try {
          await c.connect();
        } catch (err) {
          throw explainConnectError(m, cause ?? err);
        }
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  const pending = new Set<PendingOp>();
  const rr = new Uint32Array(conns.length);
  const done = (p: PendingOp, status: number, error?: string) => {
    if (!pending.delete(p)) return;
    ctx.onComplete(p.op, p.intended, p.sentAt, performance.now(), status, error);
  };
  return {
    name: 'ioredis',
    send(op, intended) {
      const node = nodeOf[op] ?? 0;
      const list = conns[node] ?? [];
      const c = list.length === 1 ? list[0] : list[(rr[node] = ((rr[node] ?? 0) + 1) % list.length)];
      if (!c) return;
      const p: PendingOp = { op, intended, sentAt: performance.now() };
      pending.add(p);
      const key = keyBuf[op] as Buffer;
      const v = valBuf[op];
      if (v === null || v === undefined) {
        c.getBuffer(key).then(
          (r) => done(p, r === null ? REPLY_NIL : REPLY_OK),
          (e: unknown) => done(p, REPLY_ERROR, errorMessage(e)),
        );
      } else {
        const ttl = table.ttl[op] ?? 0;
        // TTL 0: a plain SET (the comparisons' reference tables).
        (ttl > 0 ? c.set(key, v, 'EX', ttl) : c.set(key, v)).then(
          () => done(p, REPLY_OK),
          (e: unknown) => done(p, REPLY_ERROR, errorMessage(e)),
        );
      }
    },
    inFlight: () => pending.size,
    forEachPending(fn) {
      for (const p of pending) fn(p.op, p.intended, p.sentAt);
    },
    close,
  };
}
