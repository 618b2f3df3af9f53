import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  closeNode,
  connectNode,
  discoverNodes,
  hostPort,
  nodeLabel,
  parseInfo,
  targetCredentials,
  type ClusterNodeInfo,
  type Target,
} from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import { encryptStream, type BackupKey } from './crypto.js';
import { completeBackupDir, startBackupDir } from './layout.js';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, writeManifest, type BackupFile, type Manifest } from './manifest.js';
import { dumpRdb } from './sync-dump.js';

export interface TakeOptions {
  target: Target;
  out: string;
  key: BackupKey;
  specHash: string;
  log?: (line: string) => void;
  /** Told the folder being written (DIR/.partial-<name>), so a signal handler can remove it. */
  onPartial?: (dir: string) => void;
}

export interface TakeResult {
  dir: string;
  manifest: Manifest;
  ms: number;
}

/**
 * The masters serving slots now, as the live cluster says (CLUSTER NODES), never by port: after a
 * failover the master of a shard is another process. A failing master or an unserved slot is refused.
 */
export async function currentMasters(target: Target): Promise<ClusterNodeInfo[]> {
  const nodes = await discoverNodes(target);
  const masters = nodes.filter((n) => n.role === 'master' && n.slots.length > 0);
  const bad = masters.filter((n) => n.flags.some((f) => f === 'fail' || f === 'fail?' || f === 'noaddr'));
  if (bad.length > 0)
    throw new HarnessError(
      `master(s) ${bad.map(hostPort).join(', ')} are failing: no consistent backup now`,
      'wait until `cache-harness status` shows every master ok',
    );
  const served = masters.reduce((n, m) => n + m.slots.reduce((a, [f, l]) => a + l - f + 1, 0), 0);
  if (served !== 16384)
    throw new HarnessError(`the masters serve ${served} of 16384 slots`, 'back up a cluster whose slots are all assigned');
  return masters.sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0));
}

/** One RDB per current master over the replication protocol, each encrypted as it streams in, then the manifest. */
export async function takeClusterBackup(opts: TakeOptions): Promise<TakeResult> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const masters = await currentMasters(opts.target);
  const creds = targetCredentials(opts.target);
  const dirs = startBackupDir(opts.out);
  opts.onPartial?.(dirs.partial);
  try {
    let redisVersion = '';
    const files: BackupFile[] = [];
    // One master at a time: each dump forks that master; in parallel, every shard would fork at once.
    for (const [i, m] of masters.entries()) {
      const c = await connectNode(m, creds);
      let keys: number;
      try {
        redisVersion ||= parseInfo(String(await c.info('server'))).get('redis_version') ?? '';
        keys = Number(await c.dbsize());
      } finally {
        await closeNode(c);
      }
      const file = `master-${i + 1}.rdb.enc`;
      const ts = Date.now();
      const dump = await dumpRdb(m, creds);
      const sealed = await encryptStream(dump.stream, join(dirs.partial, file), file, opts.key);
      await dump.done;
      if (sealed.bytes_plain !== dump.length)
        throw new HarnessError(`${hostPort(m)}: got ${sealed.bytes_plain} of ${dump.length} RDB bytes`);
      const after = await connectNode(m, creds);
      let keysAfter: number;
      try {
        keysAfter = Number(await after.dbsize());
      } finally {
        await closeNode(after);
      }
      const name = opts.target.nodeNames?.[String(m.port)];
      files.push({
        file,
        node: { id: m.id, ...(name ? { name } : {}), address: hostPort(m) },
        slots: m.slots.map(([f, l]) => [f, l]),
        keys,
        keys_after: keysAfter,
        ...sealed,
      });
      log(`${nodeLabel(m, opts.target.nodeNames)}: ${keys} keys, RDB ${sealed.bytes_plain} bytes in ${Date.now() - ts} ms`);
    }
    const manifest: Manifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_FORMAT_VERSION,
      kind: 'cluster',
      created_at: new Date(t0).toISOString(),
      redis_version: redisVersion,
      spec_hash: opts.specHash,
      source: opts.target.seeds.map(hostPort).join(','),
      files,
    };
    writeManifest(dirs.partial, manifest, opts.key);
    return { dir: completeBackupDir(dirs), manifest, ms: Date.now() - t0 };
  } catch (err) {
    rmSync(dirs.partial, { recursive: true, force: true });
    throw err;
  }
}
