import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it, expect } from 'vitest';
import { renderRedisConf } from '../../src/cluster/render-conf.js';
import { DEFAULT_CONTAINER_PATHS, parseConf, staticIssues, type LintIssue } from '../../src/lint/index.js';
import { clusterLayout, loadSpec } from '../../src/spec/index.js';

const seed = (name: string) => readFileSync(new URL(`../../fixtures/seed/${name}`, import.meta.url), 'utf8');
const linesOf = (issues: LintIssue[], rule: string) => issues.filter((i) => i.rule === rule).map((i) => i.line);
const CONTAINER = { containerPaths: DEFAULT_CONTAINER_PATHS };

describe('parseConf', () => {
  it('keeps 1-based line numbers and skips comments and blank lines', () => {
    const lines = parseConf('# comment\n\nport 7001\n  # indented comment\nSAVE 300 10\n');
    expect(lines.map((l) => [l.line, l.directive, l.args])).toEqual([
      [3, 'port', ['7001']],
      [5, 'save', ['300', '10']],
    ]);
  });

  it('groups quoted arguments, an empty string included', () => {
    expect(parseConf('logfile ""')[0]?.args).toEqual(['']);
    expect(parseConf('requirepass "a b"')[0]?.args).toEqual(['a b']);
    expect(parseConf("user 'x y' on")[0]?.args).toEqual(['x y', 'on']);
  });

  it('reads a # after a directive as more arguments, as Redis does', () => {
    expect(parseConf('save 300 10      # every 5 min')[0]?.args).toEqual(['300', '10', '#', 'every', '5', 'min']);
  });
});

describe('staticIssues on the seed redis-mobile.conf', () => {
  const issues = staticIssues(parseConf(seed('redis-mobile.conf')), CONTAINER);

  it('flags every inline comment as an error, by line', () => {
    expect(linesOf(issues, 'inline-comment')).toEqual([17, 18, 19, 40, 41, 42, 43, 44]);
    expect(issues.filter((i) => i.rule === 'inline-comment').every((i) => i.severity === 'error')).toBe(true);
    expect(issues.find((i) => i.line === 17 && i.rule === 'inline-comment')?.message).toContain('"# Save every 5min');
  });

  it('flags a hostname in cluster-announce-ip', () => {
    const hits = issues.filter((i) => i.rule === 'announce-ip-hostname');
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ line: 7, severity: 'error' });
    expect(hits[0]?.message).toContain('redis-1.kryonix.com.br');
  });

  it('warns about the ziplist aliases with their listpack names', () => {
    const zip = issues.filter((i) => i.rule === 'deprecated-ziplist');
    expect(zip.map((i) => i.line)).toEqual([40, 41, 42, 44]);
    expect(zip.every((i) => i.severity === 'warning')).toBe(true);
    expect(zip[0]?.message).toContain('use hash-max-listpack-entries');
  });

  it('flags allkeys eviction', () => {
    expect(linesOf(issues, 'allkeys-eviction')).toEqual([13]);
  });

  it('warns that nothing asks for a password and no bind is set', () => {
    expect(linesOf(issues, 'no-auth')).toEqual([null]);
    expect(linesOf(issues, 'no-bind')).toEqual([null]);
  });

  it('warns about each client limit it leaves at an unbounded default', () => {
    for (const rule of [
      'proto-max-bulk-len',
      'client-query-buffer-limit',
      'client-output-buffer-limit',
      'maxclients',
      'busy-reply-threshold',
    ]) {
      const hit = issues.filter((i) => i.rule === rule);
      expect(hit, rule).toHaveLength(1);
      expect(hit[0]).toMatchObject({ line: null, severity: 'warning' });
    }
  });
});

describe('staticIssues on the seed setup-redis-7001.conf', () => {
  const issues = staticIssues(parseConf(seed('setup-redis-7001.conf')), CONTAINER);

  it('flags requirepass without masterauth on the requirepass line', () => {
    expect(linesOf(issues, 'requirepass-without-masterauth')).toEqual([41]);
  });

  it('flags a log path the container does not have', () => {
    const bad = issues.filter((i) => i.rule === 'container-path');
    expect(bad.map((i) => i.line)).toEqual([31]);
    expect(bad[0]?.message).toContain('/opt/kryonix/redis/logs/redis-7001.log');
  });

  it('does not check container paths when not linting for containers', () => {
    const hostIssues = staticIssues(parseConf(seed('setup-redis-7001.conf')), { containerPaths: null });
    expect(linesOf(hostIssues, 'container-path')).toEqual([]);
  });

  it('finds no inline comments in it', () => {
    expect(linesOf(issues, 'inline-comment')).toEqual([]);
  });
});

describe('staticIssues: client limits', () => {
  const LIMITS = [
    'proto-max-bulk-len 8mb',
    'client-query-buffer-limit 16mb',
    'client-output-buffer-limit normal 64mb 16mb 60',
    'maxclients 4000',
    'busy-reply-threshold 100',
  ];
  const lint = (extra: string[], base = LIMITS) => staticIssues(parseConf([...base, ...extra].join('\n')), { containerPaths: null });
  const limitRules = [
    'proto-max-bulk-len',
    'client-query-buffer-limit',
    'client-output-buffer-limit',
    'maxclients',
    'busy-reply-threshold',
  ];
  const limitIssues = (issues: LintIssue[]) => issues.filter((i) => limitRules.includes(i.rule));

  it('none when all five are set to bounded values', () => {
    expect(limitIssues(lint([]))).toEqual([]);
  });

  it('lua-time-limit (the old name) counts as busy-reply-threshold', () => {
    expect(limitIssues(lint(['lua-time-limit 100'], LIMITS.slice(0, 4)))).toEqual([]);
  });

  it('warns on normal 0 0 (no limit), naming the line that sets it last', () => {
    const issues = limitIssues(lint(['client-output-buffer-limit pubsub 32mb 8mb 60 normal 0 0 0']));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 6, severity: 'warning', rule: 'client-output-buffer-limit' });
    expect(issues[0]?.message).toContain('no limit');
  });

  it('an error for a query buffer below proto-max-bulk-len, also when it relies on the 1gb default', () => {
    const set = limitIssues(lint(['client-query-buffer-limit 4mb']));
    expect(set).toEqual([expect.objectContaining({ line: 6, severity: 'error', rule: 'client-query-buffer-limit' })]);
    expect(set[0]?.message).toContain('(4194304 bytes) is below proto-max-bulk-len (8388608 bytes)');
    const byDefault = limitIssues(lint(['proto-max-bulk-len 2gb'], LIMITS.slice(2)));
    expect(byDefault.map((i) => [i.severity, i.rule])).toEqual([
      ['warning', 'client-query-buffer-limit'],
      ['error', 'client-query-buffer-limit'],
    ]);
  });
});

describe('staticIssues on configs rendered from the spec', () => {
  const spec = loadSpec();
  const node = clusterLayout(spec, 7001)[3]!;
  const dir = mkdtempSync(join(tmpdir(), 'cache-harness-lint-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('local flavor: no errors, no warnings', () => {
    const conf = renderRedisConf(spec, node, { kind: 'local', dir, password: 'pw' });
    expect(staticIssues(parseConf(conf), { containerPaths: null })).toEqual([]);
  });

  it('container flavor: no errors, no warnings', () => {
    const conf = renderRedisConf(spec, node, { kind: 'container' });
    expect(staticIssues(parseConf(conf), CONTAINER)).toEqual([]);
  });
});
