import type { Channel } from './ids.js';
import { NotProvisioned, PermissionDenied, QuotaExceeded } from './errors.js';

/** The operations TenantCache makes (and the HTTP edge's GET/PUT, which are `get`/`set`). */
export const TENANT_OP_NAMES = ['get', 'set', 'mget', 'del', 'ttl'] as const;
export type TenantOpName = (typeof TENANT_OP_NAMES)[number];

/**
 * Why an operation failed, as a bounded label: the tenancy refusals by name, anything else (a timeout, a lost
 * connection, an unexpected reply) as `other`. A raw error message would make one metric series per message.
 */
export const TENANT_OP_ERRORS = ['QuotaExceeded', 'PermissionDenied', 'NotProvisioned', 'other'] as const;
export type TenantOpError = (typeof TENANT_OP_ERRORS)[number];

/** One finished operation of a tenant's client: which op, whose, which channel, how long (client side), and how it ended. */
export interface TenantOp {
  op: TenantOpName;
  tenant: string;
  module: string;
  plan: string;
  channel: Channel;
  /** Client-side latency, command sent → reply (or failure), in seconds. */
  seconds: number;
  /** null when it succeeded (a miss is a success). */
  error: TenantOpError | null;
}

/** Where a client reports its operations (ClientMetrics is one; a test or an application can pass its own). */
export interface TenantOpSink {
  observe(op: TenantOp): void;
}

/** The bounded label for an error thrown by an operation (after mapRedisError). */
export function tenantOpError(err: unknown): TenantOpError {
  if (err instanceof QuotaExceeded) return 'QuotaExceeded';
  if (err instanceof PermissionDenied) return 'PermissionDenied';
  if (err instanceof NotProvisioned) return 'NotProvisioned';
  return 'other';
}
