import { describe, it, expect } from 'vitest';
import { HarnessError } from '../../src/errors.js';
import { readYamlFile } from '../../src/read-yaml.js';
import { clusterLayout, DEFAULT_SPEC_PATH, loadSpec, parseSpec, RESERVED_DIRECTIVES } from '../../src/spec/index.js';
import { BRIEF_LATENCY_CEILING_MS } from '../../src/spec/rules.js';

// The fixture as the untyped YAML document it is; each test mutates its own deep copy, often into a shape
// the spec type forbids (that is what these tests feed the validator), so it stays `any` here.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call -- see above */
type Doc = Record<string, any>;
const fixture = readYamlFile(DEFAULT_SPEC_PATH) as Doc;
const mutated = (mutate: (d: Doc) => void): Doc => {
  const d = structuredClone(fixture);
  mutate(d);
  return d;
};

/** The HarnessError message parseSpec throws for `doc`; fails the test if it does not throw one. */
function specError(doc: unknown): string {
  try {
    parseSpec(doc);
  } catch (err) {
    expect(err).toBeInstanceOf(HarnessError);
    return (err as HarnessError).message;
  }
  throw new Error('parseSpec accepted an invalid spec');
}

describe('loadSpec', () => {
  it('loads the default fixture', () => {
    const spec = loadSpec();
    expect(spec.name).toBe('kryonix');
    expect(spec.topology.masters.map((m) => m.name)).toEqual(['redis-1', 'redis-2', 'redis-3']);
    expect(spec.topology.replicas.map((r) => r.of)).toEqual(['redis-1', 'redis-2', 'redis-3']);
    expect(Object.keys(spec.modules)).toHaveLength(8);
    expect(Object.keys(spec.plans).sort()).toEqual(['basic', 'enterprise', 'pro']);
  });

  it('fails with a HarnessError for a missing file', () => {
    expect(() => loadSpec('/nonexistent/spec.yaml')).toThrow(HarnessError);
  });

  it('accepts the unmodified parsed fixture', () => {
    expect(parseSpec(structuredClone(fixture)).plans.enterprise?.modules).toHaveLength(8);
  });

  it('accepts equal p99 and p99.9 limits at the 200 ms ceiling (the loosest valid SLO)', () => {
    const at = { p99Ms: BRIEF_LATENCY_CEILING_MS, p999Ms: BRIEF_LATENCY_CEILING_MS };
    expect(
      parseSpec(
        mutated((d) => {
          d.slo = { mobile: at, web: at };
        }),
      ).slo.web,
    ).toEqual(at);
  });

  it("ships a coherent SLO: p99 <= p99.9 per channel, mobile stricter than web, all under the brief's 200 ms", () => {
    const { mobile, web } = loadSpec().slo;
    for (const s of [mobile, web]) {
      expect(s.p99Ms).toBeLessThanOrEqual(s.p999Ms);
      expect(s.p999Ms).toBeLessThanOrEqual(BRIEF_LATENCY_CEILING_MS);
    }
    expect(mobile.p99Ms).toBeLessThan(web.p99Ms);
    expect(mobile.p999Ms).toBeLessThan(web.p999Ms);
  });
});

