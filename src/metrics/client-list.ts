import type { Redis } from 'ioredis';
import { CHANNELS, tenantOfAclUser, type Channel } from '../tenancy/index.js';

/**
 * Who is connected to the cluster, per tenant and channel, read from `CLIENT LIST` on every node (no
 * application involvement). The tenant comes from the connection's ACL user (`user=tenant-<id>`), which the
 * server authenticated; the channel from the name TenantCache sets (`CLIENT SETNAME <tenant>:<module>:<channel>`),
 * which the client chose: a name that is missing, malformed, names another tenant or an unknown channel
 * counts as channel `unknown`, so a client cannot add label values at will.
 */

export type ConnectionChannel = Channel | 'unknown';
export const UNKNOWN_CHANNEL = 'unknown';

/** The fields of one CLIENT LIST line this module reads. */
export interface ClientEntry {
  user: string;
  name: string;
}

/** Connections of one tenant on one channel, summed over the nodes read. */
export interface TenantConnections {
  tenant: string;
  channel: ConnectionChannel;
  connections: number;
}

/** Parse CLIENT LIST's text (one `key=value ...` line per connection; names never hold a space). Pure. */
export function parseClientList(text: string): ClientEntry[] {
  const out: ClientEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    let user = '';
    let name = '';
    for (const field of line.split(' ')) {
      const eq = field.indexOf('=');
      if (eq <= 0) continue;
      const key = field.slice(0, eq);
      if (key === 'user') user = field.slice(eq + 1);
      else if (key === 'name') name = field.slice(eq + 1);
    }
    out.push({ user, name });
  }
  return out;
}

/** The channel a connection's name declares for `tenant`, or `unknown`. */
export function channelOfName(name: string, tenant: string): ConnectionChannel {
  const parts = name.split(':');
  if (parts.length !== 3 || parts[0] !== tenant) return UNKNOWN_CHANNEL;
  const channel = parts[2];
  return CHANNELS.find((c) => c === channel) ?? UNKNOWN_CHANNEL;
}

/** Tenant connections per (tenant, channel); connections of non-tenant users (admin, replication, probe) are left out. */
export function tenantConnections(entries: Iterable<ClientEntry>): TenantConnections[] {
  const counts = new Map<string, TenantConnections>();
  for (const e of entries) {
    const tenant = tenantOfAclUser(e.user);
    if (tenant === null) continue;
    const channel = channelOfName(e.name, tenant);
    const id = `${tenant}\u0000${channel}`;
    const row = counts.get(id);
    if (row) row.connections++;
    else counts.set(id, { tenant, channel, connections: 1 });
  }
  return [...counts.values()].sort((a, b) => a.tenant.localeCompare(b.tenant) || a.channel.localeCompare(b.channel));
}

/** Percent (0-100) of each tenant's connections that declare channel mobile (unknown ones count as not mobile). */
export function mobileConnectionPercent(rows: readonly TenantConnections[]): Map<string, number> {
  const totals = new Map<string, { mobile: number; all: number }>();
  for (const r of rows) {
    const t = totals.get(r.tenant) ?? { mobile: 0, all: 0 };
    t.all += r.connections;
    if (r.channel === 'mobile') t.mobile += r.connections;
    totals.set(r.tenant, t);
  }
  return new Map([...totals].map(([tenant, t]) => [tenant, (100 * t.mobile) / t.all]));
}

/** CLIENT LIST of one node, as admin (live-read.ts runs it on every node in parallel). */
export async function readClientList(node: Pick<Redis, 'call'>): Promise<ClientEntry[]> {
  return parseClientList(String(await node.call('CLIENT', 'LIST')));
}
