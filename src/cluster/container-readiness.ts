import { errorMessage, HarnessError } from '../errors.js';
import type { NodeLayout } from '../spec/index.js';
import { hostPort } from './address.js';
import type { StartedNode } from './create-cluster.js';
import { closeNode, connectNode } from './node-client.js';
import { waitUntil } from './wait.js';

/**
 * An admin connection to each containerised node once it answers PING (a node still loading answers LOADING:
 * not up yet). `gone` says why a node can no longer come up (its container exited), to fail at once.
 */
export async function connectWhenUp(
  layout: readonly NodeLayout[],
  host: string,
  password: string,
  timeoutMs: number,
  gone: (node: NodeLayout) => Promise<string | null> = () => Promise.resolve(null),
): Promise<StartedNode[]> {
  const started: StartedNode[] = [];
  try {
    for (const node of layout) {
      const addr = { host, port: node.port };
      await waitUntil(
        `${node.name} (${hostPort(addr)}) to accept connections`,
        async () => {
          const why = await gone(node);
          if (why !== null) throw new HarnessError(`${node.name} cannot start: ${why}`);
          const c = await connectNode(addr, { password }, 500).catch((err: unknown) => errorMessage(err));
          if (typeof c === 'string') return c;
          const pong = await c.ping().then(
            () => true,
            (err: unknown) => errorMessage(err),
          );
          if (pong === true) started.push({ layout: node, client: c });
          else await closeNode(c);
          return pong;
        },
        timeoutMs,
        200,
      );
    }
    return started;
  } catch (err) {
    await Promise.all(started.map((s) => closeNode(s.client)));
    throw err;
  }
}
