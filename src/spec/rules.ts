import { SLOT_COUNT, type SpecInput } from './schema.js';
import type { z } from 'zod';
import type { specSchema } from './schema.js';
import { isLoopbackHost } from '../cluster/address.js';
import { expectedConfigValue, memoryToBytes } from '../checks/normalize.js';
import { RESERVED_DIRECTIVES } from './reserved.js';
import { errorMessage } from '../errors.js';

type ParsedSpec = z.output<typeof specSchema>;

/** One broken cross-field rule: where in the spec, and what the rule is. */
export interface RuleViolation {
  path: string;
  message: string;
}

/** Cross-field rules zod cannot express per field: references, slot coverage, uniqueness. */
export function checkSpecRules(spec: ParsedSpec): RuleViolation[] {
  return [
    ...checkLoopback(spec),
    ...checkRedisSection(spec),
    ...checkNodeNames(spec),
    ...checkSlots(spec),
    ...checkModules(spec),
    ...checkPlans(spec),
    ...checkTtl(spec),
    ...checkSlo(spec),
  ];
}

/** C0 controls, DEL and C1 controls: a newline in a value would start a new redis.conf line. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Every string of the document (values and keys, at any depth) free of control characters. Run on the raw
 * document, before the schema, so an injected line is reported even when other fields are wrong too.
 */
export function checkControlCharacters(doc: unknown, path = ''): RuleViolation[] {
  const at = (k: string | number): string => (typeof k === 'number' ? `${path}[${k}]` : path ? `${path}.${k}` : k);
  const bad = (p: string, what: string, s: string): RuleViolation => ({
    path: p || '(root)',
    message: `${what} ${JSON.stringify(s)} holds a control character (newline, tab...); one line of printable text only`,
  });
  if (typeof doc === 'string') return CONTROL.test(doc) ? [bad(path, 'the value', doc)] : [];
  if (Array.isArray(doc)) return doc.flatMap((v: unknown, i) => checkControlCharacters(v, at(i)));
  if (doc !== null && typeof doc === 'object')
    return Object.entries(doc).flatMap(([k, v]) => [
      ...(CONTROL.test(k) ? [bad(at(k), 'the key', k)] : []),
      ...checkControlCharacters(v, at(k)),
    ]);
  return [];
}

/** The local backend binds and targets loopback only (docs/decisions.md, "Loopback only"). */
function checkLoopback(spec: ParsedSpec): RuleViolation[] {
  const out: RuleViolation[] = [];
  const why = 'the harness runs throwaway clusters on loopback only: use 127.0.0.1 (or another 127.x.y.z, ::1, localhost)';
  if (!isLoopbackHost(spec.topology.host))
    out.push({ path: 'topology.host', message: `"${spec.topology.host}" is not a loopback address; ${why}` });
  spec.security.bind.forEach((b, i) => {
    if (!isLoopbackHost(b)) out.push({ path: `security.bind[${i}]`, message: `"${b}" is not a loopback address; ${why}` });
  });
  return out;
}

/**
 * No reserved directive (src/spec/reserved.ts); every value one the config suite can compare (sizes,
 * client-output-buffer-limit groups); a query buffer that holds the largest value a client may send.
 */
function checkRedisSection(spec: ParsedSpec): RuleViolation[] {
  const out: RuleViolation[] = [];
  for (const [d, v] of Object.entries(spec.redis)) {
    const why = RESERVED_DIRECTIVES.get(d);
    if (why !== undefined) out.push({ path: `redis.${d}`, message: `"${d}" is reserved (${why}); remove it from the redis: section` });
    try {
      expectedConfigValue(d, v);
    } catch (err) {
      out.push({ path: `redis.${d}`, message: errorMessage(err) });
    }
  }
  return out.length > 0 ? out : checkQueryBuffer(spec);
}

/** Redis 7.0's defaults for the two limits checkQueryBuffer compares. */
const DEFAULT_PROTO_MAX_BULK_LEN = '512mb';
const DEFAULT_CLIENT_QUERY_BUFFER_LIMIT = '1gb';

/** Redis 7.0 accepts a query buffer limit below proto-max-bulk-len; a client then gets cut off sending an allowed value. */
function checkQueryBuffer(spec: ParsedSpec): RuleViolation[] {
  const size = (d: string, fallback: string): number => memoryToBytes(String(spec.redis[d] ?? fallback));
  const bulk = size('proto-max-bulk-len', DEFAULT_PROTO_MAX_BULK_LEN);
  const query = size('client-query-buffer-limit', DEFAULT_CLIENT_QUERY_BUFFER_LIMIT);
  if (query >= bulk) return [];
  return [
    {
      path: 'redis.client-query-buffer-limit',
      message: `${query} bytes is below proto-max-bulk-len (${bulk} bytes): a client sending a value of the allowed size is disconnected; make it >= proto-max-bulk-len`,
    },
  ];
}

function checkNodeNames(spec: ParsedSpec): RuleViolation[] {
  const out: RuleViolation[] = [];
  const masters = new Set(spec.topology.masters.map((m) => m.name));
  const seen = new Set<string>();
  const all = [
    ...spec.topology.masters.map((m, i) => ({ n: m.name, p: `topology.masters[${i}].name` })),
    ...spec.topology.replicas.map((r, i) => ({ n: r.name, p: `topology.replicas[${i}].name` })),
  ];
  for (const { n, p } of all) {
    if (seen.has(n)) out.push({ path: p, message: `node name "${n}" is used twice; node names must be unique` });
    seen.add(n);
  }
  spec.topology.replicas.forEach((r, i) => {
    if (!masters.has(r.of))
      out.push({
        path: `topology.replicas[${i}].of`,
        message: `"${r.of}" is not a master; replicas must name one of: ${[...masters].join(', ')}`,
      });
  });
  return out;
}

