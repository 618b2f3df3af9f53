import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { initialAclFile } from '../../src/cluster/acl-file.js';
import { renderRedisConf } from '../../src/cluster/render-conf.js';
import { parseConf } from '../../src/lint/parse-conf.js';
import { clusterLayout, loadSpec, RESERVED_DIRECTIVES } from '../../src/spec/index.js';

const spec = loadSpec();
const layout = clusterLayout(spec, 7001);
const master = layout[0]!;
const replica = layout[3]!;
const PASSWORD = 'S3cret-pass_word';
const DIR = '/tmp/cache-harness-unit/node-7001';
const local = renderRedisConf(spec, master, { kind: 'local', dir: DIR, password: PASSWORD });
const container = renderRedisConf(spec, replica, { kind: 'container' });

/** Non-comment, non-blank lines. */
const directives = (conf: string) => conf.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
/** The argument lines of one directive, e.g. `bind` → ['127.0.0.1']. */
const argsOf = (conf: string, d: string) =>
  directives(conf)
    .filter((l) => l.split(/\s+/)[0] === d)
    .map((l) => l.slice(d.length).trim());

describe('renderRedisConf', () => {
  it('has no inline comments: no # token after a directive', () => {
    for (const conf of [local, container]) {
      for (const line of directives(conf))
        expect(
          line
            .split(/\s+/)
            .slice(1)
            .some((t) => t.startsWith('#')),
        ).toBe(false);
    }
  });

  it('renders save as one line per rule', () => {
    expect(argsOf(local, 'save')).toEqual(['300 10', '60 1000', '15 10000']);
  });

  it('uses the Redis 7 listpack names, never ziplist', () => {
    expect(argsOf(local, 'hash-max-listpack-entries')).toEqual(['1024']);
    expect(argsOf(local, 'hash-max-listpack-value')).toEqual(['128']);
    expect(argsOf(local, 'list-max-listpack-size')).toEqual(['-2']);
    expect(argsOf(local, 'zset-max-listpack-entries')).toEqual(['256']);
    expect(local).not.toMatch(/ziplist/);
  });

  it('sets requirepass AND masterauth to the password', () => {
    expect(argsOf(local, 'requirepass')).toEqual([PASSWORD]);
    expect(argsOf(local, 'masterauth')).toEqual([PASSWORD]);
  });

  it('binds loopback only, on the node port, with cluster mode on', () => {
    expect(argsOf(local, 'bind')).toEqual(['127.0.0.1']);
    expect(argsOf(local, 'port')).toEqual(['7001']);
    expect(argsOf(local, 'cluster-enabled')).toEqual(['yes']);
    expect(argsOf(local, 'cluster-config-file')).toEqual(['nodes-7001.conf']);
  });

  it('local flavor: dir, logfile and aclfile in the run dir', () => {
    expect(argsOf(local, 'dir')).toEqual([DIR]);
    expect(argsOf(local, 'logfile')).toEqual([`${DIR}/redis.log`]);
    expect(argsOf(local, 'aclfile')).toEqual([`${DIR}/users.acl`]);
  });

  it('renders the spec target settings', () => {
    expect(argsOf(local, 'maxmemory')).toEqual(['2gb']);
    expect(argsOf(local, 'maxmemory-policy')).toEqual(['volatile-lfu']);
    expect(argsOf(local, 'cluster-node-timeout')).toEqual(['5000']);
    expect(argsOf(local, 'appendonly')).toEqual(['yes']);
  });

  it('renders the client limits, client-output-buffer-limit one line per class', () => {
    expect(argsOf(local, 'proto-max-bulk-len')).toEqual(['8mb']);
    expect(argsOf(local, 'client-query-buffer-limit')).toEqual(['16mb']);
    expect(argsOf(local, 'client-output-buffer-limit')).toEqual(['normal 64mb 16mb 60', 'replica 256mb 64mb 60', 'pubsub 32mb 8mb 60']);
    expect(argsOf(local, 'maxclients')).toEqual(['4000']);
    expect(argsOf(local, 'busy-reply-threshold')).toEqual(['100']);
  });

  it('every directive the harness sets itself is reserved, so the spec cannot override it', () => {
    for (const conf of [local, container]) {
      const own = parseConf(conf)
        .map((l) => l.directive)
        .filter((d) => !(d in spec.redis));
      expect(own.length).toBeGreaterThan(5);
      expect(own.filter((d) => !RESERVED_DIRECTIVES.has(d))).toEqual([]);
    }
  });

  it('container flavor: /data, log to stdout, password from the environment', () => {
    expect(argsOf(container, 'dir')).toEqual(['/data']);
    expect(argsOf(container, 'logfile')).toEqual(['""']);
    expect(argsOf(container, 'aclfile')).toEqual(['/data/users.acl']);
    expect(argsOf(container, 'requirepass')).toEqual(['${REDIS_PASSWORD}']);
    expect(argsOf(container, 'masterauth')).toEqual(['${REDIS_PASSWORD}']);
    expect(argsOf(container, 'port')).toEqual(['7004']);
    expect(container).toContain('for redis-4 (replica of redis-1)');
  });

  it('keeps a password with a space as one argument', () => {
    // CACHE_HARNESS_PASSWORD is user-supplied: Redis splits unquoted words into several arguments.
    const conf = renderRedisConf(spec, master, { kind: 'local', dir: DIR, password: 'two words' });
    const requirepass = parseConf(conf).find((l) => l.directive === 'requirepass');
    expect(requirepass?.args).toEqual(['two words']);
  });
});

describe('initialAclFile', () => {
  it('holds the sha256 of the password, never the password', () => {
    const text = initialAclFile(PASSWORD);
    const sha = createHash('sha256').update(PASSWORD).digest('hex');
    expect(text).toBe(`user default on #${sha} ~* &* +@all\n`);
    expect(text).not.toContain(PASSWORD);
  });

  it('differs for different passwords', () => {
    expect(initialAclFile('a')).not.toBe(initialAclFile('b'));
  });
});
