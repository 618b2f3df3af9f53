import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { renderCompose } from '../../src/cluster/compose.js';
import { lintCompose, parseMount, type ComposeLintReport } from '../../src/lint/index.js';
import type { LintIssue } from '../../src/lint/index.js';
import { loadSpec } from '../../src/spec/index.js';

const SEED = 'fixtures/seed/docker-compose.seed.yml';
const OURS = 'docker-compose.cluster.yml';
/** Stands in for the redis-server probe (tested in tests/integration/cli.test.ts): rejects the seed's tcp-user-timeout. */
const probe = (conf: string): Promise<LintIssue[]> =>
  Promise.resolve(
    conf
      .split('\n')
      .flatMap((l, i) =>
        l.startsWith('tcp-user-timeout')
          ? [{ line: i + 1, severity: 'error' as const, rule: 'redis-rejects', message: 'redis-server: Bad directive' }]
          : [],
      ),
  );
const rules = (r: ComposeLintReport) => r.issues.map((i) => `${i.service ?? '(file)'} ${i.severity} ${i.rule}`);

describe('lint-compose (src/lint/compose-lint.ts)', () => {
  it("flags the seed's compose as written: one /data for six nodes, a host log path, restart: always on it, requirepass without masterauth", async () => {
    const r = await lintCompose(SEED, readFileSync(SEED, 'utf8'), { probe });
    expect(rules(r)).toContain('(file) error shared-data-volume');
    const shared = r.issues.find((i) => i.rule === 'shared-data-volume');
    expect(shared?.message).toMatch(
      /^redis-1, redis-2, redis-3, redis-4, redis-5, redis-6 all mount \/opt\/kryonix\/redis\/data as their data dir \(\/data\)/,
    );
    expect(rules(r)).toEqual(
      expect.arrayContaining([
        'redis-1 error container-path',
        'redis-1 error restart-loop',
        'redis-1 error requirepass-without-masterauth',
      ]),
    );
    expect(r.issues.find((i) => i.rule === 'container-path')?.message).toMatch(
      /setup-redis-7001\.conf:31: logfile \/opt\/kryonix\/redis\/logs/,
    );
    expect(r.issues.find((i) => i.rule === 'restart-loop')?.message).toMatch(
      /^restart: always with a config Redis cannot start with \(line 31 container-path\)/,
    );
    // Only 7001's config is kept: the other five are said to be unchecked, not passed.
    expect(r.issues.filter((i) => i.rule === 'config-not-found').map((i) => i.service)).toEqual([
      'redis-2',
      'redis-3',
      'redis-4',
      'redis-5',
      'redis-6',
    ]);
    expect(r.errors).toBeGreaterThanOrEqual(4);
  });

  it('finds our committed compose file clean, and a rendering at another port base too', async () => {
    const committed = await lintCompose(OURS, readFileSync(OURS, 'utf8'), { probe });
    expect(committed.issues).toEqual([]);
    const other = await lintCompose('/nowhere/c.yml', renderCompose(loadSpec(), 14001), { probe });
    expect(other.issues).toEqual([]);
  });

  it('a named volume shared read-write is flagged; read-only or per-node volumes are not', async () => {
    const node = (volumes: string[], conf = 'port 7001\ndir /data\nrequirepass x\nmasterauth x\nbind 127.0.0.1\n') => ({
      image: 'redis:7',
      volumes,
      environment: { REDIS_CONF: conf },
    });
    const shared = stringify({ services: { a: node(['data:/data']), b: node(['data:/data']) }, volumes: { data: {} } });
    expect(rules(await lintCompose('c.yml', shared, { probe }))).toContain('(file) error shared-data-volume');
    const ro = stringify({ services: { a: node(['data:/data:ro']), b: node(['data:/data:ro']) } });
    expect(rules(await lintCompose('c.yml', ro, { probe }))).not.toContain('(file) error shared-data-volume');
    const own = stringify({ services: { a: node(['a:/data']), b: node(['b:/data']) } });
    expect(rules(await lintCompose('c.yml', own, { probe }))).not.toContain('(file) error shared-data-volume');
    // The data dir is the config's `dir`: sharing /srv/redis matters when Redis writes there.
    const dirShared = stringify({
      services: {
        a: node(['d:/srv/redis'], 'dir /srv/redis\nrequirepass x\nmasterauth x\n'),
        b: node(['d:/srv/redis'], 'dir /srv/redis\nrequirepass x\nmasterauth x\n'),
      },
    });
    expect(rules(await lintCompose('c.yml', dirShared, { probe }))).toContain('(file) error shared-data-volume');
  });

  it('restart-loop needs both a looping policy and a config Redis rejects; masterauth is required with requirepass', async () => {
    const bad = 'port 7001\ntcp-user-timeout 30000\nrequirepass x\n';
    const svc = (restart: string | undefined) => ({
      image: 'redis:7',
      ...(restart ? { restart } : {}),
      configs: ['c'],
      volumes: ['v:/data'],
    });
    const doc = (restart: string | undefined) => stringify({ services: { r: svc(restart) }, configs: { c: { content: bad } } });
    for (const policy of ['always', 'unless-stopped', 'on-failure']) {
      const r = await lintCompose('c.yml', doc(policy), { probe });
      expect(rules(r), policy).toEqual(
        expect.arrayContaining(['r error redis-rejects', 'r error restart-loop', 'r error requirepass-without-masterauth']),
      );
      expect(r.issues.find((i) => i.rule === 'restart-loop')?.message).toContain(`restart: ${policy} `);
    }
    expect(rules(await lintCompose('c.yml', doc('no'), { probe }))).not.toContain('r error restart-loop');
    expect(rules(await lintCompose('c.yml', doc(undefined), { probe }))).not.toContain('r error restart-loop');
  });

  it('reads long-form and short-form mounts', () => {
    expect(parseMount('data:/data')).toEqual({ source: 'data', target: '/data', readOnly: false });
    expect(parseMount('./c.conf:/etc/redis.conf:ro')).toEqual({ source: './c.conf', target: '/etc/redis.conf', readOnly: true });
    expect(parseMount('/data')).toEqual({ source: null, target: '/data', readOnly: false });
    expect(parseMount({ type: 'volume', source: 'd', target: '/data', read_only: true })).toEqual({
      source: 'd',
      target: '/data',
      readOnly: true,
    });
  });

  it('refuses a file that is not a compose file, naming the fix', async () => {
    await expect(lintCompose('x.yml', 'just: text\n', { probe })).rejects.toThrow(/not a compose file this lint reads/);
  });
});
