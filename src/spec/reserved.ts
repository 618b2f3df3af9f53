/**
 * redis.conf directives the spec's `redis:` section may not set, each with the reason. The harness sets
 * the first group itself (src/cluster/render-conf.ts) from the topology and `security:`, so a `redis:`
 * entry would override them (a later line wins in redis.conf); the others open a listener, a file path,
 * a login or a command a tenant must never reach, or change the cluster's own wiring.
 */
export const RESERVED_DIRECTIVES: ReadonlyMap<string, string> = new Map([
  // Set by the harness (render-conf.ts).
  ['port', 'the harness gives each node its port from --port-base'],
  ['bind', 'set from security.bind (loopback only)'],
  ['protected-mode', 'always yes: the harness sets it'],
  ['daemonize', 'always no: the harness owns the process and must see it exit'],
  ['dir', "set by the harness (the node's run directory)"],
  ['logfile', 'set by the harness'],
  ['cluster-enabled', 'always yes: the harness runs a cluster'],
  ['cluster-config-file', 'set by the harness, one per node'],
  ['requirepass', 'set from security.requirePassword and the run password, never from the spec'],
  ['masterauth', 'set with requirepass, from the run password'],
  ['aclfile', "set by the harness: tenants' ACL users persist there"],
  // Logins and commands.
  ['masteruser', 'replication logs in as the default user with masterauth'],
  ['user', 'ACL users come from the aclfile (tenant provisioning), never from redis.conf'],
  ['rename-command', 'renaming commands breaks the ACL allow-lists and the harness'],
  ['enable-debug-command', 'DEBUG can crash or stall a node: keep the default (no)'],
  ['enable-module-command', 'MODULE LOAD runs arbitrary code: keep the default (no)'],
  ['enable-protected-configs', 'lets CONFIG SET change dir, dbfilename and the like at runtime: keep the default (no)'],
  ['loadmodule', 'loads arbitrary code into every node'],
  ['include', 'pulls in settings the spec does not show and the config suite cannot compare'],
  // Files.
  ['dbfilename', 'a file path: with dir, it chooses where the node writes'],
  ['appenddirname', 'a file path: with dir, it chooses where the node writes'],
  ['pidfile', 'a file path outside the run directory'],
  // Other listeners.
  ['unixsocket', 'a second listener next to the loopback port'],
  ['unixsocketperm', 'a second listener next to the loopback port'],
  ['tls-port', 'a second listener next to the loopback port'],
  // Cluster wiring.
  ['cluster-port', 'the bus port is the client port + 10000 (src/cluster/ports.ts)'],
  ['cluster-announce-ip', 'nodes announce the loopback address they bind'],
  ['cluster-announce-hostname', 'nodes announce the loopback address they bind'],
  ['cluster-announce-port', 'nodes announce the port they listen on'],
  ['cluster-announce-bus-port', 'nodes announce the port they listen on'],
  ['cluster-announce-tls-port', 'nodes announce the port they listen on'],
  ['replicaof', 'replicas come from topology.replicas (CLUSTER REPLICATE)'],
  ['slaveof', 'replicas come from topology.replicas (CLUSTER REPLICATE)'],
  ['replica-announce-ip', 'replicas announce the loopback address they bind'],
  ['slave-announce-ip', 'replicas announce the loopback address they bind'],
]);
