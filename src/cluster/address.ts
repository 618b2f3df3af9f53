/** Where a node listens. A CLUSTER NODES entry (ClusterNodeInfo) is one, so is a target seed. */
export interface NodeAddress {
  host: string;
  port: number;
}

/** `host:port`: how reports, logs and errors name a node (and what CLUSTER NODES prints before the `@`). */
export function hostPort(n: NodeAddress): string {
  return `${n.host}:${n.port}`;
}

/** How reports name a node: its spec name where the harness started it (port → name), else `host:port`. */
export function nodeLabel(n: NodeAddress, nodeNames?: Readonly<Record<string, string>>): string {
  return nodeNames?.[String(n.port)] ?? hostPort(n);
}

const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Loopback: 127.0.0.0/8, ::1 and localhost, nothing else. 0.0.0.0 and :: are "every interface", the
 * opposite of loopback, so a bind to them is reported and load to them needs the operator's opt-in.
 */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost' || host === '::1') return true;
  const m = IPV4_LOOPBACK.exec(host);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}
