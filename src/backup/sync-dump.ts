import { connect, type Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { hostPort, type Credentials, type NodeAddress } from '../cluster/index.js';
import { errorMessage, HarnessError } from '../errors.js';

// A consistent RDB of one master over the replication protocol, as `redis-cli --rdb` takes it: AUTH,
// `REPLCONF rdb-only 1` (7.0+: the master sends the snapshot and no command stream after it), `SYNC`.
// The master forks (BGSAVE) and sends `$<length>\r\n<RDB>`; we announce no `capa eof`, so it never uses
// the diskless `$EOF:<mark>` form whose length is unknown up front. Works for any node we can log in to,
// local or not, and needs no access to its files; the password goes in the AUTH command, never on a
// command line. The RDB is handed on as a stream (never whole in memory).

/** Longest wait for the master's fork and first byte; SYNC sends a newline every second meanwhile. */
const DEFAULT_TIMEOUT_MS = 120_000;

export interface RdbDump {
  /** The RDB bytes, exactly `length` of them. */
  stream: Readable;
  length: number;
  /** Resolves when the stream has been read whole (and the connection closed). */
  done: Promise<void>;
}

function encode(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** Ask `addr` for an RDB snapshot; resolves once the length is known, with the body as a stream. */
export function dumpRdb(addr: NodeAddress, creds: Credentials, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RdbDump> {
  const where = hostPort(addr);
  return new Promise((resolve, reject) => {
    const sock: Socket = connect({ host: addr.host, port: addr.port });
    const out = new PassThrough();
    let header = Buffer.alloc(0);
    // One command at a time: SYNC is refused while replies to earlier commands are still pending.
    const steps: Array<{ what: 'AUTH' | 'REPLCONF' | 'SYNC'; args: string[] }> = [];
    if (creds.password !== undefined)
      steps.push({ what: 'AUTH', args: creds.username ? ['AUTH', creds.username, creds.password] : ['AUTH', creds.password] });
    steps.push({ what: 'REPLCONF', args: ['REPLCONF', 'rdb-only', '1'] }, { what: 'SYNC', args: ['SYNC'] });
    let step = 0;
    const sendStep = () => {
      const s = steps[step];
      if (s) sock.write(encode(s.args));
    };
    let remaining = -1;
    let settled = false;
    let failed = false;
    let finish: () => void = () => undefined;
    let fail: (err: Error) => void = () => undefined;
    const done = new Promise<void>((res, rej) => {
      finish = res;
      fail = rej;
    });
    done.catch(() => undefined);
    const timer = setTimeout(() => abort(new HarnessError(`${where}: no RDB from SYNC within ${timeoutMs} ms`)), timeoutMs);

    function abort(err: Error): void {
      clearTimeout(timer);
      sock.destroy();
      if (failed) return;
      failed = true;
      if (!settled) {
        settled = true;
        reject(err);
      } else {
        out.destroy(err);
        fail(err);
      }
    }

    sock.once('connect', sendStep);
    sock.on('error', (err) => abort(new HarnessError(`${where}: SYNC failed: ${errorMessage(err)}`)));
    sock.on('close', () => {
      if (remaining !== 0) abort(new HarnessError(`${where}: the connection closed before the RDB was complete`));
    });
    sock.on('data', (chunk: Buffer) => {
      if (remaining > 0) {
        const body = chunk.subarray(0, remaining);
        remaining -= body.length;
        if (!out.write(body)) sock.pause();
        if (remaining === 0) end();
        return;
      }
      if (remaining === 0) return; // the command stream after the RDB (older servers): ignored
      header = Buffer.concat([header, chunk]);
      for (;;) {
        // Keep-alive newlines while the master forks.
        while (header[0] === 0x0a) header = header.subarray(1);
        const eol = header.indexOf('\r\n');
        if (eol < 0) return;
        const line = header.subarray(0, eol).toString();
        header = header.subarray(eol + 2);
        const what = steps[step]?.what;
        if (line.startsWith('-')) {
          // An old server without rdb-only: it then streams commands after the RDB, which we ignore.
          if (what !== 'REPLCONF') return abort(new HarnessError(`${where}: ${what ?? 'SYNC'} refused: ${line.slice(1)}`));
        }
        if (line.startsWith('-') || line.startsWith('+')) {
          if (what === 'SYNC') continue; // e.g. +FULLRESYNC from a PSYNC-speaking proxy: the bulk follows
          step++;
          sendStep();
          continue;
        }
        if (line.startsWith('$EOF:'))
          return abort(new HarnessError(`${where}: the master sent a diskless (EOF-marked) RDB, which we did not ask for`));
        if (line.startsWith('$')) {
          const length = Number(line.slice(1));
          if (!Number.isInteger(length) || length < 0)
            return abort(new HarnessError(`${where}: bad RDB length line ${JSON.stringify(line)}`));
          remaining = length;
          clearTimeout(timer);
          settled = true;
          out.on('drain', () => sock.resume());
          resolve({ stream: out, length, done });
          const body = header.subarray(0, remaining);
          header = Buffer.alloc(0);
          remaining -= body.length;
          if (body.length > 0) out.write(body);
          if (remaining === 0) end();
          return;
        }
        return abort(new HarnessError(`${where}: unexpected reply to SYNC: ${JSON.stringify(line.slice(0, 80))}`));
      }
    });

    function end(): void {
      out.end();
      sock.destroy();
      finish();
    }
  });
}
