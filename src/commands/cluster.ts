import {
  closeNode,
  connectNode,
  formatSlotRanges,
  hostPort,
  killLocalClusterSync,
  liveNodes,
  withCleanupOnSignal,
  openLocalRun,
  parseClusterNodes,
  parseInfo,
  stopLocalCluster,
  upLocalCluster,
  runDirFor,
} from '../cluster/index.js';
import { renderTable } from '../format/table.js';
import { loadSpec } from '../spec/index.js';
import { progress } from './progress.js';

export async function upCommand(o: { spec: string; portBase: number }): Promise<void> {
  const spec = loadSpec(o.spec);
  const t0 = Date.now();
  let spawnedIn: string | undefined;
  // Ctrl-C while starting: stop what was spawned, leave nothing behind.
  const run = await withCleanupOnSignal(
    {
      run: async () => {
        if (spawnedIn) await stopLocalCluster(spawnedIn);
      },
      emergency: () => {
        if (spawnedIn) killLocalClusterSync(spawnedIn);
      },
    },
    () =>
      upLocalCluster(spec, {
        portBase: o.portBase,
        specPath: o.spec,
        log: progress,
        onSpawning: (d) => {
          spawnedIn = d;
        },
      }),
    progress,
  );
  progress(`up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  process.stdout.write(
    `cluster ${spec.name} is up on ${run.state.host}:${o.portBase}-${o.portBase + run.state.nodes.length - 1}\n` +
      `run dir: ${run.runDir} (admin password in ${run.runDir}/password, mode 0600)\n` +
      `stop it with: cache-harness down --port-base ${o.portBase}\n`,
  );
}

interface NodeStatus {
  name: string;
  port: number;
  pid: number;
  running: boolean;
  role: string;
  state: string;
  slots: string;
  masterOf: string;
}

export async function statusCommand(o: { portBase: number; json?: boolean }): Promise<void> {
  const run = openLocalRun(o.portBase);
  const alive = new Set(liveNodes(run.state).map((n) => n.name));
  const rows: NodeStatus[] = [];
  let topology: ReturnType<typeof parseClusterNodes> = [];
  for (const n of run.state.nodes) {
    const row: NodeStatus = {
      name: n.name,
      port: n.port,
      pid: n.pid,
      running: alive.has(n.name),
      role: '-',
      state: 'down',
      slots: '',
      masterOf: '',
    };
    if (row.running) {
      try {
        const c = await connectNode({ host: run.state.host, port: n.port }, { password: run.password }, 1500);
        try {
          row.state = parseInfo(String(await c.call('CLUSTER', 'INFO'))).get('cluster_state') ?? '?';
          if (topology.length === 0) topology = parseClusterNodes(String(await c.call('CLUSTER', 'NODES')));
        } finally {
          await closeNode(c);
        }
      } catch (err) {
        row.state = `unreachable (${(err as Error).message.split('\n')[0]})`;
      }
    }
    rows.push(row);
  }
  const byPort = new Map(topology.map((t) => [t.port, t]));
  for (const r of rows) {
    const t = byPort.get(r.port);
    if (!t) continue;
    r.role = t.role;
    r.slots = formatSlotRanges(t.slots);
    const master = topology.find((m) => m.id === t.masterId);
    r.masterOf = master ? (rows.find((x) => x.port === master.port)?.name ?? hostPort(master)) : '';
  }
  if (o.json) {
    const { specName: spec, host, portBase, startedAt, redisVersion } = run.state;
    const nodes = rows.map(({ masterOf, ...r }) => ({ ...r, master: masterOf || null }));
    process.stdout.write(`${JSON.stringify({ runDir: run.runDir, spec, host, portBase, startedAt, redisVersion, nodes }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `run dir ${run.runDir} · spec ${run.state.specName} · Redis ${run.state.redisVersion} · started ${run.state.startedAt}\n`,
  );
  const table = rows.map((r) => [
    r.name,
    hostPort({ host: run.state.host, port: r.port }),
    `pid ${r.pid}`,
    r.role,
    r.state,
    r.slots || (r.masterOf ? `replica of ${r.masterOf}` : ''),
  ]);
  process.stdout.write(`${renderTable(table, { align: 'left' })}\n`);
}

export async function downCommand(o: { portBase: number; keepRunDir?: boolean }): Promise<void> {
  const run = openLocalRun(o.portBase);
  const n = await stopLocalCluster(run.runDir, { keepRunDir: o.keepRunDir ?? false });
  process.stdout.write(`stopped ${n} redis-server process(es) of ${runDirFor(o.portBase)}${o.keepRunDir ? ' (run dir kept)' : ''}\n`);
}
