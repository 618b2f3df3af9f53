import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualFailover, readState } from '../../src/cluster/index.js';
import { createTenant, openAdminSession, removeTenant, usersOn, type AdminSession } from '../../src/provision/index.js';
import { aclUserName, parseTenantId } from '../../src/tenancy/index.js';
import { runCli } from '../support/cli.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// backup → restore into a second cluster → compare, through the built CLI (dist/), on two real clusters.

let src: TestCluster;
let dst: TestCluster;
let srcAdmin: AdminSession;
let dstAdmin: AdminSession;
const out = mkdtempSync(join(tmpdir(), 'cache-harness-backup-it-'));
const env = { CACHE_HARNESS_BACKUP_KEY: randomBytes(32).toString('base64') };
const tenant = `bk-${randomBytes(3).toString('hex')}`;
const MARK = `plain-${randomBytes(8).toString('hex')}`;
/** key → [value, has TTL] as written to the source. */
const written = new Map<string, [string, boolean]>();

beforeAll(async () => {
  [src, dst] = await Promise.all([startTestCluster(60), startTestCluster(70)]);
  srcAdmin = await openAdminSession(src.target);
  dstAdmin = await openAdminSession(dst.target);
  const r = await createTenant(srcAdmin, src.spec, { id: tenant, plan: 'basic' });
  if (r.status !== 'created') throw new Error(`expected a new tenant, got ${r.status}`);
  const writes: Array<Promise<unknown>> = [];
  for (let i = 0; i < 3000; i++) {
    const key = i % 3 === 0 ? `cliente:${tenant}:crm:{t${i % 50}}:contact:k${i}` : `other:${i}`;
    const value = `${MARK}-${i}`;
    written.set(key, [value, i % 2 === 0]);
    // Auto-pipelined by the admin session's Cluster client.
    writes.push(i % 2 === 0 ? srcAdmin.cluster.set(key, value, 'EX', 3600) : srcAdmin.cluster.set(key, value));
  }
  await Promise.all(writes);
}, 60_000);

afterAll(async () => {
  await srcAdmin?.close();
  await dstAdmin?.close();
  await Promise.all([src?.stop(), dst?.stop()]);
  rmSync(out, { recursive: true, force: true });
});

/** Temp folders of restores that were there before this file ran (another run's), not ours to judge. */
const plainBefore = new Set(readdirSync(tmpdir()).filter((d) => d.startsWith('cache-harness-restore-')));

/** redis-server processes working in a restore's temp folder: RDB readers (rdb-reader.ts). */
function readersRunning(): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .flatMap((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        const cwd = readlinkSync(`/proc/${p}/cwd`);
        return cmd.includes('redis-server') && cwd.includes('cache-harness-restore-') ? [`${p} ${cwd}`] : [];
      } catch {
        return [];
      }
    });
}

const backupDirs = () => readdirSync(out).filter((d) => !d.startsWith('.'));
const dstKeys = async () => (await Promise.all(dstAdmin.masters.map((m) => m.client.dbsize()))).reduce((a, b) => a + Number(b), 0);

