import { basename, dirname } from 'node:path';
import { rmSync } from 'node:fs';
import { closeNode, connectNode, formatSlotRanges, hostPort, targetCredentials, type Target } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import type { BackupKey } from './crypto.js';
import { dumpAllKeys, restoreRecords } from './key-records.js';
import { openRdbReader } from './rdb-reader.js';
import { currentMasters } from './take.js';
import { verifyBackup } from './verify.js';

export interface RestoreOptions {
  from: string;
  target: Target;
  key: BackupKey;
  /** SHA-256 of the spec the restore runs with; a different one is reported (not refused). */
  specHash?: string;
  log?: (line: string) => void;
}

export interface MasterRestore {
  file: string;
  /** The backed-up master and the target master now holding its slots. */
  from: string;
  to: string;
  slots: string;
  /** DBSIZE at dump time (manifest), keys redis-server loaded from the RDB, keys on the target afterwards. */
  manifest_keys: number;
  loaded_keys: number;
  restored_keys: number;
  ms: number;
}

export interface RestoreResult {
  masters: MasterRestore[];
  /** Every master holds exactly the keys its RDB held. */
  ok: boolean;
  /** Differences a person should know of (keys expired since the dump, another spec). */
  notes: string[];
  verify_ms: number;
  ms: number;
}

const sameRanges = (a: ReadonlyArray<readonly [number, number]>, b: ReadonlyArray<readonly [number, number]>) =>
  formatSlotRanges([...a].sort((x, y) => x[0] - y[0])) === formatSlotRanges([...b].sort((x, y) => x[0] - y[0]));

/**
 * Verify everything first (verifyBackup), then, per backed-up master, load its RDB into a throwaway
 * redis-server and RESTORE every key (with its absolute expiry) into the target's master for the same
 * slot ranges. The target must be fresh: every master empty, the same slot ranges as the backup.
 */
export async function restoreClusterBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const backup = await verifyBackup(opts.from, opts.key);
  const verifyMs = Date.now() - t0;
  try {
    const { manifest } = backup;
    if (manifest.kind !== 'cluster')
      throw new HarnessError(
        `${opts.from} is a ${manifest.kind} backup`,
        `restore it with \`restore --tenant ${manifest.tenant ?? '<id>'}\``,
      );
    const masters = await currentMasters(opts.target);
    const pairs = manifest.files.map((f) => {
      const to = masters.find((m) => sameRanges(m.slots, f.slots));
      if (!to)
        throw new HarnessError(
          `no master of the target serves exactly ${formatSlotRanges(f.slots)} (the backup's ${f.node.name ?? f.node.address})`,
          'restore into a fresh cluster started from the same spec (same slot ranges)',
        );
      return { f, to };
    });
    const creds = targetCredentials(opts.target);
    const clients = await Promise.all(masters.map((m) => connectNode(m, creds)));
    try {
      const sizes = await Promise.all(clients.map((c) => c.dbsize()));
      const busy = masters.flatMap((m, i) => (Number(sizes[i]) > 0 ? [`${hostPort(m)} holds ${sizes[i]} keys`] : []));
      if (busy.length > 0)
        throw new HarnessError(
          `the target is not empty: ${busy.join(', ')}`,
          'restore into a fresh cluster (`cache-harness up --port-base N` on free ports), never over live data',
        );
      const target = { masters: masters.map((info, i) => ({ info, client: clients[i]! })) };
      const out: MasterRestore[] = [];
      for (const { f, to } of pairs) {
        const ts = Date.now();
        const plain = backup.plain.get(f.file);
        if (!plain) throw new HarnessError(`${f.file}: not verified`);
        const reader = await openRdbReader(dirname(plain), basename(plain));
        try {
          // One RESTORE batch in flight while the next one is read from the RDB.
          let inflight: Promise<unknown> = Promise.resolve();
          for await (const batch of dumpAllKeys(reader.client)) {
            await inflight;
            inflight = restoreRecords(target, batch);
            inflight.catch(() => undefined); // awaited (and rethrown) on the next turn or below
          }
          await inflight;
        } finally {
          await reader.close();
          rmSync(plain, { force: true });
        }
        const client = clients[masters.indexOf(to)]!;
        out.push({
          file: f.file,
          from: f.node.name ?? f.node.address,
          to: hostPort(to),
          slots: formatSlotRanges(f.slots),
          manifest_keys: f.keys,
          loaded_keys: reader.keys,
          restored_keys: Number(await client.dbsize()),
          ms: Date.now() - ts,
        });
        log(`${f.file} → ${hostPort(to)}: ${reader.keys} keys restored in ${Date.now() - ts} ms`);
      }
      const notes: string[] = [];
      if (opts.specHash && opts.specHash !== manifest.spec_hash)
        notes.push('the backup was taken with another spec file (spec hash differs)');
      for (const m of out) {
        if (m.loaded_keys < m.manifest_keys)
          notes.push(
            `${m.from}: ${m.manifest_keys - m.loaded_keys} fewer keys than at dump time (expired since, or deleted during the dump)`,
          );
        if (m.loaded_keys > m.manifest_keys)
          notes.push(`${m.from}: ${m.loaded_keys - m.manifest_keys} more keys than DBSIZE before the dump (written during it)`);
      }
      return { masters: out, ok: out.every((m) => m.restored_keys === m.loaded_keys), notes, verify_ms: verifyMs, ms: Date.now() - t0 };
    } finally {
      await Promise.all(clients.map((c) => closeNode(c)));
    }
  } finally {
    backup.discard();
  }
}