function checkSlots(spec: ParsedSpec): RuleViolation[] {
  const owner = new Array<string | undefined>(SLOT_COUNT);
  const out: RuleViolation[] = [];
  spec.topology.masters.forEach((m, i) => {
    m.slots.forEach(([a, b], j) => {
      let firstOverlap: { slot: number; prev: string } | undefined;
      for (let s = a; s <= b; s++) {
        const prev = owner[s];
        if (prev !== undefined) firstOverlap ??= { slot: s, prev };
        else owner[s] = m.name; // keep assigning: an overlap must not also read as a gap
      }
      if (firstOverlap)
        out.push({
          path: `topology.masters[${i}].slots[${j}]`,
          message: `slot ${firstOverlap.slot} is already assigned to ${firstOverlap.prev}; slot ranges must not overlap`,
        });
    });
  });
  const missing = missingRanges(owner);
  if (missing.length > 0) {
    out.push({
      path: 'topology.masters',
      message: `slots ${missing.join(', ')} are not assigned; the masters' ranges must cover 0-${SLOT_COUNT - 1}`,
    });
  }
  return out;
}

function missingRanges(owner: ReadonlyArray<string | undefined>): string[] {
  const ranges: string[] = [];
  let start = -1;
  for (let s = 0; s <= SLOT_COUNT; s++) {
    const free = s < SLOT_COUNT && owner[s] === undefined;
    if (free && start < 0) start = s;
    if (!free && start >= 0) {
      ranges.push(start === s - 1 ? `${start}` : `${start}-${s - 1}`);
      start = -1;
    }
  }
  return ranges;
}

function checkModules(spec: ParsedSpec): RuleViolation[] {
  const out: RuleViolation[] = [];
  const masters = new Set(spec.topology.masters.map((m) => m.name));
  for (const [mod, def] of Object.entries(spec.modules)) {
    if (!masters.has(def.shard))
      out.push({
        path: `modules.${mod}.shard`,
        message: `"${def.shard}" is not a master; a module's shard must name one of: ${[...masters].join(', ')}`,
      });
  }
  return out;
}

function checkPlans(spec: ParsedSpec): RuleViolation[] {
  const out: RuleViolation[] = [];
  for (const [planName, p] of Object.entries(spec.plans)) {
    p.modules.forEach((m, i) => {
      if (!(m in spec.modules))
        out.push({
          path: `plans.${planName}.modules[${i}]`,
          message: `module "${m}" is not in the module map (modules:); known modules: ${Object.keys(spec.modules).join(', ')}`,
        });
    });
  }
  return out;
}

function checkTtl(spec: ParsedSpec): RuleViolation[] {
  const out: RuleViolation[] = [];
  const classRef = (path: string, cls: string): void => {
    if (!(cls in spec.ttlClasses))
      out.push({ path, message: `TTL class "${cls}" is not defined in ttlClasses; known: ${Object.keys(spec.ttlClasses).join(', ')}` });
  };
  for (const [mod, def] of Object.entries(spec.modules)) {
    for (const [dt, cls] of Object.entries(def.dataTypes)) classRef(`modules.${mod}.dataTypes.${dt}`, cls);
  }
  for (const [dt, cls] of Object.entries(spec.commonDataTypes)) classRef(`commonDataTypes.${dt}`, cls);
  for (const [cls, t] of Object.entries(spec.ttlClasses)) {
    if (t.mobile > t.web)
      out.push({
        path: `ttlClasses.${cls}`,
        message: `mobile TTL (${t.mobile}s) must be <= web TTL (${t.web}s): mobile data is kept fresher`,
      });
  }
  return out;
}

/**
 * The platform brief's only performance figure ("Performance < 200 ms for mobile operations"). Our choice,
 * not a Redis limit: no SLO limit of either channel may be looser than it, so a passing gate always
 * certifies the brief's figure (docs/design-notes.md, "SLO").
 */
export const BRIEF_LATENCY_CEILING_MS = 200;

function checkSlo(spec: ParsedSpec): RuleViolation[] {
  const out: RuleViolation[] = [];
  for (const channel of ['mobile', 'web'] as const) {
    const { p99Ms, p999Ms } = spec.slo[channel];
    // p99 <= p99.9 for every sample: a p99.9 limit below the p99 limit makes the p99 limit unreachable as a check.
    if (p999Ms < p99Ms) {
      out.push({
        path: `slo.${channel}.p999Ms`,
        message: `p99.9 limit (${p999Ms} ms) must be >= the p99 limit (${p99Ms} ms): p99 <= p99.9 always, so a lower p99.9 limit leaves the p99 limit meaningless`,
      });
    }
    for (const [field, v] of [
      ['p99Ms', p99Ms],
      ['p999Ms', p999Ms],
    ] as const) {
      if (v > BRIEF_LATENCY_CEILING_MS) {
        out.push({
          path: `slo.${channel}.${field}`,
          message: `${v} ms is above the platform brief's ${BRIEF_LATENCY_CEILING_MS} ms ("Performance < 200 ms for mobile operations"); every SLO limit must be <= ${BRIEF_LATENCY_CEILING_MS} ms`,
        });
      }
    }
  }
  return out;
}

export type { SpecInput };
