import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** SHA-256 of the spec file's bytes: which spec a backup was taken with (restore warns when it differs). */
export function specHash(specPath: string): string {
  return createHash('sha256').update(readFileSync(specPath)).digest('hex');
}
