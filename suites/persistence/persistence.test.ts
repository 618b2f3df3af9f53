import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removePartition, measurePartitionLoss, partitionUnsupported, type PartitionLossResult } from '../../src/faults/partition.js';
import { EVERYSEC_BOUND_MS, EVERYSEC_MARGIN_MS, judgeAofLoss, measureAofLoss } from '../../src/faults/persistence.js';
import { openSuiteContext, type SuiteContext } from '../support/context.js';
import { recordFinding } from '../support/findings.js';
import { skipByPolicy } from '../support/outcome.js';

// Durability of acknowledged writes under two faults (Jepsen's question: was what the cluster said "OK" to kept?):
// a master SIGKILLed with AOF on and restarted from its files before any failover, and a master cut off from the
// majority by a network partition while a client on its side keeps writing. Both need process control of the
// nodes (the local backend) and a destructive target; the partition also needs root and iptables.

let ctx: SuiteContext;

beforeAll(async () => {
  ctx = await openSuiteContext();
});

afterAll(async () => {
  await ctx?.close();
});

type Tctx = Parameters<typeof skipByPolicy>[0];

function requireOwned(tctx: Tctx): void {
  if (!ctx.target.destructive) skipByPolicy(tctx, 'kills and partitions a master: needs a destructive target (--allow-destructive)');
  if (ctx.target.backend !== 'local' || !ctx.target.runDir || !ctx.target.password)
    skipByPolicy(tctx, `needs process control of the nodes: local backend only (this is ${ctx.target.backend})`);
}

/** The local cluster's port base: its lowest node port (the chain and cgroups are named after it). */
function portBase(): number {
  return Math.min(...ctx.target.seeds.map((s) => s.port));
}

/** The spec's nth master (by name), so each partition run takes another shard. */
function masterName(nth: number): string | undefined {
  const masters = ctx.spec.topology.masters;
  return masters[nth % masters.length]?.name;
}

describe('persistence', () => {
  it('AOF everysec: acknowledged writes lost when a master is SIGKILLed and restarted from its files', async (tctx) => {
    requireOwned(tctx);
    const spec = ctx.spec.redis;
    const r = await measureAofLoss({ target: ctx.target });
    const verdict = judgeAofLoss(r);
    recordFinding(tctx.task, {
      severity: verdict ? 'error' : 'info',
      title:
        `${r.master} SIGKILLed with appendonly ${r.appendonly}, appendfsync ${r.appendfsync} (spec: ${String(spec.appendonly)}, ${String(spec.appendfsync)}), ` +
        `replica ${r.replica} paused: ${r.check.lost} of ${r.writes.acked} acknowledged writes lost` +
        (r.lostSpanMs === null ? '' : ` over ${r.lostSpanMs} ms`) +
        ` (bound ${EVERYSEC_BOUND_MS} ms + ${EVERYSEC_MARGIN_MS} ms margin; ${r.ackedLastSecond} writes were acked in the last second before the kill)`,
      detail:
        `A SIGKILL is a process crash: what Redis had written to the AOF stays in the page cache, so everysec's 1-second window applies to a machine crash, which this run does not cause. ` +
        `Restarted in ${r.restartMs} ms, cluster ok in ${r.recoveredMs} ms.${r.notes.length ? ` ${r.notes.join('; ')}.` : ''}`,
      data: [
        {
          ...r.writes,
          errors: JSON.stringify(r.writes.errors),
          lost: r.check.lost,
          stale: r.check.stale,
          lostSpanMs: r.lostSpanMs ?? '-',
          failedOver: r.failedOver,
        },
      ],
    });
    expect(verdict).toBeNull();
  });

  // One master each: a shard that failed over less than 2 x node-timeout ago waits that long for votes again.
  const variants: Array<{ label: string; minReplicasToWrite: number; minReplicasMaxLagS?: number; nth: number }> = [
    { label: 'without min-replicas-to-write', minReplicasToWrite: 0, nth: 0 },
    { label: "min-replicas-to-write 1, the node's min-replicas-max-lag", minReplicasToWrite: 1, nth: 1 },
    { label: 'min-replicas-to-write 1, min-replicas-max-lag 2 (below node-timeout)', minReplicasToWrite: 1, minReplicasMaxLagS: 2, nth: 2 },
  ];
  for (const v of variants) {
    it(`partition (root only): writes the isolated master acknowledged and lost, ${v.label}`, async (tctx) => {
      requireOwned(tctx);
      const why = partitionUnsupported();
      if (why) {
        recordFinding(tctx.task, { severity: 'warning', title: `partition not tested: ${why}` });
        skipByPolicy(tctx, why);
      }
      let r: PartitionLossResult;
      const steps: string[] = [];
      const t0 = Date.now();
      try {
        const { nth, label: _label, ...settings } = v;
        r = await measurePartitionLoss({
          target: ctx.target,
          portBase: portBase(),
          master: masterName(nth),
          ...settings,
          log: (l) => steps.push(`${Date.now() - t0} ms: ${l}`),
        });
      } catch (err) {
        recordFinding(tctx.task, { severity: 'error', title: `the partition run did not complete (${v.label})`, detail: steps.join('\n') });
        throw err;
      } finally {
        removePartition(portBase());
      }
      recordFinding(tctx.task, {
        severity: r.lostAckedByIsolated > 0 ? 'warning' : 'info',
        title:
          `${r.isolated} partitioned (${v.label}, max-lag ${r.minReplicasMaxLagS} s): it acknowledged ${r.ackedByIsolatedDuringPartition} writes after the cut, ` +
          `${r.lostAckedByIsolated} of them lost after the heal; ${r.promoted} promoted after ${r.promotionMs} ms`,
        detail:
          `Partition held ${r.partitionMs} ms; the old master rejoined as a replica ${r.rejoinMs} ms after the heal` +
          `${r.roleRestored ? ' and took its role back (CLUSTER FAILOVER)' : '; it did NOT take its role back'}.` +
          (r.leftoverRemoved.length ? ` Removed a leftover of an earlier run: ${r.leftoverRemoved.join(', ')}.` : ''),
        data: [
          {
            attempted: r.writes.attempted,
            acked: r.writes.acked,
            errors: JSON.stringify(r.writes.errors),
            lost: r.check.lost,
            stale: r.check.stale,
          },
        ],
      });
      // What was lost is the measurement; the checks are that the partition took, nothing acked came back changed,
      // and the cluster ended as the spec lays it out.
      expect(r.promoted).not.toBe(r.isolated);
      expect(r.check.stale).toBe(0);
      expect(r.roleRestored).toBe(true);
    }, 240_000); // every wait of a run is bounded (30 s each), their sum is not under vitest's default 120 s
  }
});
