import { Histogram, Registry } from 'prom-client';
import { loadSpec } from '../../src/spec/index.js';
import { parseModule, parseTenantId, placeTenantModule, probeKeyOf, slotOf } from '../../src/tenancy/index.js';
import { describe, expect, it } from 'vitest';
import {
  channelOfName,
  HistogramSeries,
  LATENCY_BUCKETS,
  mobileConnectionPercent,
  NodeMetrics,
  parseClientList,
  parseNodeSignals,
  probeRound,
  ProbeRotation,
  probeTargets,
  probeUserAclArgs,
  SERVED_METRIC_LIST,
  tenantConnections,
  TenantMetrics,
  type ProbeSample,
  type ProbeTarget,
  type UsageSnapshot,
} from '../../src/metrics/index.js';

// Captured from redis-server 7.0.15 (fields trimmed to a few per line; the parser reads user= and name= only).
const CLIENT_LIST = [
  'id=5 addr=127.0.0.1:50001 laddr=127.0.0.1:12001 fd=9 name=acme:crm:mobile age=3 idle=0 flags=N db=0 user=tenant-acme redir=-1 resp=2',
  'id=6 addr=127.0.0.1:50002 laddr=127.0.0.1:12001 fd=10 name=acme:crm:mobile age=3 idle=0 flags=N db=0 user=tenant-acme redir=-1 resp=2',
  'id=7 addr=127.0.0.1:50003 laddr=127.0.0.1:12001 fd=11 name=acme:whatsapp:web age=3 idle=0 flags=N db=0 user=tenant-acme redir=-1 resp=2',
  // no name (SETNAME refused or never sent), a name claiming another tenant, an unknown channel
  'id=8 addr=127.0.0.1:50004 laddr=127.0.0.1:12001 fd=12 name= age=3 idle=0 flags=N db=0 user=tenant-acme redir=-1 resp=2',
  'id=9 addr=127.0.0.1:50005 laddr=127.0.0.1:12001 fd=13 name=acme:crm:mobile age=3 idle=0 flags=N db=0 user=tenant-evil redir=-1 resp=2',
  'id=10 addr=127.0.0.1:50006 laddr=127.0.0.1:12001 fd=14 name=web:crm:tablet age=3 idle=0 flags=N db=0 user=tenant-web redir=-1 resp=2',
  // admin, a replication link, the probe: not tenants
  'id=11 addr=127.0.0.1:50007 laddr=127.0.0.1:12001 fd=15 name= age=3 idle=0 flags=N db=0 user=admin redir=-1 resp=2',
  'id=12 addr=127.0.0.1:50008 laddr=127.0.0.1:12001 fd=16 name= age=3 idle=0 flags=S db=0 user=default redir=-1 resp=2',
  'id=13 addr=127.0.0.1:50009 laddr=127.0.0.1:12001 fd=17 name= age=3 idle=0 flags=N db=0 user=cache-harness-probe redir=-1 resp=2',
  '',
].join('\n');

describe('CLIENT LIST → connections per tenant and channel', () => {
  it('tenant from user=, channel from a valid name of that tenant, else unknown; other users left out', () => {
    const entries = parseClientList(CLIENT_LIST);
    expect(entries).toHaveLength(9);
    expect(entries[0]).toEqual({ user: 'tenant-acme', name: 'acme:crm:mobile' });
    expect(tenantConnections(entries)).toEqual([
      { tenant: 'acme', channel: 'mobile', connections: 2 },
      { tenant: 'acme', channel: 'unknown', connections: 1 },
      { tenant: 'acme', channel: 'web', connections: 1 },
      { tenant: 'evil', channel: 'unknown', connections: 1 },
      { tenant: 'web', channel: 'unknown', connections: 1 },
    ]);
    expect(channelOfName('acme:crm:web', 'acme')).toBe('web');
    expect(channelOfName('acme:crm:web:x', 'acme')).toBe('unknown');
    expect(channelOfName('', 'acme')).toBe('unknown');
  });

  it('mobile ratio: mobile connections over all of the tenant’s connections, in percent', () => {
    const r = mobileConnectionPercent(tenantConnections(parseClientList(CLIENT_LIST)));
    expect(r.get('acme')).toBe(50);
    expect(r.get('evil')).toBe(0);
    expect(r.has('admin')).toBe(false);
  });
});

