import { createHash } from 'node:crypto';

/**
 * The initial users.acl: with `aclfile` set, Redis takes the default user from this file,
 * so it must carry the admin password (as a SHA-256 hash, the form ACL SAVE writes).
 */
export function initialAclFile(password: string): string {
  const hash = createHash('sha256').update(password).digest('hex');
  return `user default on #${hash} ~* &* +@all\n`;
}
