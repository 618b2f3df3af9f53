import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildRedisImage, dockerEngineAnswers, REDIS_IMAGE_ENV } from '../../src/cluster/index.js';
import { GATE_SUITES } from '../../src/gate-suites.js';
import { runCli, tmp } from '../../tests/support/cli.js';
import { testPortBase } from '../../tests/support/ports.js';

// The whole gate (every suite) on each backend, one after the other in one session: the image's build time and
// size, then each gate's wall time and its phases (up, provision, suites, down) from result.json. Checks that
// each gate ran every suite to a verdict and left no container or volume; never a speed. `npm run build` first
// (the gate runs from dist/). Needs a Docker engine for compose and containers (skipped with the reason otherwise).
const ENGINE = dockerEngineAnswers();
const report = (line: string) => {
  console.log(`[bench:backends] ${line}`);
};
const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

let image = '';
beforeAll(async () => {
  if (!ENGINE) return;
  const b = await buildRedisImage(undefined, () => undefined);
  image = b.tag;
  report(`image build: ${b.tag}, ${b.files} files, ${(b.sizeBytes / 1e6).toFixed(1)} MB, ${seconds(b.buildMs)}`);
}, 120_000);

function leftovers(base: number): string[] {
  if (!ENGINE) return [];
  const out = (args: string[]) =>
    execFileSync('docker', args, { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l !== '');
  const project = `label=com.docker.compose.project=cache-harness-${base}`;
  return [
    ...out(['ps', '-a', '--filter', project, '--format', '{{.Names}}']),
    ...out(['ps', '-a', '--filter', `name=cache-harness-${base}-`, '--format', '{{.Names}}']),
    ...out(['volume', 'ls', '--filter', project, '--format', '{{.Name}}']),
  ];
}

async function gate(backend: 'local' | 'compose' | 'containers', slot: number): Promise<void> {
  const base = await testPortBase(slot);
  const reports = tmp();
  const t0 = performance.now();
  const r = await runCli(['gate', '--backend', backend, '--port-base', String(base), '--reports', reports], {
    env: { [REDIS_IMAGE_ENV]: image },
    timeoutMs: 1_500_000,
    timeoutSignal: 'SIGTERM',
  });
  const wallMs = performance.now() - t0;
  const json = /^json: +(.*)$/m.exec(r.stdout)?.[1];
  expect(json, r.stderr.slice(-3000)).toBeDefined();
  const doc = JSON.parse(readFileSync(json ?? join(reports, 'none'), 'utf8')) as {
    exit_code: number;
    timings_ms: Record<string, number>;
    suites: Array<{ name: string; status: string; duration_ms: number; skip_reason?: string }>;
  };
  const t = doc.timings_ms;
  report(
    `gate --backend ${backend}: exit ${r.code}, ${seconds(wallMs)} wall (up ${seconds(t.up)}, provision ${seconds(t.provision)}, suites ${seconds(t.suites)}, down ${seconds(t.down)})`,
  );
  report(`  ${r.stdout.split('\n')[0] ?? ''}`);
  for (const s of doc.suites) report(`  ${s.name}: ${s.status} in ${seconds(s.duration_ms)}${s.skip_reason ? ` (${s.skip_reason})` : ''}`);
  // Every suite reached a verdict (a harness error is exit 2), and nothing of the run is left on the engine.
  expect(doc.suites.map((s) => s.name)).toEqual(GATE_SUITES.map((s) => s.name));
  expect(r.code, r.stderr.slice(-3000)).not.toBe(2);
  expect(leftovers(base)).toEqual([]);
}

describe('the gate on each backend, in one session', () => {
  it('local processes', { timeout: 1_600_000 }, () => gate('local', 71));
  const noEngine = ENGINE ? '' : ' (skipped: no Docker engine answers)';
  it.skipIf(!ENGINE)(`docker compose${noEngine}`, { timeout: 1_600_000 }, () => gate('compose', 73));
  it.skipIf(!ENGINE)(`testcontainers${noEngine}`, { timeout: 1_600_000 }, () => gate('containers', 75));
});
