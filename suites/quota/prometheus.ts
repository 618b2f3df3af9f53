import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { isPortFree } from '../../src/cluster/index.js';

/**
 * A real Prometheus (Debian's `prometheus` 2.42) for one suite: its own temp dir, 127.0.0.1 only,
 * scrape and evaluation every second, the given rule files. `stop()` always kills it (SIGTERM, then
 * SIGKILL) and removes the dir; a process 'exit' hook does the same if the suite dies first.
 */
export interface PrometheusServer {
  url: string;
  pid: number;
  query(expr: string): Promise<VectorSample[]>;
  rules(): Promise<RuleGroup[]>;
  stop(): Promise<void>;
}

export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

const vectorReply = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('vector'),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })),
  }),
});
const ruleGroup = z.object({
  name: z.string(),
  file: z.string(),
  rules: z.array(z.object({ name: z.string(), health: z.string(), lastError: z.string().optional(), state: z.string().optional() })),
});
export type RuleGroup = z.infer<typeof ruleGroup>;
const rulesReply = z.object({ status: z.literal('success'), data: z.object({ groups: z.array(ruleGroup) }) });

/** First free port in [from, to] (checked on 127.0.0.1). */
export async function freePort(from: number, to: number, avoid: readonly number[] = []): Promise<number> {
  for (let p = from; p <= to; p++) if (!avoid.includes(p) && (await isPortFree(p))) return p;
  throw new Error(`no free port in ${from}-${to}`);
}

function httpGetText(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
  });
}

export interface StartPrometheusOptions {
  port: number;
  /** host:port of the exporter to scrape. */
  scrapeTarget: string;
  ruleFiles: readonly string[];
  readyTimeoutMs?: number;
}

export async function startPrometheus(o: StartPrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cache-harness-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      ...o.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
      'scrape_configs:',
      '  - job_name: cache-harness-exporter',
      '    scrape_timeout: 1s',
      '    static_configs:',
      `      - targets: [${JSON.stringify(o.scrapeTarget)}]`,
      '',
    ].join('\n'),
  );
  const check = spawnSync('promtool', ['check', 'config', config], { encoding: 'utf8', timeout: 30_000 });
  if (check.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`promtool check config failed:\n${check.stdout}${check.stderr}`);
  }
  const logPath = join(dir, 'prometheus.log');
  const logFd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${o.port}`,
        '--storage.tsdb.retention.time=1h',
      ],
      { stdio: ['ignore', logFd, logFd] },
    );
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error('prometheus did not start (no pid)');
  }
  let exited = false;
  const exitedP = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, 10_000);
      await exitedP;
      clearTimeout(timer);
    }
    process.off('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${o.port}`;
  const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) {
      const log = readFileSync(logPath, 'utf8').split('\n').slice(-15).join('\n');
      await stop();
      throw new Error(`prometheus exited at start:\n${log}`);
    }
    const ready = await httpGetText(`${url}/-/ready`, 1000).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready on ${url} within ${o.readyTimeoutMs ?? 30_000} ms`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    pid,
    query: async (expr) => {
      const r = await httpGetText(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      if (r.status !== 200) throw new Error(`query ${expr}: HTTP ${r.status} ${r.body}`);
      return vectorReply.parse(JSON.parse(r.body)).data.result.map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
    },
    rules: async () => {
      const r = await httpGetText(`${url}/api/v1/rules`);
      if (r.status !== 200) throw new Error(`rules: HTTP ${r.status} ${r.body}`);
      return rulesReply.parse(JSON.parse(r.body)).data.groups;
    },
    stop,
  };
}