describe('parseSpec rejects', () => {
  it('a missing field, naming it', () => {
    const msg = specError(
      mutated((d) => {
        delete d.slo;
      }),
    );
    expect(msg).toMatch(/^\s+slo: .*expected object/m);
  });

  it('a field of the wrong type', () => {
    const msg = specError(
      mutated((d) => {
        d.plans.basic.maxKeys = 'many';
      }),
    );
    expect(msg).toMatch(/plans\.basic\.maxKeys: .*expected number/);
  });

  it('a plan module that is not in the module map', () => {
    const msg = specError(
      mutated((d) => {
        d.plans.pro.modules.push('billing');
      }),
    );
    expect(msg).toContain('plans.pro.modules[5]: module "billing" is not in the module map');
  });

  it('a module shard that is not a master', () => {
    const msg = specError(
      mutated((d) => {
        d.modules.crm.shard = 'redis-4';
      }),
    );
    expect(msg).toContain('modules.crm.shard: "redis-4" is not a master');
  });

  it('overlapping slot ranges', () => {
    const msg = specError(
      mutated((d) => {
        d.topology.masters[1].slots = [[5000, 10922]];
      }),
    );
    expect(msg).toContain('topology.masters[1].slots[0]: slot 5000 is already assigned to redis-1');
  });

  it('an overlap without also reporting the rest of that range as unassigned', () => {
    // 5461-10922 are all redis-2's: only the overlap is wrong.
    const msg = specError(
      mutated((d) => {
        d.topology.masters[1].slots = [[5000, 10922]];
      }),
    );
    expect(msg).not.toContain('not assigned');
  });

  it('missing slots, listing the gap', () => {
    const msg = specError(
      mutated((d) => {
        d.topology.masters[2].slots = [[10923, 15999]];
      }),
    );
    expect(msg).toContain('topology.masters: slots 16000-16383 are not assigned');
  });

  it('several gaps, single slots and ranges alike', () => {
    const msg = specError(
      mutated((d) => {
        d.topology.masters[0].slots = [[1, 5459]];
      }),
    );
    expect(msg).toContain('slots 0, 5460 are not assigned');
  });

  it('a replica of an unknown master', () => {
    const msg = specError(
      mutated((d) => {
        d.topology.replicas[0].of = 'redis-9';
      }),
    );
    expect(msg).toContain('topology.replicas[0].of: "redis-9" is not a master');
  });

  it('duplicate node names', () => {
    const msg = specError(
      mutated((d) => {
        d.topology.replicas[2].name = 'redis-2';
      }),
    );
    expect(msg).toContain('topology.replicas[2].name: node name "redis-2" is used twice');
  });

  it('a TTL class whose mobile TTL exceeds the web TTL', () => {
    const msg = specError(
      mutated((d) => {
        d.ttlClasses.syncData = { mobile: 2000, web: 1800 };
      }),
    );
    expect(msg).toContain('ttlClasses.syncData: mobile TTL (2000s) must be <= web TTL (1800s)');
  });

  it('a channel SLO whose p99.9 limit is below its p99 limit (the old shipped slo: p99 200 ms, p99.9 10 ms)', () => {
    const msg = specError(
      mutated((d) => {
        d.slo.web = { p99Ms: 200, p999Ms: 10 };
      }),
    );
    expect(msg).toContain('slo.web.p999Ms: p99.9 limit (10 ms) must be >= the p99 limit (200 ms)');
    expect(msg).not.toContain('slo.mobile');
  });

  it("an SLO limit above the brief's 200 ms, on either channel and percentile", () => {
    const msg = specError(
      mutated((d) => {
        d.slo.mobile.p999Ms = 250;
        d.slo.web = { p99Ms: 201, p999Ms: 300 };
      }),
    );
    expect(msg).toContain("slo.mobile.p999Ms: 250 ms is above the platform brief's 200 ms");
    expect(msg).toContain('slo.web.p99Ms: 201 ms is above');
    expect(msg).toContain('slo.web.p999Ms: 300 ms is above');
    expect(msg).not.toContain('slo.mobile.p99Ms');
  });

  it('an unknown TTL class', () => {
    const msg = specError(
      mutated((d) => {
        d.modules.portal.dataTypes.courses = 'videoCache';
      }),
    );
    expect(msg).toContain('modules.portal.dataTypes.courses: TTL class "videoCache" is not defined in ttlClasses');
  });

  it('an unknown top-level key (strict object)', () => {
    const msg = specError(
      mutated((d) => {
        d.shards = 3;
      }),
    );
    expect(msg).toMatch(/shards/);
  });

  it('every broken field at once', () => {
    const msg = specError(
      mutated((d) => {
        d.modules.crm.shard = 'redis-4';
        d.topology.replicas[0].of = 'redis-9';
      }),
    );
    expect(msg).toContain('modules.crm.shard');
    expect(msg).toContain('topology.replicas[0].of');
  });
});

