import { HarnessError } from '../errors.js';
import type { Spec } from '../spec/index.js';
import { InvalidKey, parseChannel, parseTenantId, TENANT_ID_RULE, type Channel, type PlanName, type TenantId } from '../tenancy/index.js';

/** Bad provisioning input: exit 2, nothing written. `rule` names the rule that was broken. */
export class InvalidTenantInput extends HarnessError {
  constructor(
    message: string,
    readonly rule: 'tenant-id' | 'plan' | 'channel' | 'duplicate',
    hint?: string,
  ) {
    super(message, hint);
    this.name = 'InvalidTenantInput';
  }
}

/** What to provision for one tenant, as written by a user (CLI arguments, a population file). */
export interface TenantInput {
  id: string;
  plan: string;
  channel?: string;
}

/** The same, validated: only `validateTenantInput` hands these out. */
export interface TenantRequest {
  tenant: TenantId;
  plan: PlanName;
  /** Undefined: keep the stored channel of an existing tenant, `mobile` for a new one. */
  channel: Channel | undefined;
}

/** A tenant id given by a user: tenancy's rule, reported as InvalidTenantInput (exit 2, with the rule as the fix). */
export function parseTenantIdInput(raw: string): TenantId {
  try {
    return parseTenantId(raw);
  } catch (err) {
    if (err instanceof InvalidKey)
      throw new InvalidTenantInput(err.message, 'tenant-id', `choose an id of 1-64 letters, digits, "_" or "-" (${TENANT_ID_RULE.source})`);
    throw err;
  }
}

/** A plan given by a user: one the spec names, else InvalidTenantInput. */
export function parsePlan(spec: Spec, raw: string): PlanName {
  if (!Object.hasOwn(spec.plans, raw)) {
    throw new InvalidTenantInput(
      `plan ${JSON.stringify(raw)} is not in the spec; known plans: ${Object.keys(spec.plans).join(', ')}`,
      'plan',
    );
  }
  return raw as PlanName;
}

/** A channel given by a user (or none: keep the stored one), else InvalidTenantInput. */
function parseChannelInput(raw: string | undefined): Channel | undefined {
  if (raw === undefined) return undefined;
  try {
    return parseChannel(raw);
  } catch (err) {
    if (err instanceof InvalidKey) throw new InvalidTenantInput(err.message, 'channel');
    throw err;
  }
}

/** Parse at the edge: id, plan and channel, before any connection or write. */
export function validateTenantInput(spec: Spec, input: TenantInput): TenantRequest {
  return { tenant: parseTenantIdInput(input.id), plan: parsePlan(spec, input.plan), channel: parseChannelInput(input.channel) };
}

/** Validate a whole population; every problem is listed (up to `maxListed`), and duplicates are refused. */
export function validateTenantInputs(spec: Spec, inputs: readonly TenantInput[], maxListed = 20): TenantRequest[] {
  const out: TenantRequest[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  inputs.forEach((input, i) => {
    try {
      const req = validateTenantInput(spec, input);
      if (seen.has(req.tenant)) throw new InvalidTenantInput(`tenant id ${JSON.stringify(req.tenant)} appears twice`, 'duplicate');
      seen.add(req.tenant);
      out.push(req);
    } catch (err) {
      if (!(err instanceof InvalidTenantInput)) throw err;
      problems.push(`tenants[${i}]: ${err.message}`);
    }
  });
  if (problems.length > 0) {
    const listed = problems.slice(0, maxListed).map((p) => `  ${p}`);
    if (problems.length > maxListed) listed.push(`  ... and ${problems.length - maxListed} more`);
    throw new InvalidTenantInput(
      `${problems.length} invalid tenant(s); nothing was provisioned:\n${listed.join('\n')}`,
      'tenant-id',
      `ids must match ${TENANT_ID_RULE.source}; plans: ${Object.keys(spec.plans).join(', ')}`,
    );
  }
  return out;
}
