import { describe, it, expect } from 'vitest';
import { diffConfig, expectedConfigValue, expectedSettings, memoryToBytes, outputBufferLimitValue } from '../../src/checks/index.js';
import { loadSpec } from '../../src/spec/index.js';

const spec = loadSpec();

describe('memoryToBytes', () => {
  it('reads kb/mb/gb as powers of 1024 and k/m/g as powers of 1000', () => {
    expect(memoryToBytes('2gb')).toBe(2147483648);
    expect(memoryToBytes('32mb')).toBe(33554432);
    expect(memoryToBytes('2g')).toBe(2000000000);
    expect(memoryToBytes('64kb')).toBe(65536);
    expect(memoryToBytes('64k')).toBe(64000);
    expect(memoryToBytes('1m')).toBe(1000000);
  });

  it('is case-insensitive and takes plain bytes', () => {
    expect(memoryToBytes('2GB')).toBe(2147483648);
    expect(memoryToBytes('1024')).toBe(1024);
    expect(memoryToBytes('100b')).toBe(100);
  });

  it('rejects what is not a size', () => {
    expect(() => memoryToBytes('lots')).toThrow(/not a memory size/);
    expect(() => memoryToBytes('2tb')).toThrow(/not a memory size/);
  });
});

describe('expectedConfigValue', () => {
  it('converts memory directives with a unit to bytes', () => {
    expect(expectedConfigValue('maxmemory', '2gb')).toBe('2147483648');
    expect(expectedConfigValue('auto-aof-rewrite-min-size', '32mb')).toBe('33554432');
  });

  it('leaves other values alone but lower-cases them', () => {
    expect(expectedConfigValue('maxmemory-policy', 'volatile-LRU')).toBe('volatile-lru');
    expect(expectedConfigValue('list-max-listpack-size', -2)).toBe('-2');
    expect(expectedConfigValue('hash-max-listpack-value', 128)).toBe('128');
  });

  it('joins a list (save) into one space-separated string', () => {
    expect(expectedConfigValue('save', ['300 10', '60  1000', '15 10000'])).toBe('300 10 60 1000 15 10000');
  });
});

describe('outputBufferLimitValue', () => {
  it('answers all three classes as CONFIG GET does: replica named slave, sizes in bytes, unset classes at the defaults', () => {
    expect(outputBufferLimitValue('normal 64mb 16mb 60')).toBe(
      'normal 67108864 16777216 60 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    );
    expect(outputBufferLimitValue(['pubsub 1mb 0 0', 'replica 512mb 128mb 120'])).toBe(
      'normal 0 0 0 slave 536870912 134217728 120 pubsub 1048576 0 0',
    );
  });

  it('a later group of the same class wins, as in redis.conf', () => {
    expect(outputBufferLimitValue(['normal 1mb 1mb 1', 'NORMAL 2mb 1mb 1'])).toMatch(/^normal 2097152 1048576 1 /);
  });

  it('refuses what Redis would refuse', () => {
    expect(() => outputBufferLimitValue('normal 64mb 16mb')).toThrow(/groups/);
    expect(() => outputBufferLimitValue('tenant 1mb 1mb 1')).toThrow(/unknown class "tenant"/);
    expect(() => outputBufferLimitValue('normal 1mb 1mb soon')).toThrow(/not a number of seconds/);
    expect(() => outputBufferLimitValue('normal lots 1mb 1')).toThrow(/not a memory size/);
  });
});

describe('expectedSettings', () => {
  const expected = expectedSettings(spec);

  it('has every spec directive, CONFIG GET style', () => {
    expect(expected.get('maxmemory')).toBe('2147483648');
    expect(expected.get('save')).toBe('300 10 60 1000 15 10000');
    expect(expected.get('auto-aof-rewrite-min-size')).toBe('33554432');
    expect(expected.get('maxmemory-policy')).toBe('volatile-lfu');
    expect(expected.get('cluster-node-timeout')).toBe('5000');
    for (const k of Object.keys(spec.redis)) expect(expected.has(k), k).toBe(true);
  });

  it("has the client limits as Redis 7.0 answers them (the strings a live node's CONFIG GET returned)", () => {
    expect(expected.get('proto-max-bulk-len')).toBe('8388608');
    expect(expected.get('client-query-buffer-limit')).toBe('16777216');
    expect(expected.get('client-output-buffer-limit')).toBe(
      'normal 67108864 16777216 60 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    );
    expect(expected.get('maxclients')).toBe('4000');
    expect(expected.get('busy-reply-threshold')).toBe('100');
  });

  it('adds bind and cluster-enabled', () => {
    expect(expected.get('bind')).toBe('127.0.0.1');
    expect(expected.get('cluster-enabled')).toBe('yes');
    expect(expected.size).toBe(Object.keys(spec.redis).length + 2);
  });
});

describe('diffConfig', () => {
  const expected = expectedSettings(spec);

  it('finds no drift when CONFIG GET answers the expectation', () => {
    expect(diffConfig('redis-1', expected, new Map(expected))).toEqual([]);
  });

  it('ignores case and surrounding whitespace in the answer', () => {
    const actual = new Map(expected);
    actual.set('appendfsync', ' EverySec ');
    expect(diffConfig('redis-1', expected, actual)).toEqual([]);
  });

  it('reports exactly the one changed key', () => {
    const actual = new Map(expected);
    actual.set('maxmemory-policy', 'allkeys-lru');
    expect(diffConfig('redis-2', expected, actual)).toEqual([
      { node: 'redis-2', key: 'maxmemory-policy', expected: 'volatile-lfu', actual: 'allkeys-lru' },
    ]);
  });

  it('reports a key the server does not have', () => {
    const actual = new Map(expected);
    actual.delete('hash-max-listpack-entries');
    expect(diffConfig('redis-3', expected, actual)).toEqual([
      { node: 'redis-3', key: 'hash-max-listpack-entries', expected: '1024', actual: '(not a setting of this server)' },
    ]);
  });

  it('ignores answers for keys it does not expect', () => {
    const actual = new Map(expected);
    actual.set('hz', '10');
    expect(diffConfig('redis-1', expected, actual)).toEqual([]);
  });
});
