import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localNodeControl } from '../../src/cluster/index.js';
import { rollingProblems, runRollingRestart, type RollingRunResult } from '../../src/faults/rolling-run.js';
import { formatSeconds, formatUs } from '../../src/format/index.js';
import { openSuiteContext, type SuiteContext } from '../support/context.js';
import { expectNone } from '../support/expect-none.js';
import { recordFinding } from '../support/findings.js';
import { skipByPolicy } from '../support/outcome.js';

// A rolling restart under traffic (issue 11): every node restarted in turn the safe way (replicas, then each master
// through CLUSTER FAILOVER to its replica and back) while one real tenant per master runs a paced open loop in its
// own thread (src/faults/rolling-run.ts). Fails when failed ops pass `failover.rollingRestartMaxFailedOps`, when
// the restart does not complete, or when the cluster does not end as the spec describes.
const RATE_PER_TENANT = 300; // ops/s: a modest, steady tenant on every shard
/** Each step is bounded (stop, start, rejoin, role switch: 30 s each); 12 steps stay far below this. */
const TEST_TIMEOUT_MS = 15 * 60_000;

let ctx: SuiteContext;

beforeAll(async () => {
  ctx = await openSuiteContext();
}, 30_000);

afterAll(async () => {
  await ctx?.close();
});

describe('rolling-restart: every node restarted in turn under traffic, no op lost, the cluster as the spec says', () => {
  it(
    'replicas, then each master by failover and fail-back; failed ops within the spec, the cluster ends as the spec describes',
    async (tctx) => {
      const { task } = tctx;
      if (!ctx.target.destructive) skipByPolicy(tctx, 'restarts every node: needs a destructive target (--allow-destructive)');
      const { runDir, password } = ctx.target;
      if (ctx.target.backend !== 'local' || !runDir || password === undefined) {
        recordFinding(task, {
          severity: 'warning',
          title: `skipped: the harness can restart nodes only on the local backend (this is ${ctx.target.backend})`,
        });
        skipByPolicy(tctx, 'restarting nodes needs process control: local backend only');
      }
      const r: RollingRunResult = await runRollingRestart(ctx.target, localNodeControl(runDir, password), ctx.spec, {
        ratePerSec: RATE_PER_TENANT,
      });
      const problems = rollingProblems(r, ctx.spec);
      const severity = problems.length === 0 ? 'info' : 'error';
      recordFinding(task, {
        severity,
        title: `rolling restart: ${r.restart.steps.length} step(s) in ${formatSeconds(r.restart.ms)}${r.restart.completed ? '' : ` (stopped at ${r.restart.stoppedAt ?? '?'})`}; ${r.failed_ops} failed op(s) of ${r.ops}; worst latency ${formatUs(r.worst_latency_us)} (${r.worst_latency_tenant}); end state: ${r.restart.topologyProblems.length === 0 ? 'as the spec describes' : r.restart.topologyProblems.join('; ')}`,
        detail: `client retries: ${r.client_retries}`,
        data: r.restart.steps.map((s, i) => ({ step: i + 1, node: s.node, action: s.action, ms: s.ms, detail: s.detail })),
      });
      recordFinding(task, {
        severity,
        title: `traffic during the restart: ${r.rate_per_tenant} ops/s per tenant, one tenant per master`,
        data: r.tenants.map((t) => ({
          tenant: t.tenant,
          module: t.module,
          shard: t.shard,
          ops: t.ops,
          failed_ops: t.failed_ops,
          first_errors: t.errors.join('; '),
          p99_us: t.p99_us,
          p99_9_us: t.p99_9_us,
          max_us: t.max_us,
          send_lag_p99_us: t.send_lag_p99_us,
        })),
      });
      expect(r.ops, 'ops sent during the restart').toBeGreaterThan(0);
      expectNone(problems, 'problem(s) with the rolling restart', (p) => p);
    },
    TEST_TIMEOUT_MS,
  );
});
