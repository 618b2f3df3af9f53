import { SLOT_COUNT, type SpecInput } from './schema.js';
import type { z } from 'zod';
import type { specSchema } from './schema.js';

type ParsedSpec = z.output<typeof specSchema>;

/** One broken cross-field rule: where in the spec, and what the rule is. */
export interface RuleViolation {
  path: string;
  message: string;
}

/** Cross-field rules zod cannot express per field: references, slot coverage, uniqueness. */
export function checkSpecRules(spec: ParsedSpec): RuleViolation[] {
  return [...checkNodeNames(spec), ...checkSlots(spec), ...checkModules(spec), ...checkPlans(spec), ...checkTtl(spec), ...checkSlo(spec)];
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
