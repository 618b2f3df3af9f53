// Its own module, free of imports, so the CLI's help can list the suites without loading the gate.

/** Suites in gate order. `destructive` ones change the cluster and run only on a cluster the harness owns (or with --allow-destructive). */
export const GATE_SUITES: ReadonlyArray<{ name: string; destructive: boolean }> = [
  { name: 'config', destructive: false },
  // The suites below write (and delete) their own uniquely named tenants and keys only.
  { name: 'isolation', destructive: false },
  { name: 'sharding', destructive: false },
  { name: 'ttl', destructive: false },
  // quota creates ACL users, loads scripts and writes ~150k keys (removed again): owned clusters only
  { name: 'quota', destructive: true },
  // two tenants of its own; the aggressor's abuses (oversized value, unread replies, a connection flood,
  // raw writes past quota) stress a shared node: owned clusters only
  { name: 'blast-radius', destructive: true },
  // writes sample keys to the gate tenants (removed again), backs the cluster up and restores it into a second
  // local cluster on other ports (stopped at the end): owned clusters only
  { name: 'backup', destructive: true },
  // kills, then pauses, the first master under traffic (each failed back): its replica must take over within
  // failover.maxWindowMs with no write acked with WAIT lost; ends as the spec describes
  { name: 'failover', destructive: true },
  // restarts every node in turn (failover and fail-back of each master) under traffic; ends as the spec describes
  { name: 'rolling-restart', destructive: true },
  // SIGKILLs a master (AOF) and partitions one with iptables (root only; skipped with the reason otherwise) under
  // acked writes, reads them back; each master takes its role back, no rule or cgroup is left behind
  { name: 'persistence', destructive: true },
  // last: its load must not disturb the other suites; writes and removes cliente:bench-* keys only
  { name: 'perf', destructive: false },
];
