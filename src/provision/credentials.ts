import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { HarnessError } from '../errors.js';
import type { TenantCredential } from './bulk.js';

/** Tenant passwords handed from provisioning to whoever connects as the tenants (suites, benches). Mode 0600. */
export const credentialsFileSchema = z.object({
  version: z.literal(1),
  tenants: z.array(z.object({ tenant: z.string(), plan: z.string(), aclUser: z.string(), password: z.string() })),
});

export function writeCredentialsFile(path: string, tenants: readonly TenantCredential[]): void {
  writeFileSync(path, `${JSON.stringify({ version: 1, tenants }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // mode applies only when the file is new
}

export function readCredentialsFile(path: string): TenantCredential[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new HarnessError(`cannot read tenant credentials ${path}: ${(err as Error).message}`);
  }
  const res = credentialsFileSchema.safeParse(doc);
  if (!res.success) throw new HarnessError(`${path} is not a tenant credentials file: ${res.error.issues[0]?.message ?? 'invalid'}`);
  return res.data.tenants;
}
