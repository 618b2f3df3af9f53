import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackupAuthError,
  deriveKeys,
  restoreClusterBackup,
  specHash,
  takeClusterBackup,
  type RestoreResult,
  type TakeResult,
} from '../../src/backup/index.js';
import {
  findFreePortBase,
  killLocalClusterSync,
  scanKeys,
  stopLocalCluster,
  targetFromLocal,
  upLocalCluster,
  type Target,
} from '../../src/cluster/index.js';
import { formatSeconds } from '../../src/format/index.js';
import {
  listTenants,
  openAdminSession,
  sampleKeys,
  tenantKeysMatch,
  type AdminSession,
  type SampleKey,
} from '../../src/provision/index.js';
import { DEFAULT_SPEC_PATH } from '../../src/spec/index.js';
import { escapeGlob, limitsPrefix, metaKey, type TenantMeta } from '../../src/tenancy/index.js';
import { openSuiteContext, SPEC_ENV, type SuiteContext } from '../support/context.js';
import { expectNone } from '../support/expect-none.js';
import { recordFinding } from '../support/findings.js';

// Back up the gate cluster (its gate tenants, each given sample keys with a known value and its tier's TTL),
// restore into a second local cluster started from the same spec on other ports, and compare every tenant's
// keys (DUMP bytes: value, type and encoding) and TTLs. The backup must hold no plaintext value, and a
// tampered file must make restore refuse before writing anything. The second cluster is stopped and its run
// dir removed at the end, also on failure or signal (process exit).

const run = randomBytes(4).toString('hex');
const MARK = `backup-suite-${run}`;
const PER_DATA_TYPE = 10;
/** PTTLs on the two clusters are read seconds apart (the restore in between): allowed difference. */
const TTL_SLACK_MS = 5000;

let ctx: SuiteContext;
let admin: AdminSession;
let copyAdmin: AdminSession | undefined;
let tenants: TenantMeta[] = [];
const written: SampleKey[] = [];
const out = mkdtempSync(join(tmpdir(), 'cache-harness-backup-suite-'));
const key = deriveKeys(randomBytes(32));
let copyRunDir: string | undefined;
let copy: Target | undefined;
let taken: TakeResult | undefined;
let restored: RestoreResult | undefined;

const stopCopy = () => {
  if (copyRunDir) killLocalClusterSync(copyRunDir);
};

beforeAll(async () => {
  ctx = await openSuiteContext();
  admin = await openAdminSession(ctx.target);
  tenants = (await listTenants(admin)).tenants;
  for (const meta of tenants) written.push(...sampleKeys(ctx.spec, meta, PER_DATA_TYPE));
  for (let i = 0; i < written.length; i += 1000)
    await Promise.all(written.slice(i, i + 1000).map((k) => admin.cluster.setex(k.key, k.ttl, `${MARK}:${k.key}`)));
  process.once('exit', stopCopy);
}, 60_000);

afterAll(async () => {
  const errors: unknown[] = [];
  for (let i = 0; i < written.length; i += 500)
    await Promise.all(written.slice(i, i + 500).map((k) => admin.cluster.unlink(k.key))).catch((err: unknown) => errors.push(err));
  await copyAdmin?.close().catch((err: unknown) => errors.push(err));
  await admin?.close().catch((err: unknown) => errors.push(err));
  if (copyRunDir) await stopLocalCluster(copyRunDir).catch((err: unknown) => errors.push(err));
  process.off('exit', stopCopy);
  rmSync(out, { recursive: true, force: true });
  await ctx?.close();
  if (errors.length) throw errors[0];
}, 60_000);

/** Every key of a tenant on a cluster: its data keys, its meta key and its limits keys, with DUMP and PTTL. */
async function tenantState(s: AdminSession, meta: TenantMeta): Promise<Map<string, { dump: string; pttl: number }>> {
  const keys: string[] = [metaKey(meta.tenant)];
  for (const m of s.masters)
    for (const match of [tenantKeysMatch(meta.tenant), `${escapeGlob(limitsPrefix(meta.tenant))}*`])
      for await (const batch of scanKeys(m.client, { match, deadline: Date.now() + 30_000 })) keys.push(...batch);
  const out = new Map<string, { dump: string; pttl: number }>();
  await Promise.all(
    keys.map(async (k) => {
      const [dump, pttl] = await Promise.all([s.cluster.dumpBuffer(k), s.cluster.pttl(k)]);
      if (dump !== null) out.set(k, { dump: dump.toString('hex'), pttl });
    }),
  );
  return out;
}

