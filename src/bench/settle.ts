import { formatSeconds } from '../format/duration.js';
import { sampleTargetActivity, type NodeActivity, type TargetNodes } from './target-activity.js';

export interface SettleOptions {
  /** Give up waiting after this long (the run goes on; the forks are counted in its quality block). */
  timeoutMs: number;
  /** No fork may have started for this long before the measurement starts. */
  quietMs: number;
  /**
   * May the harness snapshot the target itself (BGSAVE where writes are unsaved) so no `save` rule comes
   * due during the run? Only on a cluster it owns or may change.
   */
  snapshot: boolean;
  log?: (line: string) => void;
}

export interface SettleReport {
  waitedMs: number;
  settled: boolean;
  /** Nodes the harness asked to BGSAVE. */
  snapshots: string[];
}

const POLL_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Let persistence settle before measuring: a prefill of tens of thousands of keys trips `save` rules
 * and AOF rewrites on every node, and a fork in the measured window puts a latency spike in it.
 * Waits until no node forks and none has forked for `quietMs`; with `snapshot`, first resets the
 * save clock of nodes with unsaved writes, so a rule like `save 60 1000` cannot come due mid-run.
 */
export async function settlePersistence(t: TargetNodes, o: SettleOptions): Promise<SettleReport> {
  const t0 = performance.now();
  const deadline = t0 + o.timeoutMs;
  const snapshots: string[] = [];
  await waitQuiet(t, o.quietMs, deadline);
  if (o.snapshot) {
    const before = await sampleTargetActivity(t);
    for (const n of before.filter((x) => !x.forking && (x.changesSinceSave > 0 || x.aofNearRewrite))) {
      const client = t.nodes.find((x) => x.address === n.address)?.client;
      // "Background saving started", or an error if one already runs: either way it is under way. An AOF
      // rewrite first, when the AOF has grown toward its automatic one (it resets the AOF's base size).
      if (n.aofNearRewrite) await client?.bgrewriteaof().catch(() => undefined);
      // SCHEDULE: after the rewrite, if one runs (Redis refuses a BGSAVE during it).
      if (n.changesSinceSave > 0) await client?.call('BGSAVE', 'SCHEDULE').catch(() => undefined);
      snapshots.push(n.address);
    }
    if (snapshots.length > 0)
      o.log?.(
        `persistence: BGSAVE / BGREWRITEAOF on ${snapshots.length} node(s) with unsaved writes or a grown AOF, so no save rule or rewrite comes due during the run`,
      );
  }
  const settled = await waitQuiet(t, o.quietMs, deadline);
  const waitedMs = Math.round(performance.now() - t0);
  if (!settled) o.log?.(`persistence did not settle within ${Math.round(o.timeoutMs / 1000)} s: forks during the run will be counted`);
  else if (waitedMs > 1000) o.log?.(`persistence settled after ${formatSeconds(waitedMs)}`);
  return { waitedMs, settled, snapshots };
}

/** True once no node forks and the fork counters have not moved for `quietMs`; false at the deadline. */
async function waitQuiet(t: TargetNodes, quietMs: number, deadline: number): Promise<boolean> {
  let last: NodeActivity[] = await sampleTargetActivity(t);
  let quietSince = performance.now();
  for (;;) {
    const now = performance.now();
    if (!last.some((n) => n.forking) && now - quietSince >= quietMs) return true;
    if (now >= deadline) return false;
    await sleep(POLL_MS);
    const next = await sampleTargetActivity(t);
    if (next.some((n, i) => n.forking || n.forks !== last[i]?.forks)) quietSince = performance.now();
    last = next;
  }
}