describe('cache-harness backup / restore (two live clusters)', () => {
  it('no key → exit 2 and nothing written', async () => {
    const r = await runCli(['backup', '--out', join(out, 'none'), '--port-base', String(src.portBase)], {
      env: { CACHE_HARNESS_BACKUP_KEY: '' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no backup key/);
    expect(existsSync(join(out, 'none'))).toBe(false);
  });

  let backup = '';
  it('backs up every current master, encrypted: no file holds a plaintext value', async () => {
    const r = await runCli(['backup', '--out', out, '--port-base', String(src.portBase)], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(backupDirs()).toHaveLength(1);
    backup = join(out, backupDirs()[0] ?? '');
    const manifest = JSON.parse(readFileSync(join(backup, 'manifest.json'), 'utf8')) as { files: Array<{ file: string; keys: number }> };
    expect(manifest.files).toHaveLength(3);
    expect(manifest.files.reduce((a, f) => a + f.keys, 0)).toBe(written.size + 1 + 2); // + meta + 2 limits keys
    for (const f of readdirSync(backup)) expect(readFileSync(join(backup, f)).includes(Buffer.from(MARK)), f).toBe(false);
  }, 30_000);

  it('a tampered file or the wrong key → exit 2 and nothing restored', async () => {
    const tampered = join(out, '.tampered');
    cpSync(backup, tampered, { recursive: true });
    const f = join(tampered, 'master-2.rdb.enc');
    const bytes = readFileSync(f);
    bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] ?? 0) ^ 0x40;
    writeFileSync(f, bytes);
    const r = await runCli(['restore', '--from', tampered, '--port-base', String(dst.portBase)], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/master-2\.rdb\.enc/);
    const wrong = await runCli(['restore', '--from', backup, '--port-base', String(dst.portBase)], {
      env: { CACHE_HARNESS_BACKUP_KEY: randomBytes(32).toString('base64') },
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/authentication failed/);
    expect(await dstKeys()).toBe(0);
  }, 30_000);

  it('Ctrl-C during a restore: exit 130, no RDB reader left running, no decrypted copy left on disk', async () => {
    let sent = false;
    const r = await runCli(['restore', '--from', backup, '--port-base', String(dst.portBase)], {
      env,
      onStderr: (text, pid) => {
        if (!sent && text.includes('master-1.rdb.enc →')) {
          sent = true;
          process.kill(pid, 'SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(readersRunning()).toEqual([]);
    expect(readdirSync(tmpdir()).filter((d) => d.startsWith('cache-harness-restore-') && !plainBefore.has(d))).toEqual([]);
    // What the interrupted restore wrote goes, so the next test restores into an empty cluster again.
    await Promise.all(dstAdmin.masters.map((m) => m.client.flushall()));
  }, 30_000);

  it('restores into a fresh cluster: same keys, values and TTLs; a second restore is refused', async () => {
    const r = await runCli(['restore', '--from', backup, '--port-base', String(dst.portBase)], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/every master holds the keys of its RDB/);
    expect(await dstKeys()).toBe(written.size + 3);
    const keys = [...written.keys()];
    const values = await Promise.all(keys.map((k) => dstAdmin.cluster.get(k)));
    const ttls = await Promise.all(keys.map((k) => dstAdmin.cluster.ttl(k)));
    keys.forEach((k, i) => {
      const [value, hasTtl] = written.get(k) ?? ['', false];
      expect(values[i], k).toBe(value);
      if (hasTtl) expect(ttls[i], k).toBeGreaterThan(3600 - 60);
      else expect(ttls[i], k).toBe(-1);
    });
    const again = await runCli(['restore', '--from', backup, '--port-base', String(dst.portBase)], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/not empty/);
  }, 40_000);

  it('one tenant: backup --tenant, refused where it exists, restored after removal with its ACL user; --keep 1', async () => {
    const b = await runCli(['backup', '--tenant', tenant, '--out', out, '--keep', '1', '--port-base', String(src.portBase)], { env });
    expect(b.code, b.stderr).toBe(0);
    expect(backupDirs()).toHaveLength(1); // the cluster backup was older: removed
    const dir = join(out, backupDirs()[0] ?? '');
    expect(existsSync(backup)).toBe(false);
    const exists = await runCli(['restore', '--tenant', tenant, '--from', dir, '--port-base', String(dst.portBase)], { env });
    expect(exists.code).toBe(2);
    expect(exists.stderr).toMatch(/already exists/);
    await removeTenant(dstAdmin, tenant);
    const user = aclUserName(parseTenantId(tenant));
    expect((await usersOn(dstAdmin.nodes[0]!)).has(user)).toBe(false);
    const r = await runCli(['restore', '--tenant', tenant, '--from', dir, '--port-base', String(dst.portBase)], { env });
    expect(r.code, r.stderr).toBe(0);
    for (const n of dstAdmin.nodes) expect((await usersOn(n)).has(user), n.address).toBe(true);
    const tenantKeys = [...written.keys()].filter((k) => k.startsWith(`cliente:${tenant}:`));
    expect(await Promise.all(tenantKeys.map((k) => dstAdmin.cluster.get(k)))).toEqual(tenantKeys.map((k) => written.get(k)?.[0]));
  }, 40_000);

  it('after a failover, the backup dumps the promoted master (found in CLUSTER NODES, never by port)', async () => {
    const nodes = readState(src.run.runDir).nodes.map((n) => ({ name: n.name, port: n.port }));
    const byName = (name: string) => nodes.find((n) => n.name === name) ?? { name, port: 0 };
    // redis-4 takes over redis-1's slots (the spec's first pair), as after a master loss.
    await manualFailover({
      host: '127.0.0.1',
      creds: { password: src.run.password },
      nodes,
      promote: byName('redis-4'),
      demote: byName('redis-1'),
      timeoutMs: 30_000,
    });
    const dir = join(out, 'after-failover');
    const r = await runCli(['backup', '--out', dir, '--port-base', String(src.portBase)], { env });
    expect(r.code, r.stderr).toBe(0);
    const [taken] = readdirSync(dir).filter((d) => !d.startsWith('.'));
    const manifest = JSON.parse(readFileSync(join(dir, taken ?? '', 'manifest.json'), 'utf8')) as {
      files: Array<{ node: { address: string }; slots: Array<[number, number]> }>;
    };
    const ofSlot0 = manifest.files.find((f) => f.slots.some(([a]) => a === 0));
    expect(ofSlot0?.node.address).toBe(`127.0.0.1:${byName('redis-4').port}`);
    expect(manifest.files.map((f) => f.node.address)).not.toContain(`127.0.0.1:${byName('redis-1').port}`);
  }, 60_000);
});
