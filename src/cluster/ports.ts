import { createServer } from 'node:net';
import { HarnessError } from '../errors.js';

/** Redis Cluster's bus port is the client port + 10000. */
export const BUS_PORT_OFFSET = 10000;

/** True when nothing listens on host:port (we could bind it). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Every client port and bus port the cluster needs, or exit 2 naming the first taken one. */
export async function assertPortsFree(ports: readonly number[], host: string): Promise<void> {
  for (const port of ports) {
    for (const p of [port, port + BUS_PORT_OFFSET]) {
      if (p > 65535)
        throw new HarnessError(
          `port ${p} is out of range (bus port = client port + ${BUS_PORT_OFFSET})`,
          'choose a --port-base of 55529 or less',
        );
      if (!(await isPortFree(p, host))) {
        throw new HarnessError(
          `port ${host}:${p} is in use${p !== port ? ` (cluster bus port of ${port})` : ''}`,
          `stop what listens there, or choose another --port-base`,
        );
      }
    }
  }
}

/** First base >= start (stepping by `step`) whose `count` client and bus ports are all free. */
export async function findFreePortBase(start: number, count: number, host = '127.0.0.1', step = count): Promise<number> {
  for (let base = start; base + count - 1 + BUS_PORT_OFFSET <= 65535; base += step) {
    let free = true;
    for (let i = 0; i < count && free; i++) {
      free = (await isPortFree(base + i, host)) && (await isPortFree(base + i + BUS_PORT_OFFSET, host));
    }
    if (free) return base;
  }
  throw new HarnessError(`no free block of ${count} ports from ${start}`, 'free some ports or choose another base');
}
