import { describe, expect, it } from 'vitest';
import { hostPort, nodeLabel, parseTargetUrl, resolveTarget } from '../../src/cluster/index.js';
import { HarnessError } from '../../src/errors.js';

describe('parseTargetUrl', () => {
  it('takes host, port and credentials from the URL, and is non-destructive unless allowed', () => {
    expect(parseTargetUrl('redis://admin:s%40cret@127.0.0.1:7001', { env: {} })).toEqual({
      backend: 'external',
      seeds: [{ host: '127.0.0.1', port: 7001 }],
      username: 'admin',
      password: 's@cret',
      destructive: false,
    });
    expect(parseTargetUrl('redis://[::1]:7001', { env: {}, allowDestructive: true })).toEqual({
      backend: 'external',
      seeds: [{ host: '::1', port: 7001 }],
      destructive: true,
    });
  });

  it("falls back to CACHE_HARNESS_PASSWORD when the URL has no password, never over the URL's", () => {
    const env = { CACHE_HARNESS_PASSWORD: 'from-env' };
    expect(parseTargetUrl('redis://127.0.0.1:7001', { env }).password).toBe('from-env');
    expect(parseTargetUrl('redis://:from-url@127.0.0.1:7001', { env }).password).toBe('from-url');
    expect(parseTargetUrl('redis://127.0.0.1:7001', { env: { CACHE_HARNESS_PASSWORD: '' } })).not.toHaveProperty('password');
  });

  it('refuses what is not a redis:// URL with a port', () => {
    for (const url of ['127.0.0.1:7001', 'rediss://127.0.0.1:7001', 'redis://127.0.0.1'])
      expect(() => parseTargetUrl(url, { env: {} }), url).toThrow(HarnessError);
  });
});

describe('resolveTarget', () => {
  it('uses --target over --port-base, with --allow-destructive', () => {
    expect(resolveTarget({ target: 'redis://127.0.0.1:7001', portBase: 54_321, allowDestructive: true }, { env: {} })).toMatchObject({
      backend: 'external',
      destructive: true,
    });
  });

  it('for load, refuses a remote --target unless the operator opts in', () => {
    const o = { target: 'redis://10.1.2.3:7001', portBase: 7001 };
    expect(() => resolveTarget(o, { load: true, env: {} })).toThrow(/refusing to send benchmark load to 10\.1\.2\.3:7001/);
    expect(resolveTarget(o, { load: true, env: { CACHE_HARNESS_ALLOW_REMOTE_LOAD: '1' } }).seeds).toEqual([
      { host: '10.1.2.3', port: 7001 },
    ]);
    expect(resolveTarget(o, { env: {} }).seeds).toEqual([{ host: '10.1.2.3', port: 7001 }]);
  });

  it('without --target, names the port base with no local cluster and how to start one', () => {
    const err = (() => {
      try {
        resolveTarget({ portBase: 54_321 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).message).toMatch(/no local cluster of ours on port base 54321/);
    expect((err as HarnessError).hint).toMatch(/cache-harness up --port-base 54321/);
  });
});

describe('node identity', () => {
  it('is host:port, or the spec name where the harness started the node', () => {
    expect(hostPort({ host: '127.0.0.1', port: 7001 })).toBe('127.0.0.1:7001');
    expect(nodeLabel({ host: '127.0.0.1', port: 7001 }, { 7001: 'redis-1' })).toBe('redis-1');
    expect(nodeLabel({ host: '127.0.0.1', port: 7002 }, { 7001: 'redis-1' })).toBe('127.0.0.1:7002');
    expect(nodeLabel({ host: '127.0.0.1', port: 7002 })).toBe('127.0.0.1:7002');
  });
});
