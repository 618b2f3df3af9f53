import { describe, expect, it } from 'vitest';
import { assertLoadAllowed, isLoopbackHost, parseTargetUrl } from '../../src/cluster/index.js';

describe('benchmark load goes to loopback only', () => {
  it('knows loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['10.0.0.1', '192.168.1.10', 'redis-1.kryonix.com.br', '128.0.0.1', '::']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('refuses a remote target unless the operator opts in', () => {
    expect(() => assertLoadAllowed(parseTargetUrl('redis://127.0.0.1:7001'), {})).not.toThrow();
    expect(() => assertLoadAllowed(parseTargetUrl('redis://:pw@10.1.2.3:7001'), {})).toThrow(/refusing to send benchmark load to 10\.1\.2\.3:7001/);
    expect(() => assertLoadAllowed(parseTargetUrl('redis://10.1.2.3:7001'), { CACHE_HARNESS_ALLOW_REMOTE_LOAD: '1' })).not.toThrow();
  });
});
