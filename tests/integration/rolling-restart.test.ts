import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isOurRedis, readState } from '../../src/cluster/index.js';
import { topologyDifferences } from '../../src/faults/rolling-restart.js';
import { listTenants, withAdminSession } from '../../src/provision/index.js';
import { redisOnPorts, runCli, tmp } from '../support/cli.js';
import { gateResult } from '../support/gate-result.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { testPortBase } from '../support/ports.js';

// The rolling restart: the `rolling-restart` suite through the gate, judged on the result document; the verb's
// input errors; and an interrupted run, which must leave every node running and no tenant behind.
const step = z.object({ step: z.number(), node: z.string(), action: z.string(), ms: z.number(), detail: z.string() });
const traffic = z.object({ tenant: z.string(), shard: z.string(), ops: z.number(), failed_ops: z.number(), max_us: z.number() });
let c: TestCluster | undefined;
afterAll(async () => {
  await c?.stop();
});

describe('rolling restart', () => {
  it('gate --suites rolling-restart: 12 steps in the safe order, traffic on every shard with 0 failed ops, the cluster as the spec says', async () => {
    const base = await testPortBase(40);
    const reports = tmp();
    const g = await runCli(['gate', '--port-base', String(base), '--reports', reports, '--suites', 'rolling-restart'], {
      timeoutMs: 240_000,
    });
    const d = gateResult(g);
    expect(g.code, g.stderr + g.stdout).toBe(0);
    const suite = d.suites.find((s) => s.name === 'rolling-restart');
    expect(suite?.status).toBe('passed');
    const findings = suite?.checks.flatMap((ch) => ch.findings) ?? [];
    const steps = z.array(step).parse(findings[0]?.data);
    expect(steps.map((s) => `${s.action} ${s.node}`)).toEqual([
      'restart replica redis-4',
      'restart replica redis-5',
      'restart replica redis-6',
      ...[
        ['redis-1', 'redis-4'],
        ['redis-2', 'redis-5'],
        ['redis-3', 'redis-6'],
      ].flatMap(([m, r]) => [`failover to replica ${r}`, `restart demoted master ${m}`, `fail back ${m}`]),
    ]);
    expect(findings[0]?.title).toMatch(/; 0 failed op\(s\) of \d+; worst latency .*; end state: as the spec describes$/);
    const tenants = z.array(traffic).parse(findings[1]?.data);
    expect(tenants.map((t) => t.shard)).toEqual(['redis-1', 'redis-2', 'redis-3']);
    for (const t of tenants) {
      expect(t.ops, t.tenant).toBeGreaterThan(0);
      expect(t.failed_ops, t.tenant).toBe(0);
      expect(t.max_us, t.tenant).toBeGreaterThan(0);
    }
    expect(redisOnPorts(base)).toEqual([]);
  });

  it('rolling-restart refuses bad input with exit 2', async () => {
    const rate = await runCli(['rolling-restart', '--rate', '0']);
    expect(rate.code).toBe(2);
    expect(rate.stderr).toMatch(/--rate.*ops\/s from 1 to 5000/);
    const base = await testPortBase(41);
    const none = await runCli(['rolling-restart', '--port-base', String(base)]);
    expect(none.code, none.stderr).toBe(2);
    expect(none.stderr).toMatch(/no local cluster of ours on port base \d+|is not running/);
  });

  it('Ctrl-C mid-run: the step in flight finishes, no new one starts, every node runs, the tenants are removed', async () => {
    c = await startTestCluster(42);
    let sent = false;
    const r = await runCli(['rolling-restart', '--port-base', String(c.portBase), '--rate', '100'], {
      timeoutMs: 120_000,
      onStderr: (text, pid) => {
        if (!sent && text.includes('step 2/12 (restart replica redis-5)...')) {
          sent = true;
          process.kill(pid, 'SIGINT');
        }
      },
    });
    expect(sent, r.stderr).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/stopped at step 3\/12 \(restart replica redis-6\): interrupted before it started/);
    for (const n of readState(c.run.runDir).nodes) expect(isOurRedis(n.pid, n.port), n.name).toBe(true);
    expect(await topologyDifferences(c.target, c.spec)).toEqual([]);
    const left = await withAdminSession(c.target, async (s) => (await listTenants(s)).tenants.map((t) => t.tenant));
    expect(left.filter((t) => t.startsWith('rr-'))).toEqual([]);
  });
});
