import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HarnessError } from '../errors.js';
import { redisServerVersion, requireBinary } from './binaries.js';
import { docker, HARNESS_LABEL } from './docker-cli.js';

/** The tag `image build` gives by default: the host's Redis version, so two hosts' images do not pass for each other. */
export function defaultImageTag(redisVersion: string): string {
  return `cache-harness/redis:${redisVersion}`;
}

/**
 * What the image holds, at the path it has inside. The compose file's commands need a POSIX shell (the ACL
 * file is written before start), grep (health check, init script) and sleep (init script): the host's own.
 */
const IMAGE_BINARIES: ReadonlyArray<{ host: () => string; at: string }> = [
  { host: () => requireBinary('redis-server'), at: '/usr/local/bin/redis-server' },
  { host: () => requireBinary('redis-cli'), at: '/usr/local/bin/redis-cli' },
  { host: () => hostTool('sh'), at: '/bin/sh' },
  { host: () => hostTool('grep'), at: '/bin/grep' },
  { host: () => hostTool('sleep'), at: '/bin/sleep' },
];

function hostTool(name: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new HarnessError(`${name} not found on PATH`, 'the image copies it from this host: install coreutils, grep and dash');
  }
}

/** The shared libraries `ldd` lists for a binary (the loader included), as absolute paths. */
export function parseLdd(output: string): string[] {
  const libs = new Set<string>();
  for (const line of output.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"; vdso has no file.
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (m?.[1]) libs.add(m[1]);
  }
  return [...libs];
}

function sharedLibraries(binary: string): string[] {
  let out: string;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  } catch (err) {
    throw new HarnessError(
      `ldd ${binary} failed: ${(err as Error).message}`,
      'the image is built from dynamically linked host binaries: install libc-bin (ldd)',
    );
  }
  return parseLdd(out);
}

/** FROM scratch: nothing is pulled, so it builds where no registry is reachable. */
export function imageDockerfile(redisVersion: string): string {
  return [
    'FROM scratch',
    'COPY rootfs/ /',
    'ENV PATH=/usr/local/bin:/usr/bin:/bin',
    'WORKDIR /data',
    `LABEL ${HARNESS_LABEL}=image org.opencontainers.image.title=cache-harness-redis org.opencontainers.image.version=${redisVersion}`,
    'CMD ["redis-server"]',
    '',
  ].join('\n');
}

export interface ImageBuild {
  tag: string;
  redisVersion: string;
  files: number;
  sizeBytes: number;
  buildMs: number;
}

/** Build a small Redis image from this host's redis-server and redis-cli, their shared libraries and a shell. */
export async function buildRedisImage(tag: string | undefined, log: (line: string) => void): Promise<ImageBuild> {
  const redisVersion = redisServerVersion(requireBinary('redis-server'));
  const name = tag ?? defaultImageTag(redisVersion);
  const t0 = performance.now();
  const ctx = mkdtempSync(join(tmpdir(), 'cache-harness-image-'));
  try {
    const root = join(ctx, 'rootfs');
    const put = (from: string, at: string) => {
      mkdirSync(join(root, dirname(at)), { recursive: true });
      copyFileSync(from, join(root, at)); // follows symlinks: the file itself, at the path the loader looks for
    };
    const files = new Set<string>();
    for (const b of IMAGE_BINARIES) {
      const host = b.host();
      put(host, b.at);
      files.add(b.at);
      for (const lib of sharedLibraries(host)) {
        if (files.has(lib)) continue;
        put(lib, lib);
        files.add(lib);
      }
    }
    mkdirSync(join(root, 'data'), { recursive: true });
    mkdirSync(join(root, 'tmp'), { recursive: true });
    chmodSync(join(root, 'tmp'), 0o1777);
    writeFileSync(join(ctx, 'Dockerfile'), imageDockerfile(redisVersion));
    log(`building ${name} from this host's redis-server ${redisVersion}: ${files.size} files, FROM scratch`);
    // The classic builder: BuildKit may not be installed (Debian's docker.io ships without buildx).
    await docker(['build', '--quiet', '--tag', name, ctx], { timeoutMs: 300_000, env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    const sizeBytes = Number((await docker(['image', 'inspect', '--format', '{{.Size}}', name])).trim());
    return { tag: name, redisVersion, files: files.size, sizeBytes, buildMs: performance.now() - t0 };
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}
