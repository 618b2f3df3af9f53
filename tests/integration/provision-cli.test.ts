import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { closeNode } from '../../src/cluster/index.js';
import { describeError, HarnessError } from '../../src/errors.js';
import {
  connectAsTenant,
  openAdminSession,
  provisionMany,
  readCredentialsFile,
  usersOn,
  type AdminSession,
} from '../../src/provision/index.js';
import { DEFAULT_SPEC_PATH } from '../../src/spec/index.js';
import { programStdout, runCli } from '../support/cli.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

let tc: TestCluster;
let admin: AdminSession;
beforeAll(async () => {
  tc = await startTestCluster(3);
  admin = await openAdminSession(tc.target);
});
afterAll(async () => {
  await admin?.close();
  await tc?.stop();
});

/** The real CLI program (src/program.ts), parsed in this process: resolves to stdout, rejects with the command's error. */
const cli = (...args: string[]): Promise<string> => programStdout(args);

const base = () => ['--port-base', String(tc.portBase)];
const snapshot = async () => ({
  dbsize: await Promise.all(admin.masters.map((m) => m.client.dbsize())),
  users: await Promise.all(admin.nodes.map(async (n) => [...(await usersOn(n))].sort())),
});

describe('cache-harness tenant / provision (CLI wiring, live cluster)', () => {
  it("tenant create '1*' basic → exit-2 error naming the rule, nothing written (even before connecting)", async () => {
    const before = await snapshot();
    const err = await cli('tenant', 'create', '1*', 'basic', ...base()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as Error).message).toBe(
      'tenant id "1*" is invalid: it must match ^[A-Za-z0-9_-]{1,64}$ (1-64 letters, digits, "_" or "-")',
    );
    expect(await snapshot()).toEqual(before);
    // No cluster at all on this base: still the id error, not a connection error.
    await expect(cli('tenant', 'create', '1*', 'basic', '--port-base', '7797')).rejects.toThrow(/must match/);
  });

  it('tenant create with an unknown plan → exit-2 error naming the known plans, nothing written', async () => {
    const before = await snapshot();
    await expect(cli('tenant', 'create', 'goldco', 'gold', ...base())).rejects.toThrow(
      'plan "gold" is not in the spec; known plans: basic, pro, enterprise',
    );
    expect(await snapshot()).toEqual(before);
  });

  it('tenant create acme pro --json prints {tenant, plan, modules, aclUser, password} once; a re-create prints no password', async () => {
    const out = JSON.parse(await cli('tenant', 'create', 'acme', 'pro', '--json', ...base())) as Record<string, unknown>;
    expect(out).toMatchObject({
      status: 'created',
      tenant: 'acme',
      plan: 'pro',
      modules: ['crm', 'whatsapp', 'agendamento', 'marketing', 'analytics'],
      aclUser: 'tenant-acme',
      channel: 'mobile',
    });
    expect(out.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const c = await connectAsTenant(tc.target, 'tenant-acme', String(out.password));
    expect(await c.ping()).toBe('PONG');
    await closeNode(c);

    const again = JSON.parse(await cli('tenant', 'create', 'acme', 'pro', '--json', ...base())) as Record<string, unknown>;
    expect(again.status).toBe('exists');
    expect(again).not.toHaveProperty('password');
    expect(await cli('tenant', 'create', 'acme', 'pro', ...base())).toMatch(
      /already exists with plan pro, channel mobile: nothing changed, no new password/,
    );
    await expect(cli('tenant', 'create', 'acme', 'basic', ...base())).rejects.toThrow(/already exists with plan pro; nothing was changed/);
    expect(await cli('tenant', 'create', 'acme', 'basic', '--change-plan', ...base())).toMatch(
      /moved from plan pro\/mobile to basic\/mobile/,
    );
  });

  it('tenant create --web (text) shows the password once; list, show and remove', async () => {
    const text = await cli('tenant', 'create', 'webco', 'enterprise', '--web', ...base());
    expect(text).toMatch(
      /^created tenant webco: plan enterprise .*channel web\nACL user tenant-webco on 6 nodes; persisted with ACL SAVE on 6 node\(s\)\npassword: [A-Za-z0-9_-]{32}\n/,
    );

    const list = await cli('tenant', 'list', ...base());
    expect(list).toMatch(/^acme\s+basic\s+mobile\s+crm,whatsapp$/m);
    expect(list).toMatch(/^webco\s+enterprise\s+web\s+/m);
    const json = JSON.parse(await cli('tenant', 'list', '--json', ...base())) as Array<{ tenant: string }>;
    expect(json.map((t) => t.tenant)).toEqual(['acme', 'webco']);

    const show = await cli('tenant', 'show', 'webco', ...base());
    expect(show).toMatch(/ACL user tenant-webco: on 6\/6 nodes\n/);
    expect(show).not.toMatch(/password|#[0-9a-f]{64}/);
    await expect(cli('tenant', 'show', 'nobody', ...base())).rejects.toThrow(/tenant nobody not found/);

    expect(await cli('tenant', 'remove', 'webco', ...base())).toMatch(
      /^removed tenant webco \(plan enterprise\): 0 key\(s\) .*ACL user deleted on 6 node\(s\), meta config deleted; persisted with ACL SAVE on 6 node\(s\)/,
    );
    expect(await cli('tenant', 'remove', 'webco', ...base())).toMatch(/tenant webco not found: .*nothing removed/);
  });

  it('--target redis://:pw@host:port works on the same cluster', async () => {
    const url = `redis://:${encodeURIComponent(tc.run.password)}@127.0.0.1:${tc.portBase}`;
    const json = JSON.parse(await cli('tenant', 'list', '--json', '--target', url)) as Array<{ tenant: string }>;
    expect(json.map((t) => t.tenant)).toContain('acme');
  });

  it('provision --from needs somewhere to put the passwords; with --credentials-out it writes them 0600', async () => {
    const fixture = join(DEFAULT_SPEC_PATH, '..', 'tenants.yaml');
    const before = await snapshot();
    await expect(cli('provision', '--from', fixture, ...base())).rejects.toThrow(/pass --credentials-out FILE|nowhere to put them/);
    expect(await snapshot()).toEqual(before);

    const dir = mkdtempSync(join(tmpdir(), 'creds-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'tenants.json');
    const out = await cli('provision', '--from', fixture, '--credentials-out', file, ...base());
    expect(out).toMatch(/^provisioned 6 new tenant\(s\) in \d+ ms/);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const creds = readCredentialsFile(file);
    expect(creds).toHaveLength(6);
    expect(readFileSync(file, 'utf8')).not.toContain('#');
    const c = await connectAsTenant(tc.target, creds[0]?.aclUser ?? '', creds[0]?.password ?? '');
    expect(await c.ping()).toBe('PONG');
    await closeNode(c);
    // The file may hold passwords shown only once: a second run does not overwrite it.
    const kept = readFileSync(file, 'utf8');
    await expect(cli('provision', '--from', fixture, '--credentials-out', file, ...base())).rejects.toThrow(
      /already exists; it may hold passwords .* nothing was provisioned/,
    );
    expect(readFileSync(file, 'utf8')).toBe(kept);
    expect(await cli('provision', '--from', fixture, '--credentials-out', join(dir, 'again.json'), ...base())).toMatch(
      /provisioned 0 new tenant\(s\).*6 already existed/,
    );
  });

  /** A population of tenants no other test creates, in a temp dir. */
  const newPopulation = (dir: string): string => {
    const file = join(dir, 'pop.yaml');
    writeFileSync(file, 'version: 1\ntenants:\n  - { id: lost-1, plan: basic }\n  - { id: lost-2, plan: pro }\n');
    return file;
  };
  const tenantIds = async () =>
    (JSON.parse(await cli('tenant', 'list', '--json', ...base())) as Array<{ tenant: string }>).map((t) => t.tenant);
  const noStack = /\n\s+at /;

  it('provision --credentials-out in a missing folder (the bin): exit 2 naming the path and the fix; no tenant created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'creds-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const pop = newPopulation(dir);
    const before = await snapshot();
    const out = join(dir, 'missing', 'creds.json');
    const r = await runCli(['provision', '--from', pop, '--credentials-out', out, ...base()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--credentials-out ${out}: folder ${join(dir, 'missing')} does not exist; nothing was provisioned`);
    expect(r.stderr).toContain(`fix: create it (mkdir -p ${join(dir, 'missing')}) or choose another path`);
    expect(r.stderr).not.toMatch(noStack);
    expect(await tenantIds()).not.toEqual(expect.arrayContaining(['lost-1']));
    expect(await snapshot()).toEqual(before);
    expect(readdirSync(dir)).toEqual(['pop.yaml']); // no temp file left either
  });

  it('a credentials file that cannot be kept rolls back the tenants it would have held', async () => {
    const before = await snapshot();
    const err = await provisionMany(admin, tc.spec, [{ id: 'lost-3', plan: 'basic' }], {
      keepCredentials: () => {
        throw new HarnessError('cannot write --credentials-out x: ENOSPC', 'free some space');
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).message).toMatch(
      /the 1 new tenant\(s\) of this run were rolled back: cannot write --credentials-out x: ENOSPC/,
    );
    expect((err as HarnessError).hint).toBe('free some space');
    expect(await snapshot()).toEqual(before);
  });

  it("a tenant's own credentials on --target (the bin, password in the environment): exit 2, 'lacks admin rights', nothing created", async () => {
    const created = JSON.parse(await cli('tenant', 'create', 'notadmin', 'basic', '--json', ...base())) as { password: string };
    const dir = mkdtempSync(join(tmpdir(), 'creds-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const pop = newPopulation(dir);
    const before = await snapshot();
    const target = ['--target', `redis://tenant-notadmin@127.0.0.1:${tc.portBase}`];
    const env = { CACHE_HARNESS_PASSWORD: created.password };
    for (const args of [
      ['tenant', 'list', ...target],
      ['tenant', 'remove', 'acme', ...target],
      ['provision', '--from', pop, '--json', ...target],
    ]) {
      const r = await runCli(args, { env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`127.0.0.1:${tc.portBase}: the user lacks admin rights (NOPERM`);
      expect(r.stderr).toMatch(/fix: give an admin user's credentials/);
      expect(r.stderr).not.toMatch(noStack);
      expect(r.stderr + r.stdout).not.toContain(created.password);
    }
    expect(await snapshot()).toEqual(before);
    expect(await tenantIds()).toContain('acme');
  });

  it('a meta key of another type (WRONGTYPE): show/create/remove name the key and the fix; provision reports a conflict; exit 2, no stack', async () => {
    await admin.cluster.sadd('tenant-meta:oddkey', 'x');
    onTestFinished(async () => {
      await admin.cluster.del('tenant-meta:oddkey');
    });
    for (const args of [
      ['tenant', 'show', 'oddkey'],
      ['tenant', 'create', 'oddkey', 'basic'],
      ['tenant', 'remove', 'oddkey'],
    ]) {
      const err = await cli(...args, ...base()).catch((e: unknown) => e);
      expect(err, args.join(' ')).toBeInstanceOf(HarnessError);
      expect(describeError(err)).toBe(
        'tenant-meta:oddkey is not a tenant meta config (WRONGTYPE Operation against a key holding the wrong kind of value)\n' +
          '  fix: look at it (TYPE tenant-meta:oddkey) and, if no tenant owns it, delete it (DEL tenant-meta:oddkey); then run again',
      );
    }
    expect(await admin.cluster.type('tenant-meta:oddkey')).toBe('set'); // remove left it alone

    const dir = mkdtempSync(join(tmpdir(), 'creds-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const pop = join(dir, 'pop.yaml');
    writeFileSync(pop, 'version: 1\ntenants:\n  - { id: oddkey, plan: basic }\n');
    const r = await runCli(['provision', '--from', pop, '--json', ...base()]);
    expect(r.code).toBe(2); // the file's population was not reached
    expect(r.stderr).not.toMatch(noStack);
    const report = JSON.parse(r.stdout) as { created: unknown[]; conflicts: Array<{ tenant: string; stored: string }> };
    expect(report.created).toEqual([]);
    expect(report.conflicts).toEqual([
      { tenant: 'oddkey', wanted: 'basic', stored: expect.stringMatching(/^\(not a tenant meta config: WRONGTYPE/) as string },
    ]);
  });
});
