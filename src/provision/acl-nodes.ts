import { HarnessError, errorMessage } from '../errors.js';
import type { AdminNode } from './admin-session.js';

/** How a node keeps its ACL users across restarts. */
export type PersistMethod = 'acl-save' | 'config-rewrite';
export interface NodePersist {
  node: string;
  method: PersistMethod;
}

const NO_ACLFILE = /not configured to use an ACL file/i;

/**
 * ACL SAVE on every node (our local cluster runs with `aclfile`). A node without an aclfile refuses
 * ACL SAVE; there CONFIG REWRITE writes the users into redis.conf instead, and we say so.
 */
export async function persistAcl(nodes: readonly AdminNode[]): Promise<NodePersist[]> {
  return Promise.all(
    nodes.map(async (n): Promise<NodePersist> => {
      try {
        await n.client.call('ACL', 'SAVE');
        return { node: n.address, method: 'acl-save' };
      } catch (err) {
        if (!(err instanceof Error) || !NO_ACLFILE.test(err.message)) throw nodeError(n, 'ACL SAVE', err);
      }
      try {
        await n.client.call('CONFIG', 'REWRITE');
        return { node: n.address, method: 'config-rewrite' };
      } catch (err) {
        throw nodeError(n, 'CONFIG REWRITE (the node has no aclfile)', err);
      }
    }),
  );
}

/** Run many `ACL ...` commands on one node, pipelined in chunks; the first refused command is an error naming the node. */
export async function aclPipeline(node: AdminNode, commands: readonly string[][], chunk = 1000): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < commands.length; i += chunk) {
    const p = node.client.pipeline();
    for (const args of commands.slice(i, i + chunk)) p.call('ACL', ...args);
    const res = (await p.exec()) ?? [];
    for (const [err, value] of res) {
      if (err) throw nodeError(node, 'ACL', err);
      out.push(value);
    }
  }
  return out;
}

/** ACL DELUSER on every node; how many users each node deleted. Never throws on a missing user. */
export async function deleteUsers(
  nodes: readonly AdminNode[],
  users: readonly string[],
): Promise<Array<{ node: string; deleted: number }>> {
  if (users.length === 0) return nodes.map((n) => ({ node: n.address, deleted: 0 }));
  return Promise.all(
    nodes.map(async (n) => {
      const replies = await aclPipeline(
        n,
        chunked(users, 500).map((c) => ['DELUSER', ...c]),
      );
      return { node: n.address, deleted: replies.reduce<number>((a, r) => a + Number(r), 0) };
    }),
  );
}

/** The user names a node knows (ACL USERS). */
export async function usersOn(node: AdminNode): Promise<Set<string>> {
  return new Set(((await node.client.call('ACL', 'USERS')) as string[]).map(String));
}

/** ACL GETUSER as a plain object (flags, passwords, commands, keys...), or null when the node lacks the user. */
export async function getUser(node: AdminNode, user: string): Promise<Record<string, unknown> | null> {
  const reply = (await node.client.call('ACL', 'GETUSER', user)) as unknown[] | null;
  if (reply === null) return null;
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
  return out;
}

/** The user's password hashes on a node (what ACL GETUSER shows), so a missing copy can be rebuilt elsewhere. */
export async function passwordHashesOf(node: AdminNode, user: string): Promise<string[] | null> {
  const u = await getUser(node, user);
  if (u === null) return null;
  const p = u.passwords;
  return Array.isArray(p) ? p.map(String) : [];
}

function chunked<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

function nodeError(n: AdminNode, what: string, err: unknown): HarnessError {
  return new HarnessError(`${n.address}: ${what} failed: ${errorMessage(err)}`);
}
