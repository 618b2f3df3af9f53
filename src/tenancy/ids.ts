import type { Spec } from '../spec/index.js';
import { InvalidKey } from './errors.js';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A tenant id that passed `parseTenantId`: safe in key prefixes, glob patterns and ACL rules. */
export type TenantId = Brand<string, 'TenantId'>;
/** A module named in the spec. */
export type ModuleName = Brand<string, 'ModuleName'>;
/** A data type valid for its module in the spec. */
export type DataType = Brand<string, 'DataType'>;
/** A plan named in the spec (provisioning's `parsePlan` hands these out). */
export type PlanName = Brand<string, 'PlanName'>;
export type Channel = 'mobile' | 'web';
/** Every channel, in the order results list them (an index into this list is how the bench stores one). */
export const CHANNELS: readonly Channel[] = ['mobile', 'web'];

export const TENANT_ID_RULE = /^[A-Za-z0-9_-]{1,64}$/;

/** Tenant ids are 1-64 of [A-Za-z0-9_-]: no glob (* ? [), no brace, colon, space, quote or unicode. */
export function parseTenantId(raw: string): TenantId {
  if (!TENANT_ID_RULE.test(raw)) {
    throw new InvalidKey(
      `tenant id ${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw)} is invalid: it must match ${TENANT_ID_RULE.source} (1-64 letters, digits, "_" or "-")`,
      'tenant-id',
    );
  }
  return raw as TenantId;
}

export function parseModule(spec: Spec, raw: string): ModuleName {
  if (!Object.hasOwn(spec.modules, raw)) {
    throw new InvalidKey(
      `module ${JSON.stringify(raw)} is not in the spec; known modules: ${Object.keys(spec.modules).join(', ')}`,
      'module',
    );
  }
  return raw as ModuleName;
}

/** The data types a module accepts: its own plus the spec's common (mobile sync) types. */
export function dataTypesOf(spec: Spec, module: ModuleName): string[] {
  return [...Object.keys(spec.modules[module]?.dataTypes ?? {}), ...Object.keys(spec.commonDataTypes)];
}

export function parseDataType(spec: Spec, module: ModuleName, raw: string): DataType {
  if (!dataTypesOf(spec, module).includes(raw)) {
    throw new InvalidKey(
      `data type ${JSON.stringify(raw)} is not defined for module ${module}; known: ${dataTypesOf(spec, module).join(', ')}`,
      'data-type',
    );
  }
  return raw as DataType;
}

export function parseChannel(raw: string): Channel {
  if (raw !== 'mobile' && raw !== 'web') throw new InvalidKey(`channel ${JSON.stringify(raw)} must be "mobile" or "web"`, 'channel');
  return raw;
}
