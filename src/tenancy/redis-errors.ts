import { NotProvisioned, PermissionDenied } from './errors.js';
import { errorMessage } from '../errors.js';

/**
 * Redis refusals a tenant's client can meet, as typed errors. NOPERM: the ACL user may not run that command
 * or touch that key. WRONGPASS: the ACL user is gone (tenant removed) or the password is wrong.
 * Anything else is returned unchanged.
 */
export function mapRedisError(err: unknown, aclUser: string): unknown {
  const msg = errorMessage(err);
  if (/\bNOPERM\b/.test(msg)) return new PermissionDenied(`Redis refused ACL user ${aclUser}: ${msg}`, 'acl');
  if (/\bWRONGPASS\b/.test(msg))
    return new NotProvisioned(`ACL user ${aclUser} was refused (${msg}): the tenant was removed, or the password is wrong`, 'acl-user');
  return err;
}
