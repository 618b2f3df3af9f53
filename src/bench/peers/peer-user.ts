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
 * file) and deletes it afterwards, success or not.
 */
export async function withPeerUser<T>(nodes: TargetNodes, fn: (c: PeerCredentials) => Promise<T>): Promise<T> {
  const c: PeerCredentials = { username: `cache-harness-peer-${randomBytes(4).toString('hex')}`, password: randomBytes(24).toString('hex') };
  const rule = [
    'on', `>${c.password}`, 'resetkeys', ...PEER_KEY_PATTERNS.map((p) => `~${p}`), 'resetchannels', '-@all',
    '+set', '+get', '+ping', '+auth', '+hello', '+select', '+info', '+command',
    '+cluster|nodes', '+cluster|slots', '+cluster|shards', '+cluster|info', '+config|get', '+client|setname',
  ];
  const created: TargetNodes['nodes'] = [];
  try {
    for (const n of nodes.nodes) {
      await n.client.call('ACL', 'SETUSER', c.username, ...rule);
      created.push(n);
    }
    return await fn(c);
  } finally {
    await Promise.all(created.map((n) => n.client.call('ACL', 'DELUSER', c.username).catch(() => undefined)));
  }
}
