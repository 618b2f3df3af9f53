import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import keySlot from 'cluster-key-slot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKeys, restoreClusterBackup, specHash, takeClusterBackup } from '../../src/backup/index.js';
import { ownerIndex } from '../../src/cluster/index.js';
import { openAdminSession, type AdminSession } from '../../src/provision/index.js';
import { DEFAULT_SPEC_PATH } from '../../src/spec/index.js';
import { startTestCluster, type TestCluster } from '../../tests/support/cluster.js';

// `npm run bench:backup`: 1,000,000 keys (100-byte values, half with a TTL) written pipelined to the 6-node
// local cluster, backed up (one RDB per master over the replication protocol, AES-256-GCM as it streams),
// then restored into a second fresh cluster (verify every file, then RESTORE ... ABSTTL of every key).
// Times, sizes and this process's peak RSS are printed; only the counts are checked.

const KEYS = 1_000_000;
const VALUE_BYTES = 100;
/** Keys per pipeline round trip when writing (bounded: one batch in flight per master). */
const WRITE_BATCH = 10_000;

let src: TestCluster;
let dst: TestCluster;
let admin: AdminSession;
const out = mkdtempSync(join(tmpdir(), 'cache-harness-bench-backup-'));
const key = deriveKeys(randomBytes(32));

const report = (line: string) => {
  console.log(`[bench:backup] ${line}`);
};
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

/** Peak RSS of this process while `fn` runs (sampled every 50 ms). */
async function peakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    return { value: await fn(), peak };
  } finally {
    clearInterval(timer);
  }
}

beforeAll(async () => {
  [src, dst] = await Promise.all([startTestCluster(80), startTestCluster(90)]);
  admin = await openAdminSession(src.target);
}, 120_000);
afterAll(async () => {
  await admin?.close();
  await Promise.all([src?.stop(), dst?.stop()]);
  rmSync(out, { recursive: true, force: true });
});

describe(`backup and restore of ${KEYS.toLocaleString('en')} keys`, () => {
  it('write, back up, restore into a fresh cluster', { timeout: 900_000 }, async () => {
    const owners = ownerIndex(admin.masters.map((m) => m.info));
    const value = randomBytes(VALUE_BYTES / 2).toString('hex');
    const tw = performance.now();
    for (let i = 0; i < KEYS; i += WRITE_BATCH) {
      const pipes = admin.masters.map((m) => m.client.pipeline());
      for (let j = i; j < Math.min(KEYS, i + WRITE_BATCH); j++) {
        const k = `bench:backup:${j}`;
        const p = pipes[owners[keySlot(k)] ?? 0];
        if (j % 2 === 0) p?.set(k, value, 'EX', 7200);
        else p?.set(k, value);
      }
      await Promise.all(pipes.map((p) => p.exec()));
    }
    const sizes = await Promise.all(admin.masters.map((m) => m.client.dbsize()));
    report(`wrote ${KEYS} keys in ${((performance.now() - tw) / 1000).toFixed(1)} s (per master: ${sizes.join(', ')})`);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(KEYS);

    const rssBefore = process.memoryUsage().rss;
    const b = await peakRss(() => takeClusterBackup({ target: src.target, out, key, specHash: specHash(DEFAULT_SPEC_PATH) }));
    const files = b.value.manifest.files;
    report(
      `backup: ${(b.value.ms / 1000).toFixed(1)} s, RDB ${mb(files.reduce((a, f) => a + f.bytes_plain, 0))}, encrypted ${mb(files.reduce((a, f) => a + f.bytes_cipher, 0))} ` +
        `(${files.map((f) => `${f.node.name ?? f.node.address} ${f.keys} keys ${mb(f.bytes_cipher)}`).join('; ')}); RSS ${mb(rssBefore)} before, peak ${mb(b.peak)}`,
    );
    expect(files.reduce((a, f) => a + f.keys, 0)).toBe(KEYS);

    const r = await peakRss(() => restoreClusterBackup({ from: b.value.dir, target: dst.target, key }));
    report(
      `restore: ${(r.value.ms / 1000).toFixed(1)} s (verify + decrypt ${(r.value.verify_ms / 1000).toFixed(1)} s; ` +
        `${r.value.masters.map((m) => `${m.from} ${m.restored_keys} keys ${(m.ms / 1000).toFixed(1)} s`).join('; ')}); RSS peak ${mb(r.peak)}`,
    );
    expect(r.value.ok).toBe(true);
    expect(r.value.masters.reduce((a, m) => a + m.restored_keys, 0)).toBe(KEYS);
  });
});
