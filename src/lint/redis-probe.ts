import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePortBase, withPrivateUmask } from '../cluster/index.js';
import { redact } from '../redact.js';
import type { LintIssue } from './static-rules.js';

/** Most fatal lines a file can have before we stop retrying. */
const MAX_ROUNDS = 40;

/**
 * Run the real redis-server on the config (throwaway port, loopback, temp dir) and report every
 * line it rejects. Redis stops at the first bad line, so each rejected line is commented out and
 * the file is tried again until Redis starts or fails for a reason that is not a config line.
 */
export async function probeWithRedis(bin: string, text: string): Promise<LintIssue[]> {
  const issues: LintIssue[] = [];
  const lines = text.split('\n');
  const work = mkdtempSync(join(tmpdir(), 'cache-harness-lint-'));
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const port = await findFreePortBase(20000 + Math.floor(Math.random() * 20000), 1);
      const conf = join(work, 'redis.conf');
      writeFileSync(conf, lines.join('\n'), { mode: 0o600 });
      const run = await startOnce(bin, conf, port, work);
      if (run.kind === 'started') return issues;
      if (run.kind === 'config-error' && run.line !== null && run.line <= lines.length) {
        issues.push({ line: run.line, severity: 'error', rule: 'redis-rejects', message: `redis-server: ${run.reason}` });
        lines[run.line - 1] = '# (disabled by lint-config)';
        continue;
      }
      issues.push({ line: null, severity: 'error', rule: 'redis-rejects', message: `redis-server did not start: ${run.reason}` });
      return issues;
    }
    return issues;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

type Attempt = { kind: 'started' } | { kind: 'config-error'; line: number | null; reason: string } | { kind: 'other'; reason: string };

/** Overrides come after the file's lines, so the file's own line numbers stay as Redis reports them. */
function startOnce(bin: string, conf: string, port: number, dir: string): Promise<Attempt> {
  return new Promise((resolve) => {
    const [cmd, args] = withPrivateUmask(bin, [
      conf,
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--daemonize',
      'no',
      '--dir',
      dir,
      '--logfile',
      '',
      '--save',
      '',
      '--appendonly',
      'no',
      '--syslog-enabled',
      'no',
    ]);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) {
        child.kill('SIGKILL');
        resolve({ kind: 'started' });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', () => {
      clearTimeout(timer);
      const fatal = /FATAL CONFIG FILE ERROR[\s\S]*?at line (\d+)\s*\n>>> '(.*)'\s*\n(.*)/.exec(out);
      // redis-server echoes the line it refused, which may be `requirepass <password>`.
      if (fatal)
        resolve({ kind: 'config-error', line: Number(fatal[1]), reason: redact(`${(fatal[3] ?? '').trim()} (>>> '${fatal[2]}')`) });
      else resolve({ kind: 'other', reason: redact(out.trim().split('\n').slice(-3).join(' | ')) || 'exited with no output' });
    });
  });
}
