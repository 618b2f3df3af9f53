import keySlot from 'cluster-key-slot';
import type { Redis } from 'ioredis';
import { hostPort, ownerMap, type ClusterNodeInfo } from '../cluster/index.js';
import { errorMessage, HarnessError } from '../errors.js';

// One key as a backup moves it: its name, its serialized value (DUMP: type, encoding, value, RDB version
// and checksum) and its absolute expiry. Absolute (ms since the epoch, RESTORE ... ABSTTL): a key restored
// an hour after its dump expires when it would have, not an hour late; one already past is not created.

export interface KeyRecord {
  key: Buffer;
  /** ms since the epoch; 0 = no expiry. */
  expireAt: number;
  dump: Buffer;
}

/** Keys per SCAN call and per pipelined DUMP/PTTL or RESTORE round trip. */
export const RECORD_BATCH = 1000;

/** DUMP + PTTL of these keys on one node, pipelined; keys gone meanwhile are skipped. */
export async function dumpKeys(client: Redis, keys: ReadonlyArray<string | Buffer>): Promise<KeyRecord[]> {
  if (keys.length === 0) return [];
  const p = client.pipeline();
  for (const k of keys) {
    p.dumpBuffer(k);
    p.pttl(k);
  }
  const now = Date.now();
  const res = (await p.exec()) ?? [];
  const out: KeyRecord[] = [];
  keys.forEach((k, i) => {
    const [dErr, dump] = res[2 * i] ?? [new Error('no reply')];
    const [tErr, pttl] = res[2 * i + 1] ?? [new Error('no reply')];
    if (dErr || tErr) throw new HarnessError(`DUMP/PTTL failed: ${errorMessage(dErr ?? tErr)}`);
    const ms = Number(pttl);
    if (dump === null || ms === -2) return; // expired or deleted between SCAN and DUMP
    out.push({ key: Buffer.isBuffer(k) ? k : Buffer.from(k), expireAt: ms >= 0 ? now + ms : 0, dump: dump as Buffer });
  });
  return out;
}

/** Every key of a node (binary-safe SCAN), as record batches. Bounded by `maxCalls` SCAN calls. */
export async function* dumpAllKeys(client: Redis, maxCalls = 10_000_000): AsyncGenerator<KeyRecord[]> {
  let cursor = '0';
  let calls = 0;
  do {
    if (++calls > maxCalls) throw new HarnessError(`SCAN did not finish in ${maxCalls} calls`);
    const [next, keys] = await client.scanBuffer(cursor, 'COUNT', RECORD_BATCH);
    cursor = String(next);
    const batch = await dumpKeys(client, keys);
    if (batch.length > 0) yield batch;
  } while (cursor !== '0');
}

export interface RestoreTarget {
  /** The target's masters (with their slots) and a client for each, same order. */
  masters: ReadonlyArray<{ info: ClusterNodeInfo; client: Redis }>;
  /** REPLACE an existing key (tenant restore) instead of failing with BUSYKEY. */
  replace?: boolean;
}

/**
 * RESTORE the records on the masters that own their slots, one pipeline per master. Returns how many
 * keys each master (by address) got. Any refused RESTORE is an error naming the key's node.
 */
export async function restoreRecords(target: RestoreTarget, records: readonly KeyRecord[]): Promise<Map<string, number>> {
  const owners = ownerMap(target.masters.map((m) => m.info));
  const byMaster = new Map<number, KeyRecord[]>();
  for (const r of records) {
    const owner = owners[keySlot(r.key)];
    const i = owner === undefined ? -1 : target.masters.findIndex((m) => m.info === owner);
    if (i < 0)
      throw new HarnessError(
        `no master of the target serves slot ${keySlot(r.key)}`,
        'restore into a cluster whose slots are all assigned',
      );
    const list = byMaster.get(i) ?? [];
    list.push(r);
    byMaster.set(i, list);
  }
  const counts = new Map<string, number>();
  await Promise.all(
    [...byMaster].map(async ([i, list]) => {
      const m = target.masters[i];
      if (!m) return;
      const p = m.client.pipeline();
      for (const r of list) {
        const args: Array<string | Buffer | number> = [r.key, r.expireAt, r.dump];
        if (r.expireAt > 0) args.push('ABSTTL');
        if (target.replace) args.push('REPLACE');
        p.call('RESTORE', ...args);
      }
      const res = (await p.exec()) ?? [];
      const failed = res.find(([err]) => err);
      if (failed?.[0])
        throw new HarnessError(`${hostPort(m.info)}: RESTORE failed: ${errorMessage(failed[0])}`, 'restore into a fresh (empty) cluster');
      counts.set(hostPort(m.info), list.length);
    }),
  );
  return counts;
}
