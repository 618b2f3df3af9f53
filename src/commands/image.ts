import type { Command } from 'commander';
import { assertDockerEngine } from '../cluster/docker-cli.js';
import { buildRedisImage } from '../cluster/redis-image.js';
import { progress } from './progress.js';

/** `image build [--tag T]`: the container backends' Redis image, built from this host's binaries (no pull). */
export function registerImageCommand(program: Command): void {
  const image = program
    .command('image')
    .description('container images the compose and containers backends run (built here: nothing is pulled)');
  image
    .command('build')
    .description(
      "build a small Redis image FROM scratch from this host's redis-server and redis-cli, the shared libraries ldd lists and a shell; prints its tag, size and build time",
    )
    .option('--tag <tag>', 'image tag (default cache-harness/redis:<redis version of this host>)')
    .action(async (o: { tag?: string }) => {
      await assertDockerEngine('image build');
      const b = await buildRedisImage(o.tag, progress);
      process.stdout.write(
        `${b.tag}: redis ${b.redisVersion}, ${b.files} files, ${(b.sizeBytes / 1e6).toFixed(1)} MB, built in ${(b.buildMs / 1000).toFixed(1)} s\n` +
          `use it: CACHE_HARNESS_REDIS_IMAGE=${b.tag} cache-harness gate --backend compose\n`,
      );
    });
}