describe('parseSpec closes config injection (issue 10)', () => {
  it('a newline in a redis: value, which would inject a directive into every node', () => {
    const msg = specError(
      mutated((d) => {
        d.redis.loglevel = 'notice\nenable-debug-command yes';
      }),
    );
    expect(msg).toContain('redis.loglevel: the value "notice\\nenable-debug-command yes" holds a control character');
  });

  it('a control character anywhere: a list item, a nested value, a top-level string, a key', () => {
    const msg = specError(
      mutated((d) => {
        d.redis.save[1] = '60 1000\r';
        d.plans.basic.modules[0] = 'crm\t';
        d.description = 'two\nlines';
        d.redis['maxmemory\u0000'] = 1;
      }),
    );
    expect(msg).toContain('redis.save[1]: the value "60 1000\\r" holds a control character');
    expect(msg).toContain('plans.basic.modules[0]: the value "crm\\t" holds a control character');
    expect(msg).toContain('description: the value "two\\nlines" holds a control character');
    expect(msg).toContain('redis.maxmemory\u0000: the key "maxmemory\\u0000" holds a control character');
  });

  it('a control character even when the schema fails too (checked on the raw document)', () => {
    const msg = specError(
      mutated((d) => {
        delete d.slo;
        d.redis.loglevel = 'notice\nrequirepass ""';
      }),
    );
    expect(msg).toMatch(/^\s+slo: /m);
    expect(msg).toContain('redis.loglevel: the value');
  });

  it('each reserved directive in the redis: section, the security ones included', () => {
    const msg = specError(
      mutated((d) => {
        for (const k of RESERVED_DIRECTIVES.keys()) d.redis[k] = 'yes';
      }),
    );
    for (const k of RESERVED_DIRECTIVES.keys()) expect(msg).toContain(`redis.${k}: "${k}" is reserved`);
    expect(msg).toContain('redis.bind: "bind" is reserved (set from security.bind (loopback only)); remove it from the redis: section');
  });

  it('reserves at least the directives issue 10 names', () => {
    const named = [
      'bind',
      'protected-mode',
      'port',
      'requirepass',
      'masterauth',
      'masteruser',
      'aclfile',
      'dir',
      'dbfilename',
      'appenddirname',
    ];
    named.push('logfile', 'pidfile', 'cluster-enabled', 'cluster-config-file', 'cluster-port', 'include', 'rename-command');
    named.push('enable-debug-command', 'enable-module-command', 'enable-protected-configs', 'loadmodule', 'user');
    expect(named.filter((d) => !RESERVED_DIRECTIVES.has(d))).toEqual([]);
  });

  it('a topology host or bind address that is not loopback', () => {
    const msg = specError(
      mutated((d) => {
        d.topology.host = '0.0.0.0';
        d.security.bind = ['127.0.0.1', '10.0.0.5'];
      }),
    );
    expect(msg).toContain('topology.host: "0.0.0.0" is not a loopback address');
    expect(msg).toContain('security.bind[1]: "10.0.0.5" is not a loopback address');
    expect(msg).not.toContain('security.bind[0]');
  });

  it('accepts every loopback form isLoopbackHost accepts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) {
      const spec = parseSpec(
        mutated((d) => {
          d.topology.host = host;
          d.security.bind = [host];
        }),
      );
      expect(spec.topology.host).toBe(host);
    }
  });

  it('a client-query-buffer-limit below proto-max-bulk-len, also against Redis defaults', () => {
    const below = specError(
      mutated((d) => {
        d.redis['client-query-buffer-limit'] = '4mb';
      }),
    );
    expect(below).toContain('redis.client-query-buffer-limit: 4194304 bytes is below proto-max-bulk-len (8388608 bytes)');
    const againstDefault = specError(
      mutated((d) => {
        delete d.redis['client-query-buffer-limit'];
        d.redis['proto-max-bulk-len'] = '2gb'; // the default query buffer limit is 1gb
      }),
    );
    expect(againstDefault).toContain('redis.client-query-buffer-limit: 1073741824 bytes is below proto-max-bulk-len (2147483648 bytes)');
    const neither = mutated((d) => {
      delete d.redis['client-query-buffer-limit'];
      delete d.redis['proto-max-bulk-len'];
    });
    expect(Object.keys(parseSpec(neither).redis)).not.toContain('proto-max-bulk-len');
  });

  it('a value the config suite cannot compare: a bad size, a list for a size, a bad output buffer class', () => {
    const msg = specError(
      mutated((d) => {
        d.redis['proto-max-bulk-len'] = 'lots';
        d.redis.maxmemory = ['1gb', '2gb'];
        d.redis['client-output-buffer-limit'] = ['normal 64mb 16mb 60', 'tenant 1mb 1mb 1'];
      }),
    );
    expect(msg).toContain('redis.proto-max-bulk-len: not a memory size: "lots"');
    expect(msg).toContain('redis.maxmemory: maxmemory is one memory size, not a list');
    expect(msg).toContain('redis.client-output-buffer-limit: client-output-buffer-limit: unknown class "tenant"');
  });
});

