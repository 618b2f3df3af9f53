import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeNode, connectNode, requireBinary, withPrivateUmask } from '../../src/cluster/index.js';
import { tailLog } from '../../src/cluster/processes.js';
import { createTenant, openAdminSession, type AdminSession } from '../../src/provision/index.js';
import { runCli } from '../support/cli.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { testPortBase } from '../support/ports.js';

/** Every path under `dir` (itself included) with its permission bits. */
function modes(dir: string): Array<{ path: string; dir: boolean; mode: number }> {
  const out: Array<{ path: string; dir: boolean; mode: number }> = [];
  const walk = (p: string): void => {
    const st = statSync(p);
    out.push({ path: p, dir: st.isDirectory(), mode: st.mode & 0o777 });
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(dir);
  return out;
}

describe('files of a local cluster are private to their owner', () => {
  let tc: TestCluster;
  let admin: AdminSession;
  beforeAll(async () => {
    tc = await startTestCluster(7);
    admin = await openAdminSession(tc.target);
  });
  afterAll(async () => {
    await admin?.close();
    await tc?.stop();
  });

  it('after ACL SAVE (a tenant created) and a SAVE, every file is 0600 and every directory 0700', async () => {
    const r = await createTenant(admin, tc.spec, { id: 'perm-check-1', plan: 'basic' });
    expect(r.status).toBe('created');
    // An RDB on every node too (and the AOF directory, where the spec enables it).
    for (const n of tc.run.state.nodes) {
      const c = await connectNode({ host: tc.run.state.host, port: n.port }, { password: tc.run.password });
      try {
        await c.call('SAVE');
      } finally {
        await closeNode(c);
      }
    }
    const all = modes(tc.run.runDir);
    for (const n of tc.run.state.nodes) {
      const names = all.filter((f) => f.path.startsWith(`${n.dir}/`)).map((f) => f.path.slice(n.dir.length + 1));
      expect(names, n.name).toEqual(expect.arrayContaining(['users.acl', 'dump.rdb', 'redis.log', 'redis.conf', `nodes-${n.port}.conf`]));
    }
    const wrong = all.filter((f) => f.mode !== (f.dir ? 0o700 : 0o600)).map((f) => `${f.path} ${f.mode.toString(8)}`);
    expect(wrong).toEqual([]);
  });
});

describe('no password in what the CLI prints', () => {
  it('`up` refuses a CACHE_HARNESS_PASSWORD with a newline (exit 2) without printing it, and starts nothing', async () => {
    const portBase = await testPortBase(8);
    const r = await runCli(['up', '--port-base', String(portBase)], {
      env: { CACHE_HARNESS_PASSWORD: 'nl-secret-one\nenable-debug-command yes' },
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CACHE_HARNESS_PASSWORD has a control character');
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/nl-secret|debug-command/);
    expect(r.stderr).not.toContain('starting');
  });

  it('a malformed --target prints the URL with its password as ***', async () => {
    const r = await runCli(['tenant', 'list', '--target', 'redis://admin:url-secret-two@127.0.0.1'], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('redis://admin:***@127.0.0.1');
    expect(`${r.stdout}${r.stderr}`).not.toContain('url-secret-two');
  });

  it("a node's refused `requirepass` line, as redis-server prints it, reaches the user redacted", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cache-harness-redact-'));
    try {
      const port = await testPortBase(9, 1);
      const conf = join(dir, 'redis.conf');
      // The shape a newline in a password gave before passwords were checked: an unbalanced quote.
      writeFileSync(conf, `port ${port}\nbind 127.0.0.1\nrequirepass "conf-secret-three\n`, { mode: 0o600 });
      const out = join(dir, 'stdout.log');
      const [cmd, args] = withPrivateUmask(requireBinary('redis-server'), [conf]);
      const fd = openSync(out, 'a', 0o600);
      const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
      closeSync(fd);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const [code] = (await once(child, 'exit')) as [number | null];
      clearTimeout(timer);
      expect(code).toBe(1);
      const tail = tailLog(out);
      expect(tail).toContain('FATAL CONFIG FILE ERROR');
      expect(tail).toContain('requirepass ***');
      expect(tail).not.toContain('conf-secret-three');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
