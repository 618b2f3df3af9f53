import { connect, type Socket } from 'node:net';
import type { NodeAddress } from '../../src/cluster/index.js';
import { encodeCommand } from '../../src/bench/resp.js';

// A bare RESP connection, as a hostile client would hold one: it may send what ioredis never would (a bulk
// header past proto-max-bulk-len) and leave replies unread. Authenticated as a tenant's own ACL user only.

/** The first reply line the server sends (e.g. "+OK", "-ERR Protocol error: ..."), or "(closed)" if it closes first. */
export function firstLine(socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const done = (line: string) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onClose);
      resolve(line);
    };
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      const i = buf.indexOf('\r\n');
      if (i >= 0) done(buf.slice(0, i));
    };
    const onClose = () => done('(closed)');
    const timer = setTimeout(() => done(`(no reply in ${timeoutMs} ms)`), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onClose);
  });
}

/** Connect to one node and AUTH as `user`; rejects unless the server answers +OK. Errors after that are swallowed (the caller watches `close`). */
export async function rawConnect(node: NodeAddress, user: string, password: string, timeoutMs = 3000): Promise<Socket> {
  const socket = connect({ host: node.host, port: node.port });
  socket.on('error', () => {
    // a reset after the server cut us is the expected outcome of some abuses; `close` follows
  });
  const reply = firstLine(socket, timeoutMs);
  socket.write(encodeCommand(['AUTH', user, password]));
  const line = await reply;
  if (line !== '+OK') {
    socket.destroy();
    throw new Error(`AUTH as ${user} on ${node.host}:${node.port}: ${line.startsWith('-') ? line.slice(1) : line}`);
  }
  return socket;
}

/** Close a raw connection and wait for it to be closed (bounded). */
export function rawClose(socket: Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.destroy();
  });
}
