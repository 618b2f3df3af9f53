import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_SPEC_PATH } from '../../src/spec/index.js';
import { runCli } from '../support/cli.js';
import { testPortBase } from '../support/ports.js';

/** redis-server processes whose title names one of these ports (redis sets "redis-server 127.0.0.1:<port>"). */
function redisOnPorts(base: number, count = 6): string[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-a', 'redis-server'], { encoding: 'utf8' });
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
  const ports = Array.from({ length: count }, (_, i) => `:${base + i}`);
  return out.split('\n').filter((l) => ports.some((p) => l.includes(`${p} `) || l.endsWith(p)));
}

function dockerEngineAnswers(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 3000 });
    return true;
  } catch {
    return false;
  }
}

/** The default spec with some top-level sections replaced, written to a temp file. */
function specWith(overrides: Record<string, unknown>): string {
  const doc = { ...(parse(readFileSync(DEFAULT_SPEC_PATH, 'utf8')) as Record<string, unknown>), ...overrides };
  const path = join(tmp(), 'spec.yaml');
  writeFileSync(path, stringify(doc));
  return path;
}

const tmp = () => mkdtempSync(join(tmpdir(), 'cache-harness-cli-'));

describe('cache-harness CLI', () => {
  it('up → status --json → down: 3 masters + 3 in-sync replicas, state ok, nothing left', async () => {
    const base = await testPortBase(1);
    const up = await runCli(['up', '--port-base', String(base)]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('run dir:');
    expect(up.stdout + up.stderr).not.toMatch(/password[^\n]*[A-Za-z0-9_-]{32}/); // never printed
    const st = await runCli(['status', '--port-base', String(base), '--json']);
    expect(st.code, st.stderr).toBe(0);
    const status = JSON.parse(st.stdout) as { runDir: string; nodes: Array<{ name: string; role: string; state: string; pid: number; master: string | null; slots: string }> };
    expect(status.nodes.filter((n) => n.role === 'master').map((n) => n.slots)).toEqual(['0-5460', '5461-10922', '10923-16383']);
    expect(status.nodes.filter((n) => n.role === 'replica').map((n) => n.master)).toEqual(['redis-1', 'redis-2', 'redis-3']);
    expect(status.nodes.every((n) => n.state === 'ok')).toBe(true);
    expect(redisOnPorts(base)).toHaveLength(6);
    const down = await runCli(['down', '--port-base', String(base)]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain('stopped 6');
    expect(redisOnPorts(base)).toEqual([]);
  });

  it('gate on a local cluster passes and writes JSON, HTML and JUnit', async () => {
    const base = await testPortBase(2);
    const reports = tmp();
    // The gate's mechanics, not this machine's speed: SLOs as loose as the spec rules allow (the brief's 200 ms), a short perf run (tests run in parallel here).
    const loose = { p99Ms: 200, p999Ms: 200 };
    const g = await runCli(['gate', '--port-base', String(base), '--reports', reports, '--spec', specWith({ slo: { mobile: loose, web: loose }, perf: { rate: 500, durationSeconds: 2, warmupSeconds: 0.5 } })], { timeoutMs: 240_000 });
    expect(g.code, g.stderr + g.stdout).toBe(0);
    const json = /json:\s+(\S+)/.exec(g.stdout)?.[1] ?? '';
    const doc = JSON.parse(readFileSync(json, 'utf8')) as { verdict: string; schema_version: number; suites: Array<{ name: string; status: string; checks: Array<{ status: string }> }>; benches?: Array<{ name: string }> };
    expect(doc.verdict).toBe('pass');
    expect(doc.schema_version).toBe(2);
    expect(doc.suites.map((s) => s.name)).toEqual(['config', 'isolation', 'sharding', 'ttl', 'quota', 'perf']);
    for (const s of doc.suites) {
      expect(s.status, s.name).toBe('passed');
      expect(s.checks.filter((c) => c.status === 'skipped'), `${s.name}: no skipped check on an owned cluster`).toEqual([]);
    }
    expect(doc.benches?.map((b) => b.name)).toEqual(expect.arrayContaining(['mobile open loop', 'web open loop']));
    expect(readFileSync(json.replace('result.json', 'junit.xml'), 'utf8')).toContain('<testsuite name="config"');
    expect(readFileSync(json.replace('result.json', 'report.html'), 'utf8')).toContain('data:image/png;base64,');
    expect(redisOnPorts(base)).toEqual([]);
  });

  it('an SLO breach on a clean measurement exits 1; on a disturbed one it is measured again, then exit 3 (external target: quota skipped)', async () => {
    const base = await testPortBase(7);
    const up = await runCli(['up', '--port-base', String(base)]);
    expect(up.code, up.stderr).toBe(0);
    try {
      const runDir = /run dir: (\S+)/.exec(up.stdout)?.[1] ?? '';
      const password = readFileSync(join(runDir, 'password'), 'utf8');
      const target = `redis://:${encodeURIComponent(password)}@127.0.0.1:${base}`;
      const slo = { mobile: { p99Ms: 0.001, p999Ms: 0.001 }, web: { p99Ms: 0.001, p999Ms: 0.001 } };
      const perf = { rate: 500, durationSeconds: 1, warmupSeconds: 0.2 };
      // Nothing counts as a disturbance (other test files load this machine too): a breach is a breach.
      const neverDisturbed = { otherCpuPercent: 100_000, stealPercent: 100, forks: 100_000, sendLagP99Ms: 100_000 };
      const failing = specWith({ slo, perf: { ...perf, disturbance: neverDisturbed } });
      const g = await runCli(['gate', '--target', target, '--reports', tmp(), '--spec', failing, '--suites', 'config,quota,perf'], { timeoutMs: 180_000 });
      expect(g.code, g.stderr).toBe(1);
      expect(g.stdout).toContain('verdict: FAIL');
      expect(g.stderr).toMatch(/✘ perf ›/);
      expect(g.stderr).toContain('suite quota skipped');
      // Every run disturbed (a send-lag limit of 1 ns): each breach is measured again, once, then inconclusive.
      const alwaysDisturbed = { sendLagP99Ms: 0.000001 };
      const reports = tmp();
      const spec = specWith({ slo, perf: { ...perf, retries: 1, disturbance: alwaysDisturbed } });
      const i = await runCli(['gate', '--target', target, '--reports', reports, '--spec', spec, '--suites', 'config,perf'], { timeoutMs: 180_000 });
      expect(i.code, i.stderr).toBe(3);
      expect(i.stdout).toContain('verdict: INCONCLUSIVE');
      const doc = JSON.parse(readFileSync(join(reports, readdirSync(reports)[0] ?? '', 'result.json'), 'utf8')) as {
        exit_code: number; suites: Array<{ name: string; status: string; checks: Array<{ name: string; status: string; reason?: string }> }>; benches: Array<{ name: string; quality?: { disturbed: boolean } }>;
      };
      const perfSuite = doc.suites.find((x) => x.name === 'perf');
      expect(perfSuite?.status).toBe('inconclusive');
      const open = perfSuite?.checks.filter((c) => c.name.includes('open loop')) ?? [];
      expect(open.map((c) => c.status)).toEqual(['inconclusive', 'inconclusive']);
      expect(open[0]?.reason).toMatch(/SLO broken in 2 attempt\(s\), each on a disturbed machine .*late/);
      // Both attempts of each profile are in the report, each with its quality block.
      expect(doc.benches.filter((b) => / open loop/.test(b.name))).toHaveLength(4);
      expect(doc.benches.filter((b) => b.quality?.disturbed)).toHaveLength(4);
    } finally {
      await runCli(['down', '--port-base', String(base)]);
    }
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

  it('exit 2 with the node\'s own log line when a node fails to start', async () => {
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

  // Where a Docker engine answers, the compose backend would really start containers: this checks the no-engine path.
  it.skipIf(dockerEngineAnswers())('--backend compose with no Docker engine: exit 2 within seconds, naming the cause', async () => {
    const t0 = Date.now();
    const r = await runCli(['gate', '--backend', 'compose', '--reports', tmp()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs a Docker engine');
    expect(Date.now() - t0).toBeLessThan(10_000); // generous: includes node start-up on a loaded machine
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

  it('lint-config: the seed\'s configs exit 1 with the named defects; the spec\'s rendering passes', async () => {
    const mobile = await runCli(['lint-config', 'fixtures/seed/redis-mobile.conf']);
    expect(mobile.code).toBe(1);
    for (const l of [17, 18, 19, 40, 41, 42, 43, 44]) expect(mobile.stdout).toMatch(new RegExp(`redis-mobile.conf:${l}: error \\[inline-comment\\]`));
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