describe('backup and restore', () => {
  it("backs up the gate cluster's current masters, encrypted: no file holds a plaintext value", async ({ task }) => {
    expect(tenants.length, 'the gate tenants are provisioned before the suites').toBeGreaterThan(0);
    taken = await takeClusterBackup({ target: ctx.target, out, key, specHash: specHash(process.env[SPEC_ENV] ?? DEFAULT_SPEC_PATH) });
    const files = readdirSync(taken.dir);
    const plain = files.filter((f) => readFileSync(join(taken?.dir ?? '', f)).includes(Buffer.from(MARK)));
    recordFinding(task, {
      severity: 'info',
      title: `backup of ${taken.manifest.files.length} masters in ${formatSeconds(taken.ms, 2)}: ${taken.manifest.files.reduce((a, f) => a + f.keys, 0)} keys, ${taken.manifest.files.reduce((a, f) => a + f.bytes_cipher, 0)} bytes encrypted`,
      data: taken.manifest.files.map((f) => ({
        file: f.file,
        master: f.node.name ?? f.node.address,
        keys: f.keys,
        rdb_bytes: f.bytes_plain,
        encrypted_bytes: f.bytes_cipher,
      })),
    });
    expectNone(plain, `backup file(s) holding the plaintext value ${MARK}`, (f) => f);
  }, 120_000);

  it('a tampered file: restore refuses (exit-2 error) before writing anything', async () => {
    expect(taken, 'the backup was taken').toBeDefined();
    if (!taken) return;
    const dir = join(out, 'tampered');
    cpSync(taken.dir, dir, { recursive: true });
    const f = join(dir, taken.manifest.files[0]?.file ?? '');
    const bytes = readFileSync(f);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 1;
    writeFileSync(f, bytes);
    // No second cluster needed: verification comes before any connection (a target that does not exist proves it).
    const nowhere: Target = { backend: 'external', seeds: [{ host: '127.0.0.1', port: 1 }], destructive: false };
    await expect(restoreClusterBackup({ from: dir, target: nowhere, key })).rejects.toBeInstanceOf(BackupAuthError);
  });

  it('restores into a second cluster on other ports: every tenant has the same keys, values and TTLs', async ({ task }) => {
    expect(taken, 'the backup was taken').toBeDefined();
    if (!taken) return;
    const specPath = process.env[SPEC_ENV] ?? DEFAULT_SPEC_PATH;
    const base = await findFreePortBase(Math.max(...ctx.target.seeds.map((s) => s.port)) + 100, 6);
    const t0 = Date.now();
    const local = await upLocalCluster(ctx.spec, {
      portBase: base,
      specPath,
      onSpawning: (d) => {
        copyRunDir = d;
      },
    });
    const upMs = Date.now() - t0;
    copy = targetFromLocal(local);
    restored = await restoreClusterBackup({ from: taken.dir, target: copy, key });
    copyAdmin = await openAdminSession(copy);
    const rows: Array<Record<string, unknown>> = [];
    const problems: string[] = [];
    for (const meta of tenants) {
      const [a, b] = await Promise.all([tenantState(admin, meta), tenantState(copyAdmin, meta)]);
      let sameValue = 0;
      let sameTtl = 0;
      for (const [k, v] of a) {
        const w = b.get(k);
        if (!w) {
          problems.push(`${meta.tenant}: ${k} missing in the copy`);
          continue;
        }
        if (w.dump === v.dump) sameValue++;
        else problems.push(`${meta.tenant}: ${k} has another value in the copy`);
        const ttlOk = v.pttl < 0 ? w.pttl === v.pttl : w.pttl >= 0 && Math.abs(w.pttl - v.pttl) <= TTL_SLACK_MS;
        if (ttlOk) sameTtl++;
        else problems.push(`${meta.tenant}: ${k} PTTL ${v.pttl} ms in the source, ${w.pttl} ms in the copy`);
      }
      for (const k of b.keys()) if (!a.has(k)) problems.push(`${meta.tenant}: ${k} only in the copy`);
      rows.push({ tenant: meta.tenant, keys: a.size, keys_in_copy: b.size, same_value: sameValue, same_ttl: sameTtl });
    }
    recordFinding(task, {
      severity: problems.length || !restored.ok ? 'error' : 'info',
      title: `restored into a fresh cluster on ports ${base}-${base + 5} (started in ${formatSeconds(upMs)}): verified in ${formatSeconds(restored.verify_ms, 2)}, restored in ${formatSeconds(restored.ms, 2)}; ${tenants.length} tenants compared`,
      data: rows,
    });
    recordFinding(task, {
      severity: restored.ok ? 'info' : 'error',
      title: 'keys per master: at dump time, in the RDB, restored',
      data: restored.masters.map((m) => ({
        from: m.from,
        to: m.to,
        slots: m.slots,
        at_dump: m.manifest_keys,
        in_rdb: m.loaded_keys,
        restored: m.restored_keys,
        ms: m.ms,
      })),
    });
    expect(restored.ok, 'every master holds the keys of its RDB').toBe(true);
    expect(rows.reduce((n, r) => n + Number(r.keys), 0)).toBeGreaterThanOrEqual(written.length);
    expectNone(problems, 'difference(s) between the gate cluster and its restored copy', (p) => p);
  }, 180_000);
});
