/** The connection structure and workload both sides of a comparison share. */
export interface PeerStructure {
  masters: number;
  connectionsPerMaster: number;
  /** Requests in flight per connection. */
  pipeline: number;
  valueBytes: number;
  /** Distinct keys, drawn uniformly. */
  keyspace: number;
  durationS: number;
}

/** One run of a peer tool (or of ours) for one op. */
export interface PeerRun {
  tool: 'ours' | 'redis-benchmark' | 'memtier';
  op: 'set' | 'get';
  opsPerSec: number;
  count: number;
  p50Us: number;
  p99Us: number;
  /** The process's CPU over this run, and per op. */
  cpuMs: number;
  cpuUsPerOp: number;
  wallMs: number;
  /** The command line, password redacted. */
  command: string;
}
