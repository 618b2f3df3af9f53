import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  allKeys,
  buildOpTable,
  buildPopulation,
  buildWorkload,
  loadWorkload,
  CommandArena,
  encodeCommand,
  encodeCommands,
  KeyInterner,
  OP_GET,
  OP_SET,
  PROFILES,
  readKeys,
  referenceOpTable,
  REFERENCE_KEY_PREFIX,
  weightedSampler,
  zipfSampler,
  mulberry32,
} from '../../src/bench/index.js';
import { generatePopulation } from '../../src/provision/index.js';
import { loadSpec } from '../../src/spec/index.js';
import { shardSlots, slotOf, ttlSeconds, type Channel, type DataType, type ModuleName, CHANNELS } from '../../src/tenancy/index.js';

const spec = loadSpec();
const mobile = buildWorkload(spec, 'mobile');
const table = buildOpTable(spec, mobile, { size: 65536 });

const share = (pred: (i: number) => boolean) => {
  let n = 0;
  for (let i = 0; i < table.size; i++) if (pred(i)) n++;
  return n / table.size;
};

describe('workload profiles', () => {
  it('both built-in profiles validate against the spec', () => {
    for (const name of Object.keys(PROFILES) as Array<keyof typeof PROFILES>) expect(buildWorkload(spec, name).name).toBe(name);
  });

  it('a YAML document overrides parts of a profile, objects merging key by key', () => {
    const w = buildWorkload(spec, 'mobile', { channels: { web: 0.5 }, keys: { popularity: 'uniform' }, tenants: { count: 7 } });
    expect(w.channels).toEqual({ mobile: 0.8, web: 0.5 });
    expect(w.keys).toMatchObject({ popularity: 'uniform', perTenantModule: 500 });
    expect(w.tenants.count).toBe(7);
    expect(w.tenants.plans).toEqual(mobile.tenants.plans);
  });

  it('names what is wrong: unknown plan, module, data type, a bad field', () => {
    expect(() => buildWorkload(spec, 'mobile', { tenants: { plans: { gold: 1 } } })).toThrow(/plan "gold" is not in the spec/);
    expect(() => buildWorkload(spec, 'mobile', { modules: { erp: { weight: 1 } } })).toThrow(/"erp" is not in the spec/);
    expect(() => buildWorkload(spec, 'mobile', { modules: { crm: { dataTypes: { nope: 1 } } } })).toThrow(
      /"nope" is not a data type of crm/,
    );
    expect(() => buildWorkload(spec, 'mobile', { channel: { mobile: { readRatio: 2 } } })).toThrow(/channel\.mobile\.readRatio/);
    expect(() => buildWorkload(spec, 'mobile', { surprise: true })).toThrow(/invalid workload/);
  });

  it('a workload file is read like every YAML input: the error names the file and the fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'workload-'));
    try {
      const file = join(dir, 'w.yaml');
      expect(() => loadWorkload(spec, 'mobile', file)).toThrow(/cannot read workload file .*w\.yaml/);
      writeFileSync(file, 'channels: [\n');
      expect(() => loadWorkload(spec, 'mobile', file)).toThrow(/w\.yaml: not valid YAML/);
      writeFileSync(file, 'surprise: true\n');
      expect(() => loadWorkload(spec, 'mobile', file)).toThrow(/w\.yaml: invalid workload\n {2}\(root\): .*surprise/);
      writeFileSync(file, 'tenants: { count: 7 }\n');
      expect(loadWorkload(spec, 'mobile', file).tenants.count).toBe(7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('population', () => {
  it("splits tenants over plans by share (counts add up), from provisioning's generator (bench-000001...), with the plan's modules", () => {
    const pop = buildPopulation(spec, mobile);
    expect(pop).toHaveLength(30);
    const count = (p: string) => pop.filter((t) => t.plan === p).length;
    expect([count('basic'), count('pro'), count('enterprise')]).toEqual([18, 9, 3]);
    expect(pop.map((t) => t.id)).toEqual(
      generatePopulation({ count: 30, prefix: 'bench-', planMix: mobile.tenants.plans, webPercent: 0 }).map((t) => t.id),
    );
    expect(pop[0]?.id).toBe('bench-000001');
    expect(pop.find((t) => t.plan === 'enterprise')?.modules).toEqual(spec.plans.enterprise?.modules);
  });
});

describe('op table', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const again = buildOpTable(spec, mobile, { size: 65536 });
    expect(again.key.slice(0, 100)).toEqual(table.key.slice(0, 100));
    const other = buildOpTable(spec, mobile, { size: 65536, seed: 99 });
    expect(other.key.slice(0, 100)).not.toEqual(table.key.slice(0, 100));
  });

  it('follows the channel mix (80% mobile) and per-channel read ratios', () => {
    expect(share((i) => table.channel[i] === 0)).toBeCloseTo(0.8, 1);
    const readShare = (ch: number, excluded: string[]) => {
      let reads = 0;
      let all = 0;
      for (let i = 0; i < table.size; i++) {
        const tm = table.tenantModules[table.tm[i] ?? 0];
        if (table.channel[i] !== ch || !tm || excluded.includes(tm.module)) continue;
        all++;
        if (table.kind[i] === OP_GET) reads++;
      }
      return reads / all;
    };
    expect(readShare(0, ['whatsapp', 'analytics'])).toBeCloseTo(0.9, 1);
    expect(readShare(1, ['whatsapp', 'analytics'])).toBeCloseTo(0.75, 1);
  });

  it("weights tenants by plan activity: an enterprise tenant gets ~4x a basic tenant's ops", () => {
    const perTenant = new Map<string, number>();
    const planOf = new Map(table.tenantModules.map((tm) => [tm.tenant as string, tm.plan]));
    for (let i = 0; i < table.size; i++) {
      const t = table.tenantModules[table.tm[i] ?? 0]?.tenant ?? '';
      perTenant.set(t, (perTenant.get(t) ?? 0) + 1);
    }
    const avg = (plan: string) => {
      const xs = [...perTenant].filter(([t]) => planOf.get(t) === plan).map(([, n]) => n);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    expect(avg('enterprise') / avg('basic')).toBeGreaterThan(3.3);
    expect(avg('enterprise') / avg('basic')).toBeLessThan(4.7);
  });

  it("keys are tenancy keys, placed in a slot of the module's shard; the slot is the key's real CRC16 slot", () => {
    for (let i = 0; i < 2000; i++) {
      const tm = table.tenantModules[table.tm[i] ?? 0];
      if (!tm) throw new Error('no tm');
      const key = table.key[i] ?? '';
      expect(key.startsWith(`cliente:${tm.tenant}:${tm.module}:{`)).toBe(true);
      expect(table.slot[i]).toBe(slotOf(key));
      expect(shardSlots(spec, spec.modules[tm.module]?.shard ?? '').includes(table.slot[i] ?? -1)).toBe(true);
    }
  });

  it("the TTL is the spec's tier for (module, data type, channel)", () => {
    for (let i = 0; i < 2000; i++) {
      const tm = table.tenantModules[table.tm[i] ?? 0];
      const channel = CHANNELS[table.channel[i] ?? 0] as Channel;
      expect(table.ttl[i]).toBe(ttlSeconds(spec, tm?.module as ModuleName, table.dataType[i] as DataType, channel));
    }
  });

  it('zipf popularity concentrates on low ranks; uniform does not', () => {
    const rank0 = (t: typeof table) => t.userKey.filter((k) => k === 'k0').length / t.size;
    const uniform = buildOpTable(spec, buildWorkload(spec, 'mobile', { keys: { popularity: 'uniform' } }), { size: 65536 });
    expect(rank0(table)).toBeGreaterThan(0.1);
    expect(rank0(uniform)).toBeLessThan(0.01);
  });

  it('readKeys lists each read key once with a size and TTL; allKeys covers reads and writes', () => {
    const reads = readKeys(table);
    expect(new Set(reads.map((r) => r.key)).size).toBe(reads.length);
    expect(reads.every((r) => r.bytes > 0 && r.ttl > 0)).toBe(true);
    const all = new Set(allKeys(table));
    for (let i = 0; i < table.size; i++) if (table.kind[i] === OP_SET) expect(all.has(table.key[i] ?? '')).toBe(true);
  });
});

describe('reference workload (for the redis-benchmark comparison)', () => {
  it("the comparisons' reference table: one op, one value size, uniform keys spread over every shard, plain SET (no TTL)", () => {
    const t = referenceOpTable({ op: 'set', valueBytes: 256, keyspace: 100_000, size: 65536, seed: 3 });
    expect(t.kind.every((k) => k === OP_SET)).toBe(true);
    expect(t.valueSize.every((v) => v === 256)).toBe(true);
    expect(t.ttl.every((x) => x === 0)).toBe(true);
    expect(t.key.every((k) => k.startsWith(REFERENCE_KEY_PREFIX))).toBe(true);
    // Uniform over 100k keys: 65536 draws hit about 48k distinct keys; each third of the slot space gets a third of the ops.
    expect(new Set(t.key).size).toBeGreaterThan(40_000);
    const thirds = [0, 0, 0];
    for (const slot of t.slot) thirds[Math.min(2, Math.floor(slot / 5462))]! += 1;
    for (const n of thirds) expect(n / t.size).toBeCloseTo(1 / 3, 1);
    expect(referenceOpTable({ op: 'get', valueBytes: 1, keyspace: 10, size: 1024, seed: 1 }).kind.every((k) => k === OP_GET)).toBe(true);
  });
});

describe('CommandArena', () => {
  it('encodes each entry as the exact RESP command (GET; SET EX ttl; plain SET for TTL 0), copying into any position', () => {
    const t = buildOpTable(spec, mobile, { size: 1024 });
    const ref = referenceOpTable({ op: 'set', valueBytes: 300, keyspace: 50, size: 1024, seed: 2 });
    for (const table of [t, ref]) {
      const arena = encodeCommands(table);
      for (const i of [0, 1, 2, 17, 511, 1023]) {
        const key = table.key[i] ?? '';
        const value = Buffer.alloc(table.valueSize[i] ?? 0);
        const ttl = table.ttl[i] ?? 0;
        const args = table.kind[i] === OP_GET ? ['GET', key] : ttl > 0 ? ['SET', key, value, 'EX', ttl] : ['SET', key, value];
        const want = encodeCommand(args);
        const dst = Buffer.alloc(want.length + 7);
        expect(arena.length(i)).toBe(want.length);
        expect(arena.copy(i, dst, 7)).toBe(7 + want.length);
        // Values are generated bytes: compare everything but them.
        const got = dst.subarray(7);
        const valueAt = table.kind[i] === OP_GET ? -1 : want.indexOf(value);
        if (valueAt >= 0) got.fill(0, valueAt, valueAt + value.length);
        expect(got.equals(want)).toBe(true);
      }
      expect(CommandArena.attach(arena.share()).length(5)).toBe(arena.length(5));
    }
  });

  it('KeyInterner returns one copy per distinct key', () => {
    const k = new KeyInterner();
    const a = k.intern(['cliente', 'x', 'crm'].join(':'));
    expect(k.intern(`cliente:${'x'}:crm`)).toBe(a);
    expect(a).toBe('cliente:x:crm');
  });
});

describe('samplers', () => {
  it('weightedSampler follows the weights and never picks a zero weight', () => {
    const s = weightedSampler([1, 0, 3]);
    const rng = mulberry32(5);
    const counts = [0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[s.sample(rng)]! += 1;
    expect(counts[1]).toBe(0);
    expect((counts[2] ?? 0) / (counts[0] ?? 1)).toBeCloseTo(3, 0);
    expect(() => weightedSampler([0, 0])).toThrow(/sum to 0/);
  });

  it('zipfSampler rank 0 is about twice as likely as rank 1 at s=1', () => {
    const s = zipfSampler(100, 1);
    const rng = mulberry32(9);
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 100_000; i++) counts[s.sample(rng)]! += 1;
    expect((counts[0] ?? 0) / (counts[1] ?? 1)).toBeCloseTo(2, 0);
  });
});
