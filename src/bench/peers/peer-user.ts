import { randomBytes } from 'node:crypto';
import type { TargetNodes } from '../target-activity.js';

/** What a peer benchmark tool logs in as. */
export interface PeerCredentials {
  username: string;
  password: string;
}

/** Key patterns the peer tools write: redis-benchmark's cluster keys and our memtier prefix. */
export const PEER_KEY_PATTERNS = ['key:*', 'cache-harness-memtier:*'] as const;

/**
 * redis-benchmark and memtier take a password only on their command line, where `ps` shows it. So they
 * never get the admin password: each comparison creates a throwaway ACL user on every node (random
 * name and password, its own key patterns, just the commands the tools send, never saved to the ACL
 * file). `remove` deletes it wherever it was made; the comparison calls it on success, failure and Ctrl-C.
 */
export async function createPeerUser(nodes: TargetNodes): Promise<{ credentials: PeerCredentials; remove: () => Promise<void> }> {
  const c: PeerCredentials = {
    username: `cache-harness-peer-${randomBytes(4).toString('hex')}`,
    password: randomBytes(24).toString('hex'),
  };
  const rule = [
    'on',
    `>${c.password}`,
    'resetkeys',
    ...PEER_KEY_PATTERNS.map((p) => `~${p}`),
    'resetchannels',
    '-@all',
    '+set',
    '+get',
    '+ping',
    '+auth',
    '+hello',
    '+select',
    '+info',
    '+command',
    '+cluster|nodes',
    '+cluster|slots',
    '+cluster|shards',
    '+cluster|info',
    // Never +config|get: `CONFIG GET requirepass` answers the admin password in clear, and this user's
    // password is on a command line. redis-benchmark only warns ("Could not fetch server CONFIG").
    '+client|setname',
  ];
  const created: TargetNodes['nodes'] = [];
  const remove = async () => {
    await Promise.all(created.splice(0).map((n) => n.client.call('ACL', 'DELUSER', c.username).catch(() => undefined)));
  };
  try {
    for (const n of nodes.nodes) {
      created.push(n);
      await n.client.call('ACL', 'SETUSER', c.username, ...rule);
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { credentials: c, remove };
}
