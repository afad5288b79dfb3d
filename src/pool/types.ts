/**
 * The pool's types: its settings, what it is built from (a connection
 * factory, a lease factory), what a lease needs of it, and what it reports.
 *
 * @module
 */

import type {
  CommandOptions,
  ConnectionEvents,
  ReplyMapper,
} from "../connection/connection.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { RetryPolicy } from "../policy/retry.ts";
import type { PoolConnection, Slot } from "./_slot.ts";
import type { LeaseState } from "./_reset.ts";
import type { LeakDetection } from "./_leaks.ts";

/** Everything the pool needs to know, with defaults filled in. */
export interface PoolSettings {
  readonly max: number;
  readonly min: number;
  /** The most connections leases may hold at once (`max - 1` by default). */
  readonly maxLeases: number;
  readonly acquireTimeout: number;
  readonly idleTimeout: number;
  readonly maxLifetime: number;
  readonly healthCheckInterval: number;
  /** Which leases are tracked and which record their acquire stack. */
  readonly leakDetection: LeakDetection;
  readonly longHoldWarning: number;
  readonly maxQueued: number;
  readonly commandTimeout: number;
  readonly connectTimeout: number;
  readonly db: number;
  /** The connection name leases are reset to. */
  readonly name?: string;
  readonly retry: RetryPolicy;
  readonly reconnect: RetryPolicy;
  /**
   * PING a shared connection idle longer than this, in milliseconds, so a
   * dead one is found (0 or absent: never).
   */
  readonly probeInterval?: number;
}

/** Makes a connection that reports to the given hooks. */
export type ConnectionFactory<C extends PoolConnection> = (
  events: ConnectionEvents & { idle(): void },
) => C;

/** Makes the object a caller of `acquire` gets for a leased slot. */
export type LeaseFactory<L extends object> = (
  owner: LeaseOwner,
  slot: Slot,
) => L;

/** What a lease needs from its pool. */
export interface LeaseOwner {
  /** The default command timeout, in milliseconds. */
  readonly commandTimeout: number;
  /** The configured database (leases track SELECT against it). */
  readonly db: number;
  /** Sends a command on the shared connections (CLIENT UNBLOCK). */
  run<T>(
    args: readonly CommandArg[],
    map?: ReplyMapper<T>,
    options?: CommandOptions,
  ): Promise<T>;
  /** Returns the lease's connection, undoing `state`. */
  releaseLease(slot: Slot, lease: object, state: LeaseState): Promise<void>;
  /** Destroys the lease's connection instead. */
  destroyLease(slot: Slot, lease: object, error?: Error): void;
}

/** Options of `acquire`. */
export interface AcquireOptions {
  /** Gives up waiting when aborted, rejecting with the signal's reason. */
  signal?: AbortSignal;
  /**
   * How long to wait for a connection, in milliseconds (`Infinity`: no
   * limit).
   *
   * @default {the pool's acquireTimeout}
   */
  timeout?: number;
}

/** A snapshot of the pool's sizes and counters. */
export interface PoolStats {
  /** Connections open or opening. */
  total: number;
  /** Open connections with nothing in flight and no lease. */
  idle: number;
  /** Connections held by leases (subscriptions and blocking commands too). */
  leased: number;
  /** Callers waiting in `acquire`. */
  waiting: number;
  /** Commands queued while no connection is usable. */
  queued: number;
  /** Commands written or queued on connections, awaiting replies. */
  inFlight: number;
  /** Connections opened since the pool was made. */
  created: number;
  /** Connections closed or lost since the pool was made. */
  destroyed: number;
  /** Leases garbage-collected without being released. */
  leaks: number;
  /** Commands that timed out. */
  timeouts: number;
  /** Attempts to reconnect after a failure. */
  reconnects: number;
  /** Commands tried again after a connection failure. */
  retries: number;
}

/** Emits the pool's events; returns whether anyone listened. */
export type PoolEmitter = (type: string, detail: unknown) => boolean;
