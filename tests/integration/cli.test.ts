import { existsSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runDirFor } from '../../src/cluster/index.js';
import { buildProgram } from '../../src/program.js';
import { DEFAULT_SPEC_PATH } from '../../src/spec/index.js';
import { redisOnPorts, runCli, tmp } from '../support/cli.js';
import { testPortBase } from '../support/ports.js';

describe('cache-harness CLI', () => {
  it('up → status --json → down: 3 masters + 3 in-sync replicas, state ok, nothing left', async () => {
    const base = await testPortBase(1);
    const up = await runCli(['up', '--port-base', String(base)]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('run dir:');
    expect(up.stdout + up.stderr).not.toMatch(/password[^\n]*[A-Za-z0-9_-]{32}/); // never printed
    const st = await runCli(['status', '--port-base', String(base), '--json']);
    expect(st.code, st.stderr).toBe(0);
    const status = JSON.parse(st.stdout) as {
      runDir: string;
      nodes: Array<{ name: string; role: string; state: string; pid: number; master: string | null; slots: string }>;
    };
    expect(status.nodes.filter((n) => n.role === 'master').map((n) => n.slots)).toEqual(['0-5460', '5461-10922', '10923-16383']);
    expect(status.nodes.filter((n) => n.role === 'replica').map((n) => n.master)).toEqual(['redis-1', 'redis-2', 'redis-3']);
    expect(status.nodes.every((n) => n.state === 'ok')).toBe(true);
    expect(redisOnPorts(base)).toHaveLength(6);
    const down = await runCli(['down', '--port-base', String(base)]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain('stopped 6');
    expect(redisOnPorts(base)).toEqual([]);
  });

  it('Ctrl-C during gate leaves no redis-server behind', async () => {
    const base = await testPortBase(3);
    let sent = false;
    const g = await runCli(['gate', '--port-base', String(base), '--reports', tmp()], {
      onStderr: (text, pid) => {
        // mid start-up: the nodes run, the cluster is being formed
        if (!sent && text.includes('nodes answer')) {
          sent = true;
          process.kill(pid, 'SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(g.code).toBe(130);
    expect(redisOnPorts(base)).toEqual([]);
  });

  it('SIGTERM while suites run leaves no redis-server behind', async () => {
    const base = await testPortBase(4);
    let sent = false;
    const g = await runCli(['gate', '--port-base', String(base), '--reports', tmp()], {
      onStderr: (text, pid) => {
        if (!sent && text.includes('running suites')) {
          sent = true;
          process.kill(pid, 'SIGTERM');
        }
      },
    });
    expect(sent).toBe(true);
    expect([143, 0, 1]).toContain(g.code); // the suites may finish first; either way nothing may be left
    expect(redisOnPorts(base)).toEqual([]);
  });

  it('exit 2 naming the port when a port is in use', async () => {
    const base = await testPortBase(5);
    const srv: Server = createServer();
    await new Promise<void>((r) => srv.listen(base + 2, '127.0.0.1', r));
    try {
      const up = await runCli(['up', '--port-base', String(base)]);
      expect(up.code).toBe(2);
      expect(up.stderr).toContain(`127.0.0.1:${base + 2} is in use`);
      expect(redisOnPorts(base)).toEqual([]);
    } finally {
      srv.close();
    }
  });

  it("exit 2 with the node's own log line when a node fails to start", async () => {
    const base = await testPortBase(6);
    const doc = parse(readFileSync(DEFAULT_SPEC_PATH, 'utf8')) as { redis: Record<string, unknown> };
    doc.redis['tcp-user-timeout'] = 30000; // the seed's directive: Redis rejects it
    const dir = tmp();
    writeFileSync(join(dir, 'bad.spec.yaml'), stringify(doc));
    const up = await runCli(['up', '--port-base', String(base), '--spec', join(dir, 'bad.spec.yaml')]);
    expect(up.code).toBe(2);
    expect(up.stderr).toContain('tcp-user-timeout');
    expect(up.stderr).toMatch(/Bad directive or wrong number of arguments/);
    expect(redisOnPorts(base)).toEqual([]);
  });

  // DOCKER_HOST at a socket nobody serves: the no-engine path, whether or not this machine runs Docker.
  it('--backend compose and containers with no Docker engine: exit 2 within seconds, naming the cause and the fix', async () => {
    const env = { DOCKER_HOST: `unix://${join(tmp(), 'no-engine.sock')}` };
    for (const backend of ['compose', 'containers']) {
      const t0 = Date.now();
      const r = await runCli(['gate', '--backend', backend, '--reports', tmp()], { env });
      expect(r.code, backend).toBe(2);
      expect(r.stderr).toContain(`--backend ${backend} needs a Docker engine`);
      expect(r.stderr).toContain('fix: start Docker');
      expect(Date.now() - t0).toBeLessThan(10_000); // generous: includes node start-up on a loaded machine
    }
  });

  it("lint-compose: the seed's compose as written fails (shared /data, host log path, restart loop, no masterauth); ours is clean", async () => {
    const seed = await runCli(['lint-compose', 'fixtures/seed/docker-compose.seed.yml']);
    expect(seed.code, seed.stderr).toBe(1);
    expect(seed.stdout).toMatch(/\(file\): error \[shared-data-volume\] redis-1, redis-2, redis-3, redis-4, redis-5, redis-6 all mount/);
    expect(seed.stdout).toMatch(/redis-1: error \[container-path\] \.\/setup-redis-7001\.conf:31: logfile/);
    expect(seed.stdout).toMatch(/redis-1: error \[restart-loop\] restart: always/);
    expect(seed.stdout).toMatch(/redis-1: error \[requirepass-without-masterauth\]/);
    const ours = await runCli(['lint-compose', 'docker-compose.cluster.yml']);
    expect(ours.code, ours.stdout).toBe(0);
    expect(ours.stdout).toContain('docker-compose.cluster.yml: 0 error(s), 0 warning(s)');
  });

  it('exit 2 saying what to install when redis-server is not on PATH', async () => {
    const base = await testPortBase(8);
    const r = await runCli(['up', '--port-base', String(base)], { env: { PATH: '/nonexistent' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('redis-server not found on PATH');
    expect(r.stderr).toContain('apt-get install -y redis-server');
  });

  it('exit 2 naming the field for an invalid spec', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 's.yaml'), 'version: 1\nname: x\n');
    const r = await runCli(['gate', '--spec', join(dir, 's.yaml'), '--reports', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/topology: .*(expected object|Invalid input)/);
  });

  it('up with a spec that injects config: exit 2 naming each field, nothing started', async () => {
    const base = await testPortBase(9);
    const doc = parse(readFileSync(DEFAULT_SPEC_PATH, 'utf8')) as { redis: Record<string, unknown>; topology: { host: string } };
    doc.redis.loglevel = 'notice\nenable-debug-command yes'; // a newline would start a new redis.conf line
    doc.redis['protected-mode'] = 'no';
    doc.topology.host = '0.0.0.0';
    const dir = tmp();
    writeFileSync(join(dir, 'injected.spec.yaml'), stringify(doc));
    const up = await runCli(['up', '--port-base', String(base), '--spec', join(dir, 'injected.spec.yaml')]);
    expect(up.code, up.stderr).toBe(2);
    expect(up.stderr).toContain('redis.loglevel: the value "notice\\nenable-debug-command yes" holds a control character');
    expect(up.stderr).toContain('redis.protected-mode: "protected-mode" is reserved');
    expect(up.stderr).toContain('topology.host: "0.0.0.0" is not a loopback address');
    expect(redisOnPorts(base)).toEqual([]);
    expect(existsSync(runDirFor(base)), 'no run dir').toBe(false);
  });

  it("the bin: --help and --version exit 0; a verb's --help lists its options; a usage error exits 2, never 1 (a failed check)", async () => {
    const help = await runCli(['--help']);
    expect(help.code, help.stderr).toBe(0);
    // Every verb the program registers is in the bin's help (the unit test pins the list itself).
    for (const verb of (await buildProgram()).commands.map((c) => c.name())) expect(help.stdout).toMatch(new RegExp(`^  ${verb}\\b`, 'm'));
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const bench = await runCli(['bench', '--help']);
    expect(bench.code, bench.stderr).toBe(0);
    expect(bench.stdout).toContain('--max-inflight-per-conn <n>');
    const typo = await runCli(['gate', '--suits', 'config']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown option '--suits'");
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: cache-harness');
  });

  it("lint-config: the seed's configs exit 1 with the named defects; the spec's rendering passes", async () => {
    const mobile = await runCli(['lint-config', 'fixtures/seed/redis-mobile.conf']);
    expect(mobile.code).toBe(1);
    for (const l of [17, 18, 19, 40, 41, 42, 43, 44])
      expect(mobile.stdout).toMatch(new RegExp(`redis-mobile.conf:${l}: error \\[inline-comment\\]`));
    expect(mobile.stdout).toMatch(/:31: error \[redis-rejects\] .*tcp-user-timeout/);
    expect(mobile.stdout).toMatch(/:7: error \[announce-ip-hostname\]/);
    const setup = await runCli(['lint-config', 'fixtures/seed/setup-redis-7001.conf']);
    expect(setup.code).toBe(1);
    expect(setup.stdout).toContain('[requirepass-without-masterauth]');
    expect(setup.stdout).toMatch(/:31: error \[container-path\] logfile \/opt\/kryonix/);
    const rendered = await runCli(['render-conf', '--node', 'redis-1', '--out-dir', tmp()]);
    expect(rendered.code, rendered.stderr).toBe(0);
    const confPath = rendered.stdout.trim();
    const ok = await runCli(['lint-config', confPath]);
    expect(ok.stdout).toMatch(/0 error\(s\), 0 warning\(s\)/);
    expect(ok.code).toBe(0);
  });
});
