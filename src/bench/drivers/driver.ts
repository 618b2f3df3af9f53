import type { Target } from '../../cluster/index.js';
import type { Spec } from '../../spec/index.js';
import type { OpTable } from '../op-table.js';
import type { OpenSchedule, SenderReport } from '../open-loop-sender.js';
import type { PacingOptions } from '../pacer.js';
import type { BenchTopology } from '../topology.js';

export const DRIVERS = ['resp', 'ioredis', 'tenant-cache'] as const;
export type DriverName = (typeof DRIVERS)[number];

/**
 * A reply arrived (or failed): `intended` is when the op was due, `sentAt` when it was written, `now` when its
 * reply was read (ms); `status` is REPLY_OK, REPLY_NIL or REPLY_ERROR (then `error` says what).
 */
export type OnComplete = (op: number, intended: number, sentAt: number, now: number, status: number, error?: string) => void;

/** Sends op-table operations to the cluster and reports each completion with the times it was given. */
export interface Driver {
  readonly name: DriverName;
  /** Send one op from this thread now (it goes out with the other ops of this tick). */
  send(op: number, intended: number): void;
  /** Ops sent and not yet answered. */
  inFlight(): number;
  /** Every op still unanswered (for the drain deadline). */
  forEachPending(fn: (op: number, intended: number, sentAt: number) => void): void;
  /**
   * Run an open-loop schedule in a sender thread that writes to the sockets itself (the resp driver):
   * precise sends without busy-polling this thread's event loop, which only reads replies.
   */
  runOpenLoop?(schedule: OpenSchedule, pacing: PacingOptions, signal?: AbortSignal): Promise<SenderReport>;
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
  /** Most ops in flight on one connection; more wait for room (resp driver; others bound the total). */
  maxInFlightPerConn: number;
  onComplete: OnComplete;
}
