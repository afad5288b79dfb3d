/**
 * The cluster client's public types: its events, its stats, and the
 * options of `acquire()`.
 *
 * @module
 */

import type { CacheStats } from "../cache/types.ts";
import type { AcquireOptions, PoolStats } from "../pool/pool.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { TopologyChange } from "./topology.ts";

/** The `detail` of each event a cluster emits. */
export interface ClusterEventMap {
  /** A connection to `node` opened. */
  connect: { address: string; node: string };
  /** A connection to `node` finished its handshake. */
  ready: { address: string; node: string };
  /** Connecting to `node` failed or a connection was lost; trying again. */
  reconnecting: { attempt: number; delay: number; error: Error; node: string };
  /** A connection to `node` failed. */
  error: { error: Error; node: string };
  /** A lease on `node` was garbage-collected without release. */
  leak: { stack: string; heldMs: number; node: string };
  /** A lease on `node` has been held longer than `longHoldWarning`. */
  longhold: { stack: string | undefined; heldMs: number; node: string };
  /** A refresh found that slots moved or nodes changed. */
  topology: TopologyChange;
  /** The cluster client closed. */
  close: Record<string, never>;
}

/** A listener for one of the cluster's events. */
export type ClusterEventListener<K extends keyof ClusterEventMap> = (
  event: CustomEvent<ClusterEventMap[K]>,
) => void;

/** The cluster's stats: the sums over its nodes, and each node's. */
export interface ClusterStats extends PoolStats {
  /** Each node's pool, keyed by its address as dialled. */
  nodes: Record<string, PoolStats>;
  /** Topology queries sent (`CLUSTER SHARDS` or `CLUSTER SLOTS`). */
  topologyQueries: number;
  /** MOVED and ASK redirections followed. */
  redirections: number;
  /** With `cache`: the client-side cache, shared by every node. */
  cache?: CacheStats;
}

/** Options of {@linkcode Cluster.acquire}. */
export interface ClusterAcquireOptions extends AcquireOptions {
  /** A key: the lease is on the primary serving its slot. */
  key: CommandArg;
}
