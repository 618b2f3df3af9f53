import { describe, expect, it } from 'vitest';
import { defaultImageTag, imageDockerfile, parseLdd } from '../../src/cluster/redis-image.js';

describe('the local Redis image (src/cluster/redis-image.ts)', () => {
  it('takes every library ldd lists, the loader included, and skips the vdso', () => {
    const out = [
      '\tlinux-vdso.so.1 (0x00007ffd2e5f2000)',
      '\tlibjemalloc.so.2 => /lib/x86_64-linux-gnu/libjemalloc.so.2 (0x00007f2e2e600000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2e2e2a5000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f2e2ed17000)',
    ].join('\n');
    expect(parseLdd(out)).toEqual([
      '/lib/x86_64-linux-gnu/libjemalloc.so.2',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });

  it('is built FROM scratch (nothing to pull) and labelled as ours, with the Redis version in the default tag', () => {
    const df = imageDockerfile('7.0.15');
    expect(df.split('\n')[0]).toBe('FROM scratch');
    expect(df.match(/^FROM /gm)).toHaveLength(1);
    expect(df).toContain('io.cache-harness.owner=image');
    expect(df).toContain('org.opencontainers.image.version=7.0.15');
    expect(defaultImageTag('7.0.15')).toBe('cache-harness/redis:7.0.15');
  });
});
