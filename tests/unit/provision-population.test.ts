import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { describeError, HarnessError } from '../../src/errors.js';
import { generatePopulation, loadPopulation, parsePopulation, POPULATION_LIMITS, weightedRoundRobin } from '../../src/provision/index.js';
import { DEFAULT_SPEC_PATH, loadSpec } from '../../src/spec/index.js';
import { runProgram } from '../support/cli.js';

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
    [{ version: 1, generate: { count: 5, planMix: { gold: 1 } } }, /generate\.planMix\.gold: plan "gold" is not in the spec/],
    [{ version: 1, generate: { count: 5, planMix: { basic: 0, pro: 0 } } }, /generate\.planMix: no plan has a weight above 0/],
    [
      { version: 1, tenants: [{ id: 't000002', plan: 'basic' }], generate: { count: 3 } },
      /generated id "t000002" is also listed at tenants\.0/,
    ],
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

  it('lists every problem of the file in one error, each with its entry index and field', () => {
    const doc = {
      version: 1,
      tenants: [
        { id: 'ok-1', plan: 'basic' },
        { id: 'a b', plan: 'basic' },
        { id: 'ok-2', plan: 'gold', channel: 'tv' },
        { id: 'ok-1', plan: 'pro' },
      ],
    };
    let err: unknown;
    try {
      parsePopulation(doc, spec, 'pop.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).message).toBe(
      [
        'pop.yaml: invalid population (4 problem(s); nothing was provisioned)',
        '  tenants.1.id: tenant id must match ^[A-Za-z0-9_-]{1,64}$',
        '  tenants.2.plan: plan "gold" is not in the spec; known plans: basic, pro, enterprise',
        '  tenants.2.channel: Invalid option: expected one of "mobile"|"web"',
        '  tenants.3.id: tenant id "ok-1" appears twice (first at tenants.0)',
      ].join('\n'),
    );
  });

  it('a long list of problems is cut at 50 lines and counted', () => {
    const tenants = Array.from({ length: 120 }, (_, i) => ({ id: `t${i}`, plan: 'gold' }));
    expect(() => parsePopulation({ version: 1, tenants }, spec, 'pop.yaml')).toThrow(
      /\(120 problem\(s\);[^]*tenants\.49\.plan[^]*\.\.\. and 70 more$/,
    );
  });

  it(`refuses more than ${POPULATION_LIMITS.tenants} tenants per file (listed + generated), naming the limit and the fix`, () => {
    const over = { version: 1, tenants: [{ id: 'a', plan: 'basic' }], generate: { count: POPULATION_LIMITS.tenants } };
    expect(() => parsePopulation(over, spec, 'pop.yaml')).toThrow(
      `pop.yaml: ${POPULATION_LIMITS.tenants + 1} tenants (1 listed + ${POPULATION_LIMITS.tenants} generated) is over the limit of ${POPULATION_LIMITS.tenants} per file`,
    );
    const listed = Array.from({ length: POPULATION_LIMITS.tenants + 1 }, () => ({ id: 'x', plan: 'basic' }));
    expect(() => parsePopulation({ version: 1, tenants: listed }, spec, 'pop.yaml')).toThrow(/is over the limit of 100000 per file/);
    expect(() => parsePopulation({ version: 1, generate: { count: POPULATION_LIMITS.tenants + 1 } }, spec, 'pop.yaml')).toThrow(
      /generate\.count/,
    );
  });

  it(`refuses a file over ${POPULATION_LIMITS.bytes} bytes before reading it, with the limit and the fix`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'pop-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const big = join(dir, 'big.yaml');
    // Valid YAML would parse; this is not YAML at all, so only the size check can give this message.
    writeFileSync(big, Buffer.alloc(POPULATION_LIMITS.bytes + 1, '['));
    let err: unknown;
    try {
      loadPopulation(big, spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).message).toMatch(
      /big\.yaml: 8\.0 MiB is over the population file limit of 8 MiB .*it was not read and nothing was provisioned/,
    );
    expect((err as HarnessError).hint).toMatch(/use `generate:`.*or split the file/);
    // At the limit exactly, the file is read and parsed: a comment-only document is null.
    writeFileSync(big, `#${'x'.repeat(POPULATION_LIMITS.bytes - 1)}`);
    expect(() => loadPopulation(big, spec)).toThrow(
      /big\.yaml: invalid population[^]*\(root\): Invalid input: expected object, received null/,
    );
  });

  it('provision with a planMix of zero weights: exit-2 error with the field, no stack (through the CLI program)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pop-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'zero.yaml');
    writeFileSync(file, 'version: 1\ngenerate: { count: 3, planMix: { basic: 0 } }\n');
    // Fails while reading the file, before any connection: no cluster is needed on this port base.
    const r = await runProgram(['provision', '--from', file, '--json', '--port-base', '7797']);
    expect(r.error).toBeInstanceOf(HarnessError);
    const text = describeError(r.error);
    expect(text).toMatch(/generate\.planMix: no plan has a weight above 0/);
    expect(text).not.toMatch(/\n\s+at /);
  });
});
