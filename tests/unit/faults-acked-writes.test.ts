import { describe, expect, it } from 'vitest';
import { ackedKey, compareReadBack, errorKind, parseMoved } from '../../src/faults/acked-writes.js';
import { slotOf } from '../../src/tenancy/slot-tags.js';

describe('ackedKey', () => {
  it('puts every key in one of the given slots, each key distinct, spread over all the ranges', () => {
    const slots = [...Array.from({ length: 100 }, (_, i) => i), ...Array.from({ length: 100 }, (_, i) => 10_000 + i)];
    const keys = Array.from({ length: 1000 }, (_, i) => ackedKey('acked:r1:plain:', i, slots));
    expect(new Set(keys).size).toBe(1000);
    const seen = keys.map(slotOf);
    expect(seen.every((s) => slots.includes(s))).toBe(true);
    expect(seen.filter((s) => s < 100).length).toBeGreaterThan(300);
    expect(seen.filter((s) => s >= 10_000).length).toBeGreaterThan(300);
    expect(keys[0]?.startsWith('acked:r1:plain:{')).toBe(true);
  });

  it('refuses an empty slot list', () => {
    expect(() => ackedKey('p:', 0, [])).toThrow(RangeError);
  });
});

describe('errorKind', () => {
  it("names a server reply by its first word and the client's failures by cause", () => {
    expect(errorKind(new Error('MOVED 3999 127.0.0.1:7002'))).toBe('MOVED');
    expect(errorKind(new Error('CLUSTERDOWN The cluster is down'))).toBe('CLUSTERDOWN');
    expect(errorKind(new Error('NOREPLICAS Not enough good replicas to write.'))).toBe('NOREPLICAS');
    expect(errorKind(new Error('Command timed out'))).toBe('TIMEOUT');
    expect(errorKind(new Error('connect ECONNREFUSED 127.0.0.1:7001'))).toBe('CONNECTION');
    expect(errorKind(new Error('Connection is closed.'))).toBe('CONNECTION');
    expect(errorKind(new Error('something odd'))).toBe('OTHER');
  });
});

describe('parseMoved', () => {
  it('reads the slot and the new owner, null for anything else', () => {
    expect(parseMoved('MOVED 3999 127.0.0.1:7002')).toEqual({ slot: 3999, addr: { host: '127.0.0.1', port: 7002 } });
    expect(parseMoved('ASK 3999 127.0.0.1:7002')).toBeNull();
  });
});

describe('compareReadBack', () => {
  it('counts a missing key as lost and another value as stale', () => {
    const acked = new Map([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', '4'],
    ]);
    const read = new Map<string, string | null>([
      ['a', '1'],
      ['b', null],
      ['c', 'old'],
    ]);
    const r = compareReadBack(acked, read);
    expect(r).toMatchObject({ checked: 4, lost: 2, stale: 1, lostKeys: ['b', 'd'], staleSample: ['c'] });
    expect(r.lostSample).toEqual(['b', 'd']);
  });
});
