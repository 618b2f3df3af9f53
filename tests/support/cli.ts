import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_SPEC_PATH } from '../../src/spec/index.js';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../../src/program.js';

export const CLI = fileURLToPath(new URL('../../bin/cache-harness.js', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Sent when the time is up (default SIGKILL); SIGTERM lets a gate tear its cluster down first. */
  timeoutSignal?: NodeJS.Signals;
  /** Another build's bin/cache-harness.js (e.g. a copy of the project); default this project's. */
  bin?: string;
  /** May act on progress lines (e.g. send SIGINT). */
  onStderr?: (text: string, pid: number) => void;
}

/** Run the built CLI (dist/) as a user would. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [opts.bin ?? CLI, ...args], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (child.pid !== undefined) opts.onStderr?.(stderr, child.pid);
    });
    const timer = setTimeout(() => child.kill(opts.timeoutSignal ?? 'SIGKILL'), opts.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface ProgramRun {
  /** Commander's help and version text, and everything the action wrote to process.stdout. */
  stdout: string;
  /** Commander's usage errors, and everything the action wrote to process.stderr (progress lines). */
  stderr: string;
  /** What parseAsync threw: a CommanderError (help and version too, with exitCode 0) or the action's own error. */
  error?: unknown;
}

/**
 * Parse `args` (what follows `cache-harness`) with the real program of src/program.ts, in this process,
 * capturing its output. The same program as the bin, minus src/cli.ts's mapping of errors to exit codes.
 */
export async function runProgram(args: readonly string[]): Promise<ProgramRun> {
  const run: ProgramRun = { stdout: '', stderr: '' };
  const program = await buildProgram({
    args,
    output: {
      writeOut: (s) => {
        run.stdout += s;
      },
      writeErr: (s) => {
        run.stderr += s;
      },
    },
  });
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  const text = (s: string | Uint8Array) => (typeof s === 'string' ? s : Buffer.from(s).toString());
  process.stdout.write = (s: string | Uint8Array) => {
    run.stdout += text(s);
    return true;
  };
  process.stderr.write = (s: string | Uint8Array) => {
    run.stderr += text(s);
    return true;
  };
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    run.error = err;
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  return run;
}

/** runProgram, resolving to stdout; rejects with whatever parseAsync threw. */
export async function programStdout(args: readonly string[]): Promise<string> {
  const r = await runProgram(args);
  if ('error' in r) throw r.error;
  return r.stdout;
}

/** redis-server processes whose title names one of these ports (redis sets "redis-server 127.0.0.1:<port>"). */
export function redisOnPorts(base: number, count = 6): string[] {
  let out: string;
  try {
    out = execFileSync('pgrep', ['-a', 'redis-server'], { encoding: 'utf8' });
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
  const ports = Array.from({ length: count }, (_, i) => `:${base + i}`);
  return out.split('\n').filter((l) => ports.some((p) => l.includes(`${p} `) || l.endsWith(p)));
}

/** The default spec with some top-level sections replaced, written to a temp file. */
export function specWith(overrides: Record<string, unknown>): string {
  const doc = { ...(parse(readFileSync(DEFAULT_SPEC_PATH, 'utf8')) as Record<string, unknown>), ...overrides };
  const path = join(tmp(), 'spec.yaml');
  writeFileSync(path, stringify(doc));
  return path;
}

/** A fresh temp directory for one test's files and reports. */
export const tmp = (): string => mkdtempSync(join(tmpdir(), 'cache-harness-cli-'));