// INFO server clients memory stats replication of a master with one replica (trimmed), and of a replica.
const MASTER_INFO = [
  '# Server',
  'redis_version:7.0.15',
  '# Clients',
  'connected_clients:12',
  'maxclients:4000',
  'blocked_clients:1',
  '# Memory',
  'used_memory:2097152',
  'maxmemory:2147483648',
  '# Stats',
  'total_commands_processed:9001',
  'evicted_keys:7',
  '# Replication',
  'role:master',
  'connected_slaves:1',
  'slave0:ip=127.0.0.1,port=12004,state=online,offset=1000,lag=0',
  'master_repl_offset:1500',
].join('\r\n');
const REPLICA_INFO = ['redis_version:7.0.15', 'role:slave', 'master_link_status:down', 'used_memory:100'].join('\r\n');

describe('per-node signals', () => {
  it('INFO and LATENCY LATEST parsed; the replica offset lag from its master', () => {
    const s = parseNodeSignals(MASTER_INFO, [['command', 1_700_000_000, 250, 300], ['bad']]);
    expect(s).toMatchObject({
      role: 'master',
      version: '7.0.15',
      usedMemoryBytes: 2_097_152,
      maxMemoryBytes: 2_147_483_648,
      evictedKeys: 7,
      blockedClients: 1,
      connectedClients: 12,
      maxClients: 4000,
      commandsProcessed: 9001,
      masterLinkUp: null,
      replicaOffsetLag: [{ replica: '127.0.0.1:12004', bytes: 500 }],
      latencyEvents: [{ event: 'command', lastAt: 1_700_000_000, latestMs: 250 }],
    });
    expect(parseNodeSignals(REPLICA_INFO, [])).toMatchObject({ role: 'replica', masterLinkUp: false, maxClients: null });
  });

  it('NodeMetrics: a node label per node, redis_up 0 for a node that could not be read, the lag on the replica', async () => {
    const registry = new Registry();
    const n = new NodeMetrics(registry);
    n.apply([
      { node: '127.0.0.1:12001', signals: parseNodeSignals(MASTER_INFO, [['command', 1_700_000_000, 250, 300]]) },
      { node: '127.0.0.1:12004', signals: parseNodeSignals(REPLICA_INFO, []) },
      { node: '127.0.0.1:12002', signals: null },
    ]);
    const text = await registry.metrics();
    expect(text).toContain('redis_up{node="127.0.0.1:12001"} 1');
    expect(text).toContain('redis_up{node="127.0.0.1:12002"} 0');
    expect(text).toContain('redis_memory_used_bytes{node="127.0.0.1:12001"} 2097152');
    expect(text).toContain('redis_evicted_keys_total{node="127.0.0.1:12001"} 7');
    expect(text).toContain('redis_config_maxclients{node="127.0.0.1:12001"} 4000');
    expect(text).toContain('redis_master_link_up{node="127.0.0.1:12004"} 0');
    expect(text).toContain('redis_replica_offset_lag_bytes{node="127.0.0.1:12004"} 500');
    expect(text).toContain('redis_latency_spike_duration_seconds{node="127.0.0.1:12001",event_name="command"} 0.25');
    expect(text).toContain('redis_instance_info{node="127.0.0.1:12004",role="replica",redis_version="7.0.15"} 1');
    expect(text).not.toContain('redis_memory_used_bytes{node="127.0.0.1:12002"}');
    // counters mirror the node's total: a second read replaces, never adds
    n.apply([{ node: '127.0.0.1:12001', signals: parseNodeSignals(MASTER_INFO, []) }]);
    const again = await registry.metrics();
    expect(again).toContain('redis_evicted_keys_total{node="127.0.0.1:12001"} 7');
    expect(again).not.toContain('127.0.0.1:12002');
  });
});

