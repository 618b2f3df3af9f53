import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { requireBinary, withPrivateUmask } from '../cluster/index.js';
import { HarnessError } from '../errors.js';
import { redact } from '../redact.js';

// Restore reads an RDB by letting redis-server itself load it: a throwaway standalone server (not a
// cluster node: no cluster mode, no TCP port, no password) on a unix socket in a private 0700 folder,
// then DUMP/PTTL of every key. Parsing the RDB format ourselves would be a second, worse RDB loader.
// A standalone server loads a cluster node's RDB (the slots live in nodes.conf, not in the RDB) and
// drops keys that expired since the dump, as a restarted master would.

export interface RdbReader {
  client: Redis;
  /** Keys the server loaded (DBSIZE after load). */
  keys: number;
  close(): Promise<void>;
}

const LOAD_TIMEOUT_MS = 120_000;

/** Readers running now, so a signal handler can kill them (they are not detached: they die with us anyway on SIGKILL of the group). */
const running = new Set<ChildProcess>();

/** Kill every RDB reader this process started (on SIGINT/SIGTERM, or at exit). */
export function killRdbReadersSync(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}

/** Start redis-server on `dir/<dbfilename>` (a 0700 folder of ours) and connect to it. */
export async function openRdbReader(dir: string, dbfilename: string): Promise<RdbReader> {
  const bin = requireBinary('redis-server');
  const sock = join(dir, 'reader.sock');
  const [cmd, args] = withPrivateUmask(bin, [
    '--port',
    '0',
    '--unixsocket',
    sock,
    '--unixsocketperm',
    '700',
    '--dir',
    dir,
    '--dbfilename',
    dbfilename,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--logfile',
    '',
    '--protected-mode',
    'yes',
    '--enable-debug-command',
    'no',
  ]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const onData = (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  running.add(child);
  let exited = false;
  child.once('exit', () => {
    exited = true;
    running.delete(child);
  });
  const stop = async () => {
    if (exited) return;
    child.kill('SIGKILL');
    for (let i = 0; i < 100 && !exited; i++) await sleep(20);
  };
  try {
    const deadline = Date.now() + LOAD_TIMEOUT_MS;
    while (!/ready to accept connections/i.test(log) || !existsSync(sock)) {
      if (exited)
        throw new HarnessError(`redis-server could not load ${dbfilename}: ${redact(log.trim().split('\n').slice(-3).join(' | '))}`);
      if (Date.now() > deadline) throw new HarnessError(`redis-server did not load ${dbfilename} within ${LOAD_TIMEOUT_MS / 1000} s`);
      await sleep(20);
    }
    const client = new Redis({ path: sock, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    await client.connect();
    const keys = Number(await client.dbsize());
    return {
      client,
      keys,
      close: async () => {
        client.disconnect();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
