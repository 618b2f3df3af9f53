import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import keySlot from 'cluster-key-slot';
import { hostPort, ownerMap, scanKeys, type Target } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import { aclPipeline } from '../provision/acl-nodes.js';
import { persistAcl, tenantKeysMatch, withAdminSession, type AdminSession, type NodePersist } from '../provision/index.js';
import { aclUserName, escapeGlob, limitsPrefix, metaKey, parseTenantId, type TenantId } from '../tenancy/index.js';
import { loadQuotaScripts } from '../tenancy/quota-script.js';
import { encryptStream, type BackupKey } from './crypto.js';
import { dumpKeys, restoreRecords, type KeyRecord } from './key-records.js';
import { completeBackupDir, startBackupDir } from './layout.js';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, writeManifest, type Manifest } from './manifest.js';
import { readRecords, recordStream } from './record-file.js';
import { verifyBackup } from './verify.js';

// One tenant, for migration or export: DUMP + absolute expiry of its data keys (SCAN of `cliente:<id>:*`
// on every master), its meta key and its quota limits keys, and its ACL user as ACL LIST prints it (the
// rule with the password's SHA-256, `#<hash>`: the password itself exists nowhere on the server).
// Restore refuses a cluster where the tenant already has a meta key or any key (no REPLACE: an export
// never silently overwrites a live tenant; remove it first), puts its user on every node + ACL SAVE, and
// loads the quota scripts on every node so its writes work at once.

const KEYS_FILE = 'tenant-keys.enc';
const ACL_FILE = 'tenant-acl.enc';

/** SCAN deadline for one tenant's keys over every master. */
const SCAN_TIMEOUT_MS = 120_000;

async function* tenantRecords(s: AdminSession, tenant: TenantId): AsyncGenerator<KeyRecord[]> {
  const deadline = Date.now() + SCAN_TIMEOUT_MS;
  yield await dumpRecordsOfKey(s, metaKey(tenant));
  for (const m of s.masters) {
    for (const match of [tenantKeysMatch(tenant), `${escapeGlob(limitsPrefix(tenant))}*`])
      for await (const keys of scanKeys(m.client, { match, deadline })) yield await dumpKeys(m.client, keys);
  }
}

/** DUMP of one key on the master serving its slot. */
async function dumpRecordsOfKey(s: AdminSession, key: string): Promise<KeyRecord[]> {
  const owner = ownerMap(s.masters.map((m) => m.info))[keySlot(key)];
  const m = s.masters.find((x) => x.info === owner);
  if (!m) throw new HarnessError(`no master serves the slot of ${key}`, 'repair the cluster first (`cache-harness status`)');
  return dumpKeys(m.client, [key]);
}

/** The tenant's ACL user as `ACL LIST` prints it (`user <name> on #<sha256> ~... -@all +...`), from the first node that has it. */
async function aclLineOf(s: AdminSession, tenant: TenantId): Promise<string> {
  const prefix = `user ${aclUserName(tenant)} `;
  for (const n of s.nodes) {
    const line = ((await n.client.call('ACL', 'LIST')) as unknown[]).map(String).find((l) => l.startsWith(prefix));
    if (line) return line;
  }
  throw new HarnessError(`tenant ${tenant} has no ACL user on any node`, `provision it (\`cache-harness tenant create ${tenant} <plan>\`)`);
}

export interface TenantBackupResult {
  dir: string;
  keys: number;
  ms: number;
}

