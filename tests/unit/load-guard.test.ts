import { describe, expect, it } from 'vitest';
import { assertLoadAddresses, assertLoadAllowed, isLoopbackHost, parseTargetUrl } from '../../src/cluster/index.js';

describe('benchmark load goes to loopback only', () => {
  it('knows loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '127.255.255.255', '::1', 'localhost', 'LOCALHOST']) expect(isLoopbackHost(h), h).toBe(true);
    // 0.0.0.0 and :: are every interface, not loopback; "127." alone does not make an address.
    for (const h of [
      '10.0.0.1',
      '192.168.1.10',
      'redis-1.kryonix.com.br',
      '128.0.0.1',
      '::',
      '0.0.0.0',
      '127.0.0.256',
      '127.0.0',
      '127.0.0.1.example.com',
      '::2',
      '',
    ]) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
  });

  it('refuses a remote target unless the operator opts in', () => {
    expect(() => assertLoadAllowed(parseTargetUrl('redis://127.0.0.1:7001'), {})).not.toThrow();
    expect(() => assertLoadAllowed(parseTargetUrl('redis://:pw@10.1.2.3:7001'), {})).toThrow(
      /refusing to send benchmark load to 10\.1\.2\.3:7001/,
    );
    expect(() => assertLoadAllowed(parseTargetUrl('redis://10.1.2.3:7001'), { CACHE_HARNESS_ALLOW_REMOTE_LOAD: '1' })).not.toThrow();
  });

  it('refuses a loopback seed whose cluster announces remote nodes (the load follows the announced addresses)', () => {
    const announced = [
      { host: '127.0.0.1', port: 7001 },
      { host: '192.168.1.20', port: 7002 },
    ];
    expect(() => assertLoadAddresses(announced, {})).toThrow(/refusing to send benchmark load to 192\.168\.1\.20:7002/);
    expect(() => assertLoadAddresses(announced, { CACHE_HARNESS_ALLOW_REMOTE_LOAD: '1' })).not.toThrow();
    expect(() => assertLoadAddresses([{ host: '127.0.0.2', port: 7003 }], {})).not.toThrow();
  });
});
