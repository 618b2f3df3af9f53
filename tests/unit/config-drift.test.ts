import { describe, it, expect } from 'vitest';
import { diffConfig, expectedConfigValue, expectedSettings, memoryToBytes } from '../../src/checks/index.js';
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

describe('expectedSettings', () => {
  const expected = expectedSettings(spec);

  it('has every spec directive, CONFIG GET style', () => {
    expect(expected.get('maxmemory')).toBe('2147483648');
    expect(expected.get('save')).toBe('300 10 60 1000 15 10000');
    expect(expected.get('auto-aof-rewrite-min-size')).toBe('33554432');
    expect(expected.get('maxmemory-policy')).toBe('volatile-lru');
    expect(expected.get('cluster-node-timeout')).toBe('5000');
    for (const k of Object.keys(spec.redis)) expect(expected.has(k), k).toBe(true);
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
      { node: 'redis-2', key: 'maxmemory-policy', expected: 'volatile-lru', actual: 'allkeys-lru' },
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