describe('the served metrics list', () => {
  it('is exactly what the exporter serves: every name once with its type, every sample with its labels', async () => {
    const m = new TenantMetrics();
    const nodes = new NodeMetrics(m.registry);
    // every series populated once
    m.applyUsage({
      takenAt: new Date().toISOString(),
      durationMs: 1,
      masters: [],
      keysScanned: 1,
      tenants: [],
      quotaKeys: 0,
      metaKeys: 0,
      otherKeys: 0,
      malformedKeys: 0,
      tenantModules: [
        {
          tenant: 'a',
          module: 'crm',
          plan: 'basic',
          inPlan: true,
          placementTag: 'x',
          keys: 1,
          bytesEstimate: 1,
          sampledKeys: 1,
          keysLimit: 10,
          memoryLimitBytes: 10,
          keysRatio: 0.1,
          memoryBytes: 1,
          memoryRatio: 0.1,
          quotaKeyBytes: 1,
          quotaEntries: 1,
          quotaEntriesRatio: 0.1,
        },
      ],
    });
    m.observeProbe({ target: target('a'), op: 'set', seconds: 2, error: 'Command timed out' });
    m.applyConnections([{ tenant: 'a', channel: 'web', connections: 1 }]);
    nodes.apply([
      { node: '127.0.0.1:12001', signals: parseNodeSignals(MASTER_INFO, [['command', 1, 2, 3]]) },
      { node: '127.0.0.1:12004', signals: parseNodeSignals(REPLICA_INFO, []) },
    ]);
    const text = await m.text();
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => ({ name, type }));
    const byName = (a: { name?: string }, b: { name?: string }) => (a.name ?? '').localeCompare(b.name ?? '');
    expect(types.sort(byName)).toEqual(SERVED_METRIC_LIST.map((d) => ({ name: d.name, type: d.type })).sort(byName));
    const defs = new Map(SERVED_METRIC_LIST.map((d) => [d.name, d]));
    const seen = new Set<string>();
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      const [, series = '', labels = ''] = /^([a-z_]+)(?:\{(.*)\})? \S+$/.exec(line) ?? [];
      const name = defs.has(series) ? series : series.replace(/_(bucket|sum|count)$/, '');
      const def = defs.get(name);
      expect(def, line).toBeDefined();
      const keys = [...labels.matchAll(/([a-z_]+)="/g)].map(([, k]) => k).filter((k) => k !== 'le');
      expect(keys, line).toEqual([...(def?.labels ?? [])]);
      seen.add(name);
    }
    // every metric had at least one sample (else its labels were not checked)
    expect(SERVED_METRIC_LIST.map((d) => d.name).filter((n) => !seen.has(n))).toEqual([]);
  });

  it('the per-tenant histogram text is what prom-client writes for the same observations', async () => {
    const registry = new Registry();
    const h = new Histogram({
      name: 'x_seconds',
      help: 'h',
      labelNames: ['client_id', 'module', 'plan'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    const labels = { client_id: 'a', module: 'crm', plan: 'basic' };
    const ours = new HistogramSeries('x_seconds', LATENCY_BUCKETS, labels);
    for (const v of [0.00005, 0.0004, 0.1, 0.1000001, 7, 0.3]) {
      h.observe(labels, v);
      ours.observe(v);
    }
    const theirs = (await registry.metrics()).split('\n').filter((l) => l.startsWith('x_seconds_'));
    expect(ours.render().trimEnd().split('\n')).toEqual(theirs);
  });
});

const target = (tenant: string): ProbeTarget => ({ tenant, module: 'crm', plan: 'basic', key: `cache-harness-probe:${tenant}:crm:{x}` });

describe('the latency probe', () => {
  it('targets: modules in a provisioned tenant’s plan with a tagged placement, key in the tenant-module’s slot', () => {
    const row = {
      keys: 0,
      bytesEstimate: 0,
      sampledKeys: 0,
      memoryBytes: 0,
      quotaKeyBytes: null,
      quotaEntries: null,
      quotaEntriesRatio: null,
    };
    const lim = { keysLimit: 1, memoryLimitBytes: 1, keysRatio: 0, memoryRatio: 0 };
    const s = {
      tenantModules: [
        { ...row, ...lim, tenant: 'a', module: 'crm', plan: 'basic', inPlan: true, placementTag: '1x' },
        { ...row, ...lim, tenant: 'a', module: 'unknown', plan: 'basic', inPlan: false, placementTag: null },
        { ...row, ...lim, tenant: 'ghost', module: 'crm', plan: null, inPlan: false, placementTag: null },
        { ...row, ...lim, tenant: 'seed', module: 'crm', plan: 'basic', inPlan: true, placementTag: null },
      ],
    } as unknown as UsageSnapshot;
    expect(probeTargets(s)).toEqual([{ tenant: 'a', module: 'crm', plan: 'basic', key: 'cache-harness-probe:a:crm:{1x}' }]);
  });

  it('the probe key lands in the tenant-module’s slot, outside the tenant’s keys', () => {
    const spec = loadSpec();
    for (const [id, m] of [
      ['acme', 'crm'],
      ['t000042', 'analytics'],
      ['x', 'whitelabel'],
    ] as const) {
      const pl = placeTenantModule(spec, parseTenantId(id), parseModule(spec, m));
      if (pl.tag === null) throw new Error('the spec places with a tag');
      const key = probeKeyOf(parseTenantId(id), parseModule(spec, m), pl.tag);
      expect(slotOf(key)).toBe(pl.slot);
      expect(key.startsWith('cliente:')).toBe(false);
    }
  });

  it('rotation: at most n per round, every target once per ceil(targets / n) rounds, stable when targets change', () => {
    const r = new ProbeRotation();
    const all = ['a', 'b', 'c', 'd', 'e'].map(target);
    const keys = (xs: ProbeTarget[]) => xs.map((x) => x.tenant);
    expect(keys(r.next(all, 2))).toEqual(['a', 'b']);
    expect(keys(r.next(all, 2))).toEqual(['c', 'd']);
    expect(keys(r.next(all, 2))).toEqual(['e', 'a']);
    // 'b' removed, 'bb' added: the rotation goes on after 'a'
    const changed = ['a', 'bb', 'c', 'd', 'e'].map(target);
    expect(keys(r.next(changed, 2))).toEqual(['bb', 'c']);
    expect(keys(new ProbeRotation().next(all.slice(0, 2), 5))).toEqual(['a', 'b']);
  });

  it('a round: SET with a TTL then GET per target, bounded concurrency; a failed op is observed and counted', async () => {
    let inFlight = 0;
    let peak = 0;
    const calls: unknown[][] = [];
    const op = (fail: boolean) => async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (fail) throw new Error('Command timed out');
      return 'OK';
    };
    const client = {
      set: (...args: unknown[]) => {
        calls.push(['set', ...args]);
        return op(args[0] === 'cache-harness-probe:slow:crm:{x}')();
      },
      get: (...args: unknown[]) => {
        calls.push(['get', ...args]);
        return op(false)();
      },
    };
    const samples: ProbeSample[] = [];
    const targets = ['a', 'b', 'c', 'slow', 'e'].map(target);
    const r = await probeRound(client as never, targets, 12, { concurrency: 2, keyTtlMs: 60_000 }, (s) => samples.push(s));
    expect(peak).toBe(2);
    expect(calls[0]).toEqual(['set', 'cache-harness-probe:a:crm:{x}', '1', 'PX', 60_000]);
    expect(samples).toHaveLength(10);
    expect(r).toMatchObject({ probed: 5, targets: 12, errors: 1, firstError: 'slow/crm set: Command timed out' });
    expect(samples.find((s) => s.error)?.seconds).toBeGreaterThan(0.004);
  });

  it('the probe user: SET/GET on probe keys only, password as its hash', () => {
    const args = probeUserAclArgs('a'.repeat(64));
    expect(args).toContain('~cache-harness-probe:*');
    expect(args).toContain(`#${'a'.repeat(64)}`);
    expect(args).toContain('-@all');
    expect(args.filter((a) => a.startsWith('+'))).toEqual(['+get', '+set', '+ping', '+cluster|slots', '+cluster|info', '+readonly']);
  });
});