describe('isolation.blastRadius (the blast-radius suite limits)', () => {
  it("reads the fixture's explicit limits", () => {
    expect(loadSpec().isolation.blastRadius).toEqual({ victimP999Ms: 50, victimErrors: 0, victimKeysLost: 0, failOnUnenforceable: false });
  });

  it('defaults every limit when the section or a field is missing', () => {
    const none = parseSpec(
      mutated((d) => {
        delete d.isolation;
      }),
    );
    expect(none.isolation.blastRadius).toEqual({ victimP999Ms: 50, victimErrors: 0, victimKeysLost: 0, failOnUnenforceable: false });
    const partial = parseSpec(
      mutated((d) => {
        d.isolation = { blastRadius: { victimP999Ms: 20, failOnUnenforceable: true } };
      }),
    );
    expect(partial.isolation.blastRadius).toEqual({ victimP999Ms: 20, victimErrors: 0, victimKeysLost: 0, failOnUnenforceable: true });
  });

  it('rejects a non-positive latency, a negative or fractional count and an unknown field, naming each', () => {
    const msg = specError(
      mutated((d) => {
        d.isolation = {
          blastRadius: { victimP999Ms: 0, victimErrors: -1, victimKeysLost: 0.5, victimP99Ms: 10, failOnUnenforceable: 'yes' },
        };
      }),
    );
    expect(msg).toContain('isolation.blastRadius.failOnUnenforceable');
    expect(msg).toContain('isolation.blastRadius.victimP999Ms');
    expect(msg).toContain('isolation.blastRadius.victimErrors');
    expect(msg).toContain('isolation.blastRadius.victimKeysLost');
    expect(msg).toContain('victimP99Ms');
  });
});

describe('failover (the failover suite and rolling restart limits)', () => {
  it("reads the fixture's explicit limits", () => {
    expect(loadSpec().failover).toEqual({ maxWindowMs: 10_000, rollingRestartMaxFailedOps: 0 });
  });

  it('defaults every limit when the section or a field is missing', () => {
    const none = parseSpec(
      mutated((d) => {
        delete d.failover;
      }),
    );
    expect(none.failover).toEqual({ maxWindowMs: 10_000, rollingRestartMaxFailedOps: 0 });
    const partial = parseSpec(
      mutated((d) => {
        d.failover = { rollingRestartMaxFailedOps: 3 };
      }),
    );
    expect(partial.failover).toEqual({ maxWindowMs: 10_000, rollingRestartMaxFailedOps: 3 });
  });

  it('rejects a non-positive window, a negative or fractional count and an unknown field, naming each', () => {
    const msg = specError(
      mutated((d) => {
        d.failover = { maxWindowMs: 0, rollingRestartMaxFailedOps: 0.5, maxWindowSeconds: 10 };
      }),
    );
    expect(msg).toContain('failover.maxWindowMs');
    expect(msg).toContain('failover.rollingRestartMaxFailedOps');
    expect(msg).toContain('maxWindowSeconds');
  });
});

describe('clusterLayout', () => {
  const layout = clusterLayout(loadSpec(), 7601);

  it('gives masters then replicas consecutive ports from the base', () => {
    expect(layout.map((n) => n.port)).toEqual([7601, 7602, 7603, 7604, 7605, 7606]);
    expect(layout.map((n) => n.role)).toEqual(['master', 'master', 'master', 'replica', 'replica', 'replica']);
    expect(layout.map((n) => n.index)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('pairs the 4th node with redis-1, the 5th with redis-2, the 6th with redis-3', () => {
    expect(layout.slice(3).map((n) => [n.name, n.replicaOf])).toEqual([
      ['redis-4', 'redis-1'],
      ['redis-5', 'redis-2'],
      ['redis-6', 'redis-3'],
    ]);
  });

  it('gives masters their slot ranges and replicas none', () => {
    expect(layout.slice(0, 3).map((n) => n.slots)).toEqual([[[0, 5460]], [[5461, 10922]], [[10923, 16383]]]);
    expect(layout.slice(3).every((n) => n.slots.length === 0 && n.replicaOf !== undefined)).toBe(true);
    expect(layout.slice(0, 3).every((n) => n.replicaOf === undefined)).toBe(true);
  });
});

describe('regression (the thresholds of compare and gate --baseline)', () => {
  const DEFAULTS = {
    p50: 25,
    p99: 25,
    p99_9: 50,
    throughput: -10,
    errorRate: 0.1,
    alpha: 0.01,
    floorUs: { p50: 50, p99: 150, p99_9: 1000 },
  };
  it('reads the fixture, and defaults the section and each field', () => {
    expect(loadSpec().regression).toEqual(DEFAULTS);
    expect(
      parseSpec(
        mutated((d) => {
          delete d.regression;
        }),
      ).regression,
    ).toEqual(DEFAULTS);
    expect(
      parseSpec(
        mutated((d) => {
          d.regression = { p99: 40 };
        }),
      ).regression,
    ).toEqual({ ...DEFAULTS, p99: 40 });
  });

  it('rejects a throughput threshold that is not a drop, a non-positive latency one, alpha out of range and unknown fields', () => {
    const msg = specError(
      mutated((d) => {
        d.regression = { throughput: 10, p99: 0, alpha: 0.7, p95: 10 };
      }),
    );
    for (const field of ['regression.throughput', 'regression.p99', 'regression.alpha', 'p95']) expect(msg).toContain(field);
  });
});
