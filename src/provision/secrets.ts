import { createHash, randomBytes } from 'node:crypto';

/** A tenant password: 24 random bytes (192 bits), URL-safe. Returned once, never stored in clear. */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/** Lower-case hex SHA-256, the form `ACL SETUSER ... #<hash>` takes. */
export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
