import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { HarnessError } from '../errors.js';

const run = promisify(execFile);

/** Image the container backends run: this variable, else the spec's `topology.image`. */
export const REDIS_IMAGE_ENV = 'CACHE_HARNESS_REDIS_IMAGE';

/** Every container and volume the harness starts carries this label, so leftovers can be found and removed. */
export const HARNESS_LABEL = 'io.cache-harness.owner';

/** `docker <args>`; the engine's own last stderr line on failure. Never pass a secret in args (`ps` shows it). */
export async function docker(args: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const { stdout } = await run('docker', args, { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20, env: opts.env ?? process.env });
    return stdout;
  } catch (err) {
    throw new Error(`docker ${args.slice(0, 2).join(' ')} failed: ${commandFailure(err)}`, { cause: err });
  }
}

/** The most useful line of a failed child process: its stderr's last line, ENOENT, or a timeout. */
export function commandFailure(err: unknown): string {
  const e = err as { stderr?: string; code?: string | number; killed?: boolean; signal?: string };
  if (e.code === 'ENOENT') return 'the command is not installed';
  if (e.killed) return `no answer in time (killed with ${e.signal ?? 'a signal'})`;
  const lines = (e.stderr ?? String(err)).trim().split('\n');
  return lines.at(-1) ?? 'failed';
}

/** Fail within about a second, with the engine's own words, when no Docker engine answers. */
export async function assertDockerEngine(what: string, timeoutMs = 1500): Promise<void> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: timeoutMs });
  } catch (err) {
    const e = err as { code?: string | number; killed?: boolean };
    const why =
      e.code === 'ENOENT'
        ? 'the docker CLI is not installed'
        : e.killed
          ? `docker info did not answer within ${timeoutMs} ms`
          : commandFailure(err);
    throw new HarnessError(
      `${what} needs a Docker engine: ${why}`,
      'start Docker (Debian, as root: apt-get install docker.io; dockerd &), or use the default local backend (no Docker needed): drop --backend',
    );
  }
}

/** Whether a Docker engine answers within timeoutMs (for tests that need one: skipped with the reason otherwise). */
export function dockerEngineAnswers(timeoutMs = 3000): boolean {
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: timeoutMs, stdio: 'ignore' });
  return r.status === 0;
}

/** The image the container backends run: CACHE_HARNESS_REDIS_IMAGE, else the spec's. */
export function redisImage(specImage: string, env: NodeJS.ProcessEnv = process.env): string {
  return env[REDIS_IMAGE_ENV] || specImage;
}

/** No registry is pulled from: the image must be on this engine already (built here, or loaded). */
export async function assertImagePresent(image: string): Promise<void> {
  try {
    await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { timeout: 10_000 });
  } catch {
    throw new HarnessError(
      `the image ${image} is not on this Docker engine (the harness never pulls)`,
      `build one from this host's redis-server with \`cache-harness image build\` and set ${REDIS_IMAGE_ENV} to the tag it prints, or to an image you have (docker images)`,
    );
  }
}
