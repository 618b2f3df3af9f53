import type { Target } from '../../cluster/index.js';
import type { Spec } from '../../spec/index.js';
import type { OpTable } from '../op-table.js';
import type { BenchTopology } from '../topology.js';

export const DRIVERS = ['resp', 'ioredis', 'tenant-cache'] as const;
export type DriverName = (typeof DRIVERS)[number];

/** A reply arrived (or failed): `status` is REPLY_OK, REPLY_NIL or REPLY_ERROR (then `error` says what). */
export type OnComplete = (op: number, start: number, now: number, status: number, error?: string) => void;

/** Sends op-table operations to the cluster and reports each completion with the start it was given. */
export interface Driver {
  readonly name: DriverName;
  /** Queue one op; it goes out with the other ops of this tick. */
  send(op: number, start: number): void;
  /** Ops sent and not yet answered. */
  inFlight(): number;
  /** Every op still unanswered (for the drain deadline). */
  forEachPending(fn: (op: number, start: number) => void): void;
  close(): Promise<void>;
}

/** A provisioned tenant the tenant-cache driver connects as. */
export interface TenantCredentials {
  tenant: string;
  aclUser: string;
  password: string;
  /** Its meta config as stored (`tenant-meta:<id>`, parsed). */
  meta: unknown;
}

export interface DriverContext {
  spec: Spec;
  table: OpTable;
  /** tenant-cache driver only. */
  tenants?: TenantCredentials[];
  target: Target;
  topology: BenchTopology;
  /** Connections per master node. */
  connections: number;
  onComplete: OnComplete;
  /** Called when an op cannot even be sent (its connection is gone). */
  onFailed: (start: number, message: string) => void;
}

/** A growable FIFO of (op, start) pairs: replies on one connection come back in send order. */
export class PendingRing {
  private ops: Int32Array;
  private starts: Float64Array;
  private head = 0;
  private tail = 0;
  size = 0;

  constructor(capacity = 1024) {
    this.ops = new Int32Array(capacity);
    this.starts = new Float64Array(capacity);
  }

  push(op: number, start: number): void {
    if (this.size === this.ops.length) this.grow();
    this.ops[this.tail] = op;
    this.starts[this.tail] = start;
    this.tail = (this.tail + 1) % this.ops.length;
    this.size++;
  }

  /** Pop the oldest; returns its op and leaves its start in `lastStart`. -2 when empty. */
  shift(): number {
    if (this.size === 0) return -2;
    const op = this.ops[this.head] ?? -2;
    this.lastStart = this.starts[this.head] ?? 0;
    this.head = (this.head + 1) % this.ops.length;
    this.size--;
    return op;
  }

  lastStart = 0;

  forEach(fn: (op: number, start: number) => void): void {
    for (let k = 0, j = this.head; k < this.size; k++, j = (j + 1) % this.ops.length) fn(this.ops[j] ?? 0, this.starts[j] ?? 0);
  }

  private grow(): void {
    const n = this.ops.length * 2;
    const ops = new Int32Array(n);
    const starts = new Float64Array(n);
    for (let k = 0, j = this.head; k < this.size; k++, j = (j + 1) % this.ops.length) {
      ops[k] = this.ops[j] ?? 0;
      starts[k] = this.starts[j] ?? 0;
    }
    this.ops = ops;
    this.starts = starts;
    this.head = 0;
    this.tail = this.size;
  }
}
