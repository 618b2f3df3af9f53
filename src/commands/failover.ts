import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { localNodeControl, resolveTarget, resumeAllPaused, withCleanupOnSignal } from '../cluster/index.js';
import { errorMessage, HarnessError } from '../errors.js';
import { failoverViolations, restoreNode, runFailover, type FailoverResult, type FaultKind } from '../faults/failover.js';
import { renderTable } from '../format/table.js';
import { loadSpec } from '../spec/index.js';
import { progress } from './progress.js';

export interface FailoverCommandOptions {
  spec: string;
  portBase: number;
  node?: string;
  fault: FaultKind;
  json?: string;
}

/**
 * `cache-harness failover`: one fault into one master of the local cluster `up` started, under traffic over
 * every shard; prints the figures, writes them as JSON with --json, exits 1 when a failover limit is broken.
 */
export async function failoverCommand(o: FailoverCommandOptions): Promise<void> {
  const spec = loadSpec(o.spec);
  const target = resolveTarget({ portBase: o.portBase }, { load: true });
  const runDir = target.runDir;
  if (runDir === undefined)
    throw new HarnessError('failover needs a local cluster', `start one with \`cache-harness up --port-base ${o.portBase}\``);
  const node = o.node ?? spec.topology.masters[0]?.name;
  if (node === undefined) throw new HarnessError('the spec has no master', 'name one with --node');
  const control = localNodeControl(runDir, target.password ?? '');
  control.node(node); // exit 2 naming the nodes when it is not one of them
  const jsonPath = o.json !== undefined ? resolve(o.json) : undefined;
  if (jsonPath !== undefined) {
    try {
      writeFileSync(jsonPath, ''); // writable, before any fault
    } catch (err) {
      throw new HarnessError(`cannot write --json ${jsonPath}: ${errorMessage(err)}`, 'name a file in a writable folder');
    }
  }

  // Ctrl-C: resume or start the faulted node, so the cluster is left whole.
  const result = await withCleanupOnSignal(
    { run: () => restoreNode(control, node), emergency: resumeAllPaused },
    () => runFailover(target, control, spec, { node, fault: o.fault, log: progress }),
    progress,
  );
  const violations = failoverViolations(result, spec.failover.maxWindowMs);
  if (jsonPath !== undefined)
    writeFileSync(jsonPath, `${JSON.stringify({ ...result, max_window_ms: spec.failover.maxWindowMs, violations }, null, 2)}\n`);
  process.stdout.write(summary(result, spec.failover.maxWindowMs, violations));
  process.exitCode = violations.length > 0 ? 1 : 0;
}

const ms = (v: number | null) => (v === null ? '-' : `${(v / 1000).toFixed(2)} s`);

function summary(r: FailoverResult, maxWindowMs: number, violations: readonly string[]): string {
  const lines = [
    `failover: ${r.fault} ${r.node} (cluster-node-timeout ${r.node_timeout_ms} ms)`,
    `window ${ms(r.window_ms)} (limit ${ms(maxWindowMs)}) · promoted ${r.promoted ?? 'none'} (spec: ${r.expected_promoted ?? 'none'}) after ${ms(r.promotion_ms)} · recovered ${ms(r.recovered_ms)} · rejoined as ${r.rejoined_as ?? 'no'}`,
    `acked writes lost: with WAIT ${r.acked_writes_lost ?? '-'} of ${r.acked_writes.wait?.acked ?? '-'}, without ${r.acked_writes_lost_no_wait ?? '-'} of ${r.acked_writes.plain?.acked ?? '-'}`,
    renderTable([
      ['shard', 'ops', 'failed', 'window', 'errors', 'p99 during event', 'max during event'],
      ...r.shards.map((s) => [
        s.name,
        String(s.ops),
        String(s.failed),
        s.recovered ? ms(s.windowMs) : `${ms(s.windowMs)} (open)`,
        Object.entries(s.errors)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '-',
        `${(s.latencyDuringEvent.p99_us / 1000).toFixed(1)} ms`,
        `${(s.latencyDuringEvent.max_us / 1000).toFixed(1)} ms`,
      ]),
    ]),
    r.layout_diff_after_fault.length > 0
      ? `after the fault: ${r.layout_diff_after_fault.join('; ')}`
      : 'after the fault: layout as the spec',
    r.failed_back ? `failed back to ${r.node}` : '',
    r.layout_diff_end.length > 0 ? `at the end: ${r.layout_diff_end.join('; ')}` : 'at the end: layout as the spec',
    ...r.notes.map((n) => `note: ${n}`),
    violations.length > 0 ? `FAIL: ${violations.join('; ')}` : 'PASS',
  ];
  return `${lines.filter((l) => l !== '').join('\n')}\n`;
}
