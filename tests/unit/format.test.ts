import { describe, expect, it } from 'vitest';
import { formatBytes, formatSeconds, formatUs, renderTable } from '../../src/format/index.js';

describe('formatUs', () => {
  it('whole µs below 1 ms, then 3 significant digits in ms', () => {
    expect(formatUs(0)).toBe('0 µs');
    expect(formatUs(999.4)).toBe('999 µs');
    expect(formatUs(1000)).toBe('1.00 ms');
    expect(formatUs(12_345)).toBe('12.3 ms');
    expect(formatUs(123_456)).toBe('123 ms');
  });

  it('formatSeconds: ms as seconds, one decimal by default', () => {
    expect(formatSeconds(2500)).toBe('2.5 s');
    expect(formatSeconds(1234, 2)).toBe('1.23 s');
  });
});

describe('renderTable', () => {
  const rows = [
    ['name', 'ops', 'note'],
    ['mobile', '5000', 'FAIL (p99.9)'],
    ['all', '12', ''],
  ];

  it('first column left, the rest right; two spaces apart; no trailing spaces', () => {
    expect(renderTable(rows)).toBe(['name     ops          note', 'mobile  5000  FAIL (p99.9)', 'all       12'].join('\n'));
  });

  it('per-column or all-column alignment, an indent, and blanks for a short row', () => {
    expect(renderTable(rows, { align: ['left', 'right', 'left'] }).split('\n')[0]).toBe('name     ops  note');
    expect(renderTable([['a', 'bb'], ['ccc']], { align: 'left', indent: '  ' })).toBe('  a    bb\n  ccc');
    expect(renderTable([])).toBe('');
  });
});

describe('formatBytes', () => {
  it('picks the largest binary unit that keeps the figure at least 1', () => {
    expect([0, 512, 1023, 1024, 3500, 10 * 1024 * 1024 + 1, 150 * 1024 ** 3].map(formatBytes)).toEqual([
      '0 B',
      '512 B',
      '1023 B',
      '1.00 KiB',
      '3.42 KiB',
      '10.0 MiB',
      '150 GiB',
    ]);
  });
});
