import { basename } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Integration files that take longest (seconds in a clean-clone CI run, 2 cores, 4 files at once), started first.
 * In a fresh clone vitest has no timings and starts files in path order, so a 60 s file starting last made the
 * whole run ~40 s longer than its work. Files not listed keep vitest's own order after these.
 */
const SLOW_FIRST: Readonly<Record<string, number>> = {
  'persistence-suite.test.ts': 64,
  'container-backends.test.ts': 42,
  'bench.test.ts': 60,
  'gate-slo.test.ts': 54,
  'blast-radius-suite.test.ts': 50,
  'gate-pass.test.ts': 46,
  'rolling-restart.test.ts': 41,
  'compare-detects.test.ts': 39,
  'capacity-run.test.ts': 36,
  'quota-suite.test.ts': 29,
  'cli.test.ts': 29,
  'failover.test.ts': 22,
  'gate-fail-closed.test.ts': 21,
};

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const weight = (f: TestSpecification) => SLOW_FIRST[basename(f.moduleId)] ?? 0;
    // A stable sort: within a project (vitest keeps projects apart) the listed files first, longest first.
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => (a.f.project.name === b.f.project.name ? weight(b.f) - weight(a.f) : 0) || a.i - b.i)
      .map((x) => x.f);
  }
}
