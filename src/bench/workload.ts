import { z } from 'zod';
import { invalidDocument, readYamlFile, schemaProblems } from '../read-yaml.js';
import type { Spec } from '../spec/index.js';
import { dataTypesOf, type ModuleName } from '../tenancy/index.js';

const weight = z.number().nonnegative();
const ratio = z.number().min(0).max(1);
const valueSize = z.strictObject({
  bytes: z
    .number()
    .int()
    .positive()
    .max(16 * 1024 * 1024),
  weight,
});

const channelTraits = z.strictObject({
  /** Share of reads (GET); the rest are writes (SET ... EX <ttl of the tier>). */
  readRatio: ratio,
  valueSizes: z.array(valueSize).min(1),
});

const moduleTraits = z.strictObject({
  /** Relative weight of the module among the tenant's plan modules (default 1). */
  weight: weight.optional(),
  /** Per-channel read ratio overriding the channel's. */
  readRatio: z.strictObject({ mobile: ratio.optional(), web: ratio.optional() }).optional(),
  /** Relative weight per data type (default: uniform over the module's own and common types). */
  dataTypes: z.record(z.string(), weight).optional(),
});

/** A bench workload: who calls, what, how often. Built-in profiles below; a YAML file overrides any part. */
export const workloadSchema = z.strictObject({
  name: z.string().min(1),
  /** Share of operations per channel. */
  channels: z.strictObject({ mobile: weight, web: weight }),
  tenants: z.strictObject({
    count: z.number().int().positive().max(100_000),
    /** Share of tenants per plan (plan names from the spec). */
    plans: z.record(z.string(), weight),
    /** Relative request rate of one tenant of each plan (plan-weighted tenant choice). Default 1. */
    activity: z.record(z.string(), weight).default({}),
  }),
  keys: z.strictObject({
    /** Distinct user keys per tenant-module-dataType. */
    perTenantModule: z.number().int().positive().max(10_000_000),
    popularity: z.enum(['zipf', 'uniform']),
    zipfExponent: z.number().min(0).max(5).default(0.99),
  }),
  channel: z.strictObject({ mobile: channelTraits, web: channelTraits }),
  modules: z.record(z.string(), moduleTraits).default({}),
  /** Write every key the run will read before it starts, so reads hit (a cache at steady state). */
  prefill: z.boolean().default(true),
  /** Remove every key the run touched afterwards (the run's tenants are synthetic: `bench-000001`, ...). */
  cleanup: z.boolean().default(true),
  seed: z.number().int().nonnegative().default(1),
});
export type Workload = z.output<typeof workloadSchema>;
export type WorkloadInput = z.input<typeof workloadSchema>;

const MOBILE_TRAITS = {
  readRatio: 0.9,
  valueSizes: [
    { bytes: 256, weight: 0.5 },
    { bytes: 1024, weight: 0.4 },
    { bytes: 4096, weight: 0.1 },
  ],
};
const WEB_TRAITS = {
  readRatio: 0.75,
  valueSizes: [
    { bytes: 1024, weight: 0.5 },
    { bytes: 4096, weight: 0.5 },
  ],
};
const TENANTS = { count: 30, plans: { basic: 0.6, pro: 0.3, enterprise: 0.1 }, activity: { basic: 1, pro: 2, enterprise: 4 } };
/** Write-heavy modules: message queues and metrics ingestion. */
const MODULES = { whatsapp: { readRatio: { mobile: 0.6, web: 0.5 } }, analytics: { readRatio: { mobile: 0.8, web: 0.5 } } };

/** A built-in profile: each channel's share of operations and how skewed key popularity is (zipf exponent). */
function profile(name: string, channels: WorkloadInput['channels'], zipfExponent: number): WorkloadInput {
  return {
    name,
    channels,
    tenants: TENANTS,
    keys: { perTenantModule: 500, popularity: 'zipf', zipfExponent },
    channel: { mobile: MOBILE_TRAITS, web: WEB_TRAITS },
    modules: MODULES,
  };
}

/**
 * Built-in profiles. `mobile`: the product's mobile-first mix, 80% of operations from the mobile channel.
 * `web`: a web-heavy day, 80% web. Both hit both channels, so both channel SLOs are measured.
 */
export const PROFILES: Readonly<Record<'mobile' | 'web', WorkloadInput>> = {
  mobile: profile('mobile', { mobile: 0.8, web: 0.2 }, 0.99),
  web: profile('web', { mobile: 0.2, web: 0.8 }, 0.8),
};
export type ProfileName = keyof typeof PROFILES;

export function isProfileName(s: string): s is ProfileName {
  return Object.hasOwn(PROFILES, s);
}

/** A profile, optionally overridden by a parsed YAML document (objects merge key by key; arrays and scalars replace). */
export function buildWorkload(spec: Spec, profile: ProfileName, override?: unknown, source = 'workload'): Workload {
  const merged = override === undefined || override === null ? PROFILES[profile] : deepMerge(PROFILES[profile], override);
  const res = workloadSchema.safeParse(merged);
  if (!res.success)
    throw invalidDocument(source, 'workload', schemaProblems(res.error), 'fix the fields above (see PROFILES in src/bench/workload.ts)');
  const problems = checkWorkload(spec, res.data);
  if (problems.length) throw invalidDocument(source, 'workload', problems, 'use plan, module and data type names from the spec');
  return res.data;
}

/** Read a workload YAML file over a profile. */
export function loadWorkload(spec: Spec, profile: ProfileName, path?: string): Workload {
  if (!path) return buildWorkload(spec, profile);
  return buildWorkload(spec, profile, readYamlFile(path, 'workload file', 'pass a readable YAML file with --workload'), path);
}

/** Cross-checks against the spec: plans, modules and data types must exist; weights must leave something to choose. */
export function checkWorkload(spec: Spec, w: Workload): string[] {
  const out: string[] = [];
  for (const p of [...Object.keys(w.tenants.plans), ...Object.keys(w.tenants.activity)]) {
    if (!Object.hasOwn(spec.plans, p)) out.push(`tenants: plan "${p}" is not in the spec (plans: ${Object.keys(spec.plans).join(', ')})`);
  }
  if (Object.values(w.tenants.plans).reduce((a, b) => a + b, 0) <= 0) out.push('tenants.plans: the shares sum to 0');
  if (w.channels.mobile + w.channels.web <= 0) out.push('channels: the shares sum to 0');
  for (const ch of ['mobile', 'web'] as const) {
    if (w.channel[ch].valueSizes.reduce((a, v) => a + v.weight, 0) <= 0) out.push(`channel.${ch}.valueSizes: the weights sum to 0`);
  }
  for (const [m, traits] of Object.entries(w.modules)) {
    if (!Object.hasOwn(spec.modules, m)) {
      out.push(`modules: "${m}" is not in the spec (modules: ${Object.keys(spec.modules).join(', ')})`);
      continue;
    }
    const known = dataTypesOf(spec, m as ModuleName);
    for (const dt of Object.keys(traits.dataTypes ?? {})) {
      if (!known.includes(dt)) out.push(`modules.${m}.dataTypes: "${dt}" is not a data type of ${m} (known: ${known.join(', ')})`);
    }
  }
  return out;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Objects merge recursively; anything else in `over` replaces `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}