export async function takeTenantBackup(opts: {
  target: Target;
  tenant: string;
  out: string;
  key: BackupKey;
  specHash: string;
  onPartial?: (dir: string) => void;
}): Promise<TenantBackupResult> {
  const t0 = Date.now();
  const tenant = parseTenantId(opts.tenant);
  return withAdminSession(opts.target, async (s) => {
    if (Number(await s.cluster.exists(metaKey(tenant))) === 0)
      throw new HarnessError(
        `tenant ${tenant} is not provisioned on this cluster (no ${metaKey(tenant)})`,
        'check the id: `cache-harness tenant list`',
      );
    const acl = await aclLineOf(s, tenant);
    const redisVersion = /redis_version:(\S+)/.exec(String(await s.masters[0]?.client.info('server')))?.[1] ?? '';
    const dirs = startBackupDir(opts.out);
    opts.onPartial?.(dirs.partial);
    try {
      let count = 0;
      const counted = (async function* () {
        for await (const b of tenantRecords(s, tenant)) {
          count += b.length;
          yield b;
        }
      })();
      const keys = await encryptStream(recordStream(counted), join(dirs.partial, KEYS_FILE), KEYS_FILE, opts.key);
      const aclSealed = await encryptStream(Readable.from([Buffer.from(acl)]), join(dirs.partial, ACL_FILE), ACL_FILE, opts.key);
      const all = { id: '*', address: s.masters.map((m) => hostPort(m.info)).join(',') };
      const manifest: Manifest = {
        format: BACKUP_FORMAT,
        version: BACKUP_FORMAT_VERSION,
        kind: 'tenant',
        tenant,
        created_at: new Date(t0).toISOString(),
        redis_version: redisVersion,
        spec_hash: opts.specHash,
        source: opts.target.seeds.map(hostPort).join(','),
        files: [
          { file: KEYS_FILE, node: all, slots: [], keys: count, ...keys },
          { file: ACL_FILE, node: all, slots: [], keys: 0, ...aclSealed },
        ],
      };
      writeManifest(dirs.partial, manifest, opts.key);
      return { dir: completeBackupDir(dirs), keys: count, ms: Date.now() - t0 };
    } catch (err) {
      rmSync(dirs.partial, { recursive: true, force: true });
      throw err;
    }
  });
}

export interface TenantRestoreResult {
  tenant: string;
  keys: number;
  acl: NodePersist[];
  scriptsOnNodes: number;
  ms: number;
}

/** `ACL LIST`'s line → ACL SETUSER arguments (`reset` first, so the user is exactly the saved one). */
export function aclSetUserFromLine(line: string): string[] {
  const [word, name, ...rule] = line.trim().split(/\s+/);
  if (word !== 'user' || !name) throw new HarnessError(`not an ACL LIST line: ${line.slice(0, 40)}...`);
  return ['SETUSER', name, 'reset', ...rule];
}

export async function restoreTenantBackup(opts: {
  target: Target;
  tenant: string;
  from: string;
  key: BackupKey;
}): Promise<TenantRestoreResult> {
  const t0 = Date.now();
  const tenant = parseTenantId(opts.tenant);
  const backup = await verifyBackup(opts.from, opts.key);
  try {
    const { manifest } = backup;
    if (manifest.kind !== 'tenant' || manifest.tenant !== tenant)
      throw new HarnessError(
        `${opts.from} is not a backup of tenant ${tenant} (it is ${manifest.kind === 'tenant' ? `tenant ${manifest.tenant}` : 'a whole-cluster backup'})`,
        'name the backup of that tenant, or the tenant the backup holds',
      );
    const keysPath = backup.plain.get(KEYS_FILE);
    const aclPath = backup.plain.get(ACL_FILE);
    if (!keysPath || !aclPath)
      throw new HarnessError(`${opts.from}: the manifest lacks ${KEYS_FILE} or ${ACL_FILE}`, 'restore from an intact tenant backup');
    const aclArgs = aclSetUserFromLine(readFileSync(aclPath, 'utf8'));
    if (aclArgs[1] !== aclUserName(tenant))
      throw new HarnessError(`${opts.from}: the ACL user is not tenant ${tenant}'s`, 'restore from an intact tenant backup');
    return await withAdminSession(opts.target, async (s) => {
      const present = Number(await s.cluster.exists(metaKey(tenant)));
      let keysThere = 0;
      for (const m of s.masters) for await (const b of scanKeys(m.client, { match: tenantKeysMatch(tenant) })) keysThere += b.length;
      if (present > 0 || keysThere > 0)
        throw new HarnessError(
          `tenant ${tenant} already exists on the target (${present ? 'meta key' : ''}${present && keysThere ? ', ' : ''}${keysThere ? `${keysThere} keys` : ''})`,
          `remove it first (\`cache-harness tenant remove ${tenant}\`): a restore never overwrites a live tenant`,
        );
      const masters = s.masters.map((m) => ({ info: m.info, client: m.client }));
      let keys = 0;
      for await (const batch of readRecords(keysPath)) {
        await restoreRecords({ masters }, batch);
        keys += batch.length;
      }
      for (const n of s.nodes) await aclPipeline(n, [aclArgs]);
      const acl = await persistAcl(s.nodes);
      const scripts = await loadQuotaScripts(s.nodes.map((n) => n.client));
      return { tenant, keys, acl, scriptsOnNodes: scripts.nodes, ms: Date.now() - t0 };
    });
  } finally {
    backup.discard();
  }
}
