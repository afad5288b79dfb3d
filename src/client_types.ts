/**
 * The client's events and stats.
 *
 * @module
 */

import type { PoolStats } from "./pool/pool.ts";
import type { CacheStats } from "./cache/types.ts";
import type { FailoverDetail } from "./sentinel/follower.ts";

/** The `detail` of each event the client emits. */
export interface ClientEventMap {
  /** A connection opened. */
  connect: { address: string };
  /** A connection finished its handshake and takes commands. */
  ready: { address: string };
  /** A connection attempt failed or a connection was lost; trying again. */
  reconnecting: { attempt: number; delay: number; error: Error };
  /** A connection failed. */
  error: { error: Error };
  /** A lease was garbage-collected without release; `stack` is where it was acquired. */
  leak: { stack: string; heldMs: number };
  /** A lease has been held longer than `longHoldWarning`. */
  longhold: { stack: string | undefined; heldMs: number };
  /**
   * A Sentinel client moved to another node: the master changed (or, with
   * `sentinel.role: "replica"`, the replica it reads from).
   */
  failover: FailoverDetail;
  /** The client closed. */
  close: Record<string, never>;
}

/** The pool's stats, and for a Sentinel client the address in use. */
export interface ClientStats extends PoolStats {
  /** Sentinel clients: the master's (or replica's) address now. */
  master?: string;
  /** With `cache`: what the client-side cache holds and has done. */
  cache?: CacheStats;
}

/** A listener for one of the client's events. */
export type ClientEventListener<K extends keyof ClientEventMap> = (
  event: CustomEvent<ClientEventMap[K]>,
) => void;
