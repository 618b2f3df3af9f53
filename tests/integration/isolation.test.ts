import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGET_ENV } from '../../src/cluster/index.js';
import { listTenants, usersOn, withAdminSession } from '../../src/provision/index.js';
import type { SuiteResult } from '../../src/report/index.js';
import { runSuites } from '../../src/runner/run-suites.js';
import { DEFAULT_SPEC_PATH } from '../../src/spec/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';

// Runs suites/isolation the way the gate does (runSuites, target in the environment) on a real local cluster.
let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster(2);
});
afterAll(async () => {
  await tc?.stop();
});

async function runIsolation(destructive: boolean): Promise<SuiteResult> {
  const lines: string[] = [];
  const [suite] = await runSuites({
    suites: ['isolation'],
    env: { [TARGET_ENV]: JSON.stringify({ ...tc.target, destructive }), CACHE_HARNESS_SPEC: DEFAULT_SPEC_PATH },
    log: (l) => lines.push(l),
  });
  if (!suite) throw new Error('no suite result');
  if (suite.status === 'failed') console.log(lines.join('\n'), JSON.stringify(suite, null, 2));
  return suite;
}

describe('suites/isolation on a live local cluster', () => {
  it('passes every check, including the node restart, on a target the harness owns', async () => {
    const s = await runIsolation(true);
    expect(s.errors).toEqual([]);
    expect(s.checks.map((c) => [c.name, c.status]).filter(([, st]) => st !== 'passed')).toEqual([]);
    expect(s.checks.length).toBeGreaterThanOrEqual(8);
    const restart = s.checks.find((c) => c.name.includes('survive a node restart'));
    expect(restart?.findings[0]?.title).toMatch(/restarted in \d+ ms; \d+ ACL users before and after: same/);
  }, 240_000);

  it('skips only the restart check, with its reason, on a non-destructive target', async () => {
    const s = await runIsolation(false);
    expect(s.errors).toEqual([]);
    const skipped = s.checks.filter((c) => c.status === 'skipped');
    expect(skipped.map((c) => c.name)).toEqual([expect.stringContaining('survive a node restart')]);
    expect(skipped[0]?.findings[0]?.title).toMatch(/allow-destructive/);
    expect(s.checks.filter((c) => c.status === 'failed')).toEqual([]);
  }, 240_000);

  it('leaves no tenant and no ACL user behind', async () => {
    await withAdminSession(tc.target, async (admin) => {
      expect((await listTenants(admin)).tenants.filter((t) => t.tenant.startsWith('iso-'))).toEqual([]);
      for (const n of admin.nodes) expect([...(await usersOn(n))].filter((u) => u.startsWith('tenant-iso-'))).toEqual([]);
    });
  });
});
