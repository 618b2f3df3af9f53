import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkAuth,
  checkBindLoopback,
  checkTopology,
  collectAuthFacts,
  collectTopology,
  diffConfig,
  expectedSettings,
  readConfig,
  type Drift,
} from '../../src/checks/index.js';
import { formatSlotRanges, hostPort } from '../../src/cluster/index.js';
import { recordFinding } from '../support/findings.js';
import { expectNone } from '../support/expect-none.js';
import { openSuiteContext, type SuiteContext } from '../support/context.js';

let ctx: SuiteContext;
beforeAll(async () => {
  ctx = await openSuiteContext();
});
afterAll(async () => {
  await ctx?.close();
});

describe('config conformance', () => {
  it("every node's live CONFIG matches the spec", async ({ task }) => {
    const expected = expectedSettings(ctx.spec);
    const drifts: Drift[] = [];
    for (const n of ctx.nodes) drifts.push(...diffConfig(n.name, expected, await readConfig(n.client, expected.keys())));
    recordFinding(task, {
      severity: drifts.length ? 'error' : 'info',
      title: drifts.length
        ? `${drifts.length} setting(s) differ from the spec`
        : `${expected.size} settings match the spec on ${ctx.nodes.length} nodes`,
      ...(drifts.length ? { data: drifts } : {}),
    });
    expect(ctx.nodes.length, 'nodes reached').toBeGreaterThan(0);
    expectNone(drifts, 'setting(s) differ from the spec', (d) => `${d.node}: ${d.key} expected "${d.expected}", got "${d.actual}"`);
  });

  it('topology: masters with in-sync replicas as the spec pairs them, all slots covered, none open', async ({ task }) => {
    const snap = await collectTopology(ctx.target);
    const problems = checkTopology(ctx.spec, snap, ctx.target.nodeNames);
    recordFinding(task, {
      severity: problems.length ? 'error' : 'info',
      title: problems.length ? `${problems.length} topology problem(s)` : 'topology matches the spec',
      data: problems.length
        ? problems
        : snap.nodes.map((n) => ({
            node: ctx.target.nodeNames?.[String(n.port)] ?? '',
            address: hostPort(n),
            role: n.role,
            slots: formatSlotRanges(n.slots),
            master: n.masterId ? (ctx.target.nodeNames?.[String(snap.nodes.find((m) => m.id === n.masterId)?.port)] ?? n.masterId) : '',
          })),
    });
    expectNone(problems, 'topology problem(s)', (p) => `${p.node ? `${p.node}: ` : ''}${p.message} [${p.rule}]`);
  });

  it('auth: requirepass and masterauth set, no passwordless user, anonymous clients refused', async ({ task }) => {
    const problems = [];
    for (const n of ctx.nodes) problems.push(...checkAuth(await collectAuthFacts(n.name, n.client, n.info)));
    if (problems.length) recordFinding(task, { severity: 'error', title: `${problems.length} auth problem(s)`, data: problems });
    expect(ctx.nodes.length).toBeGreaterThan(0);
    expectNone(problems, 'auth problem(s)', (p) => `${p.node}: ${p.message}`);
  });

  it('bind: every node listens on loopback only', async () => {
    const problems = [];
    for (const n of ctx.nodes) {
      const cfg = await readConfig(n.client, ['bind']);
      problems.push(...checkBindLoopback(n.name, cfg.get('bind') ?? ''));
    }
    expect(ctx.nodes.length).toBeGreaterThan(0);
    expectNone(problems, 'bind problem(s)', (p) => `${p.node}: ${p.message}`);
  });
});
