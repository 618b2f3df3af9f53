import { rmSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { formatSlotRanges, resolveTarget, withCleanupOnSignal } from '../cluster/index.js';
import {
  applyRetention,
  loadBackupKey,
  restoreClusterBackup,
  restoreTenantBackup,
  specHash,
  takeClusterBackup,
  takeTenantBackup,
} from '../backup/index.js';
import { killRdbReadersSync } from '../backup/rdb-reader.js';
import { discardAllVerifiedSync } from '../backup/verify.js';
import { EXIT } from '../errors.js';
import { formatSeconds, renderTable } from '../format/index.js';
import { progress } from './progress.js';
import type { Option } from 'commander';

interface TargetOpts {
  spec: string;
  portBase: number;
  target?: string;
  keyFile?: string;
  tenant?: string;
}

export interface BackupCommandOptions extends TargetOpts {
  out: string;
  keep?: number;
}

export interface RestoreCommandOptions extends TargetOpts {
  from: string;
}

function parseKeep(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

/** `backup` and `restore`, registered on the program (src/program.ts). */
export function registerBackupCommands(program: Command, opts: { spec: () => Option; portBase: () => Option }): void {
  program
    .command('backup')
    .description(
      "back up the live cluster's current masters (one consistent RDB each, by the replication protocol) or one tenant (--tenant), encrypted with AES-256-GCM (key: CACHE_HARNESS_BACKUP_KEY or --key-file)",
    )
    .requiredOption('--out <dir>', 'folder of backups; each backup is a new <timestamp> folder in it')
    .addOption(opts.spec())
    .addOption(opts.portBase())
    .option('--target <url>', 'an external cluster, redis://[user:pass@]host:port (password from CACHE_HARNESS_PASSWORD)')
    .option('--key-file <file>', 'file holding the 32-byte key in base64 (mode 0600)')
    .option('--keep <n>', 'then delete all but the newest N backups of ours in --out', parseKeep)
    .option('--tenant <id>', 'only this tenant: its keys, meta, limits and ACL user')
    .action(async (o: BackupCommandOptions) => backupCommand(o));

  program
    .command('restore')
    .description(
      'verify a backup (manifest MAC, every file hash and GCM tag), then restore it into a fresh cluster with the same slot ranges, or one tenant (--tenant)',
    )
    .requiredOption('--from <dir>', 'one backup folder (<out>/<timestamp>)')
    .addOption(opts.spec())
    .addOption(opts.portBase())
    .option('--target <url>', 'an external cluster, redis://[user:pass@]host:port (password from CACHE_HARNESS_PASSWORD)')
    .option('--key-file <file>', 'file holding the 32-byte key in base64 (mode 0600)')
    .option('--tenant <id>', 'restore this tenant from a tenant backup')
    .action(async (o: RestoreCommandOptions) => restoreCommand(o));
}

export async function backupCommand(o: BackupCommandOptions): Promise<void> {
  // The key first: without one nothing is written, not even the folder.
  const key = loadBackupKey({ keyFile: o.keyFile });
  const target = resolveTarget({ target: o.target, portBase: o.portBase });
  const hash = specHash(o.spec);
  // Ctrl-C mid-backup: remove the unfinished folder (it would never count as a backup, but it is litter).
  let partial: string | undefined;
  const onPartial = (d: string) => {
    partial = d;
  };
  const removePartial = () => {
    if (partial) rmSync(partial, { recursive: true, force: true });
  };
  await withCleanupOnSignal({ run: () => Promise.resolve(removePartial()), emergency: () => undefined }, async () => {
    if (o.tenant !== undefined) {
      const r = await takeTenantBackup({ target, tenant: o.tenant, out: o.out, key, specHash: hash, onPartial });
      process.stdout.write(`tenant ${o.tenant}: ${r.keys} keys backed up in ${formatSeconds(r.ms)} to ${r.dir}\n`);
      return;
    }
    const r = await takeClusterBackup({ target, out: o.out, key, specHash: hash, log: progress, onPartial });
    process.stdout.write(
      renderTable([
        ['file', 'master', 'slots', 'keys', 'rdb bytes', 'encrypted bytes'],
        ...r.manifest.files.map((f) => [
          f.file,
          f.node.name ?? f.node.address,
          formatSlotRanges(f.slots),
          String(f.keys),
          String(f.bytes_plain),
          String(f.bytes_cipher),
        ]),
      ]) + `\nbackup ${r.dir} (${formatSeconds(r.ms)})\n`,
    );
  });
  if (o.keep !== undefined) {
    const removed = applyRetention(o.out, o.keep);
    process.stdout.write(`retention --keep ${o.keep}: ${removed.length ? `removed ${removed.join(', ')}` : 'nothing to remove'}\n`);
  }
}

export async function restoreCommand(o: RestoreCommandOptions): Promise<void> {
  const key = loadBackupKey({ keyFile: o.keyFile });
  const target = resolveTarget({ target: o.target, portBase: o.portBase });
  // Ctrl-C: kill the throwaway redis-server reading an RDB and remove the decrypted copies.
  const cleanup = () => {
    killRdbReadersSync();
    discardAllVerifiedSync();
  };
  const onSignal = { run: () => Promise.resolve(cleanup()), emergency: cleanup };
  if (o.tenant !== undefined) {
    const tenant = o.tenant;
    const t = await withCleanupOnSignal(onSignal, () => restoreTenantBackup({ target, tenant, from: o.from, key }));
    process.stdout.write(
      `tenant ${t.tenant}: ${t.keys} keys restored, ACL user on ${t.acl.length} nodes (${[...new Set(t.acl.map((a) => a.method))].join(', ')}), quota scripts on ${t.scriptsOnNodes} nodes, in ${formatSeconds(t.ms)}\n`,
    );
    return;
  }
  const r = await withCleanupOnSignal(onSignal, () =>
    restoreClusterBackup({ from: o.from, target, key, specHash: specHash(o.spec), log: progress }),
  );
  process.stdout.write(
    renderTable([
      ['file', 'from', 'to', 'slots', 'keys at dump', 'keys in rdb', 'keys restored', 'time'],
      ...r.masters.map((m) => [
        m.file,
        m.from,
        m.to,
        m.slots,
        String(m.manifest_keys),
        String(m.loaded_keys),
        String(m.restored_keys),
        formatSeconds(m.ms),
      ]),
    ]) +
      `\n${r.notes.map((n) => `note: ${n}\n`).join('')}verified in ${formatSeconds(r.verify_ms)}, restored in ${formatSeconds(r.ms)}: ${r.ok ? 'every master holds the keys of its RDB' : 'KEY COUNTS DIFFER'}\n`,
  );
  if (!r.ok) process.exitCode = EXIT.fail;
}
