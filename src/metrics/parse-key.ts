import { META_KEY_ROOT, TENANT_ID_RULE, TENANT_KEY_ROOT } from '../tenancy/index.js';
import { isQuotaKey } from '../tenancy/quota-script.js';

/** What a key found by SCAN is, for accounting. */
export type KeyKind =
  | { kind: 'data'; tenant: string; module: string }
  /** The quota bookkeeping zset of a tenant-module: not a tenant key, never counted as one. */
  | { kind: 'quota'; tenant: string; module: string }
  | { kind: 'meta'; tenant: string }
  /** Under `cliente:` but not `cliente:<valid id>:<module>:<more>`. */
  | { kind: 'malformed' }
  | { kind: 'other' };

const DATA_ROOT = `${TENANT_KEY_ROOT}:`;
const META_ROOT = `${META_KEY_ROOT}:`;

/** Classify one key name: `cliente:<tenant>:<module>:...` data, its `__quota` zset, `tenant-meta:<id>`, or anything else. Pure. */
export function classifyKey(key: string): KeyKind {
  if (key.startsWith(DATA_ROOT)) {
    const t1 = key.indexOf(':', DATA_ROOT.length);
    if (t1 < 0) return { kind: 'malformed' };
    const m1 = key.indexOf(':', t1 + 1);
    if (m1 < 0 || m1 === t1 + 1 || m1 === key.length - 1) return { kind: 'malformed' };
    const tenant = key.slice(DATA_ROOT.length, t1);
    if (!TENANT_ID_RULE.test(tenant)) return { kind: 'malformed' };
    const module = key.slice(t1 + 1, m1);
    return isQuotaKey(key) ? { kind: 'quota', tenant, module } : { kind: 'data', tenant, module };
  }
  if (key.startsWith(META_ROOT)) {
    const tenant = key.slice(META_ROOT.length);
    return TENANT_ID_RULE.test(tenant) ? { kind: 'meta', tenant } : { kind: 'other' };
  }
  return { kind: 'other' };
}

/**
 * The `module` label of the exporter's series. Tenants name the module in their own keys, so a tenant
 * could create a series per made-up name (3,000 from one tenant were seen): only the spec's modules
 * are labels; every other name counts under one `module="unknown"`.
 */
export const UNKNOWN_MODULE = 'unknown';

export function moduleLabel(module: string, known: ReadonlySet<string>): string {
  return known.has(module) ? module : UNKNOWN_MODULE;
}
