import { execFileSync } from 'node:child_process';
import { HarnessError } from '../errors.js';

/** Absolute path of a system binary, or exit 2 saying how to install it. */
export function requireBinary(name: 'redis-server' | 'redis-cli' | 'redis-benchmark' | 'promtool' | 'prometheus'): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    const pkg = name.startsWith('redis-server') ? 'redis-server' : name.startsWith('redis') ? 'redis-tools' : 'prometheus';
    throw new HarnessError(`${name} not found on PATH`, `install it: apt-get install -y ${pkg} (or run \`npm run setup\` as root)`);
  }
}

/** `redis-server --version` → "7.0.15". */
export function redisServerVersion(bin: string): string {
  const out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
  return /v=(\S+)/.exec(out)?.[1] ?? 'unknown';
}
