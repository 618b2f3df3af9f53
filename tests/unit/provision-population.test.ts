import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { HarnessError } from '../../src/errors.js';
import { generatePopulation, loadPopulation, parsePopulation, weightedRoundRobin } from '../../src/provision/index.js';
import { DEFAULT_SPEC_PATH, loadSpec } from '../../src/spec/index.js';

const spec = loadSpec();
const fixture = join(DEFAULT_SPEC_PATH, '..', 'tenants.yaml');

const countBy = <T>(xs: readonly T[], f: (x: T) => string) =>
  xs.reduce<Record<string, number>>((a, x) => ({ ...a, [f(x)]: (a[f(x)] ?? 0) + 1 }), {});

describe('population generator', () => {
  it('10,000 tenants: 60/30/10 plans, 70/30 mobile/web, ids t000001..t010000, unique', () => {
    const pop = generatePopulation({ count: 10_000 });
    expect(pop).toHaveLength(10_000);
    expect(pop[0]?.id).toBe('t000001');
    expect(pop.at(-1)?.id).toBe('t010000');
    expect(new Set(pop.map((t) => t.id)).size).toBe(10_000);
    expect(countBy(pop, (t) => t.plan)).toEqual({ basic: 6000, pro: 3000, enterprise: 1000 });
    expect(countBy(pop, (t) => t.channel)).toEqual({ mobile: 7000, web: 3000 });
  });

  it('is deterministic and keeps the mix in every prefix of 10', () => {
    expect(generatePopulation({ count: 50 })).toEqual(generatePopulation({ count: 50 }));
    const pop = generatePopulation({ count: 30 });
    for (let i = 0; i < 30; i += 10) expect(countBy(pop.slice(i, i + 10), (t) => t.plan)).toEqual({ basic: 6, pro: 3, enterprise: 1 });
  });

  it('widens the number when the count needs it; custom prefix and mix', () => {
    const pop = generatePopulation({ count: 3, prefix: 'bench-', planMix: { pro: 1 }, webPercent: 100 });
    expect(pop).toEqual([
      { id: 'bench-000001', plan: 'pro', channel: 'web' },
      { id: 'bench-000002', plan: 'pro', channel: 'web' },
      { id: 'bench-000003', plan: 'pro', channel: 'web' },
    ]);
    expect(generatePopulation({ count: 1, prefix: 'x' })[0]?.id).toBe('x000001');
    expect(() => generatePopulation({ count: -1 })).toThrow(RangeError);
  });

  it('weighted round-robin interleaves instead of grouping', () => {
    expect(weightedRoundRobin({ a: 5, b: 1, c: 1 }, 7).join('')).toBe('aabacaa');
    expect(() => weightedRoundRobin({ a: 0 }, 1)).toThrow(/positive/);
  });
});

describe('population file', () => {
  it('the gate fixture loads: 6 tenants, 3 basic, 2 pro, 1 enterprise, one web', () => {
    const pop = loadPopulation(fixture, spec);
    expect(pop).toHaveLength(6);
    expect(countBy(pop, (t) => t.plan)).toEqual({ basic: 3, pro: 2, enterprise: 1 });
    expect(pop.filter((t) => t.channel === 'web')).toHaveLength(1);
  });

  it('can generate, after the listed tenants', () => {
    const pop = parsePopulation({ version: 1, tenants: [{ id: 'first', plan: 'pro' }], generate: { count: 10, prefix: 'g' } }, spec);
    expect(pop.map((t) => t.id)).toEqual(['first', ...Array.from({ length: 10 }, (_, i) => `g${String(i + 1).padStart(6, '0')}`)]);
  });

  it.each([
    [{ version: 1, tenants: [{ id: '1*', plan: 'basic' }] }, /tenants\.0\.id: tenant id must match/],
    [{ version: 1, tenants: [{ id: 'a', plan: 'gold' }] }, /plan "gold" is not in the spec; known plans: basic, pro, enterprise/],
    [
      {
        version: 1,
        tenants: [
          { id: 'a', plan: 'basic' },
          { id: 'a', plan: 'basic' },
        ],
      },
      /appears twice/,
    ],
    [{ version: 1, tenants: [{ id: 'a', plan: 'basic', extra: 1 }] }, /Unrecognized key/],
    [{ version: 1, tenants: [] }, /needs `tenants` or `generate`/],
    [{ version: 2, tenants: [{ id: 'a', plan: 'basic' }] }, /version/],
    [{ version: 1, generate: { count: 5, planMix: { gold: 1 } } }, /plan "gold"/],
  ])('rejects %j', (doc, msg) => {
    expect(() => parsePopulation(doc, spec, 'pop.yaml')).toThrow(HarnessError);
    expect(() => parsePopulation(doc, spec, 'pop.yaml')).toThrow(msg);
  });

  it('a file that is not YAML or not there is an exit-2 error naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pop-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'tenants: [\n');
    expect(() => loadPopulation(bad, spec)).toThrow(/bad\.yaml: not valid YAML/);
    expect(() => loadPopulation(join(dir, 'missing.yaml'), spec)).toThrow(/cannot read population file/);
  });
});
