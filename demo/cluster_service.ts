/**
 * The article's web service against a Redis Cluster: the same handler as
 * {@linkcode createService} (session check, then cache-aside), its commands
 * routed by hash slot with `createCluster`. `session:N` and `user_data:N`
 * hash to different slots, so one request usually talks to two nodes.
 *
 * Two variants, as in the single-server demo:
 *
 * - `naive`: a new cluster client per request, closed after. That is what a
 *   client per request means for a cluster: each one loads the slot map
 *   first (`CLUSTER SHARDS`, asked of up to three nodes, which takes a
 *   connection to each), then runs the commands on the nodes of their
 *   slots;
 * - `pooled`: one shared cluster client, with a pool per node whose
 *   connections the requests' commands are multiplexed over.
 *
 * @module
 */

import { type Cluster, createCluster } from "../mod.ts";
import { route, userData } from "./service.ts";

/** How a request gets its cluster client. */
export type ClusterVariant = "naive" | "pooled";

/** Options of {@linkcode createClusterService}. */
export interface ClusterServiceOptions {
  /** Seed nodes, e.g. `["redis://127.0.0.1:7000", ...]`. */
  seeds: readonly string[];
  /** How each request gets its cluster client. */
  variant: ClusterVariant;
  /**
   * `pool.max` of each node's pool in the shared cluster client (`pooled`).
   *
   * @default {10}
   */
  poolMax?: number;
  /**
   * How long the simulated database lookup of a cache miss takes, in
   * milliseconds.
   *
   * @default {3}
   */
  dbLatencyMs?: number;
}

/** What the naive variant's short-lived cluster clients did, summed. */
export interface NaiveTally {
  /** Cluster clients created (one per request). */
  clients: number;
  /** Their topology queries (`CLUSTER SHARDS`). */
  topologyQueries: number;
  /** The MOVED and ASK redirections they followed. */
  redirections: number;
  /** Connections they opened, by node address (`host:port`). */
  created: Record<string, number>;
}

/** The demo's web service on a cluster; close it when done. */
export interface ClusterService extends AsyncDisposable {
  /** How each request gets its cluster client. */
  readonly variant: ClusterVariant;
  /** The shared cluster client, or `undefined` for the naive variant. */
  readonly cluster: Cluster | undefined;
  /** The naive variant's clients, summed (all zero for `pooled`). */
  readonly naive: Readonly<NaiveTally>;
  /** Answers one HTTP request. */
  handle(request: Request): Promise<Response>;
  /** Closes the shared cluster client. */
  close(): Promise<void>;
}

/**
 * Creates the service on a cluster in one of its variants.
 *
 * @example Serving the pooled variant
 * ```ts ignore
 * await using service = createClusterService({ seeds, variant: "pooled" });
 * await using server = await serve(service.handle);
 * ```
 *
 * @param options Which seeds and variant.
 * @returns The service.
 */
export function createClusterService(
  options: ClusterServiceOptions,
): ClusterService {
  const { variant } = options;
  const seeds = [...options.seeds];
  const dbLatencyMs = options.dbLatencyMs ?? 3;
  const cluster = variant === "naive"
    ? undefined
    : createCluster(seeds, { pool: { max: options.poolMax ?? 10 } });
  const naive: NaiveTally = {
    clients: 0,
    topologyQueries: 0,
    redirections: 0,
    created: {},
  };

  const data = async (user: number): Promise<Response> => {
    if (cluster !== undefined) {
      return await userData(cluster, user, dbLatencyMs);
    }
    // The wrong version again: a cluster client (and its slot map, and its
    // connections) per request.
    const redis = createCluster(seeds);
    naive.clients++;
    try {
      return await userData(redis, user, dbLatencyMs);
    } finally {
      const stats = redis.stats();
      naive.topologyQueries += stats.topologyQueries;
      naive.redirections += stats.redirections;
      for (const [node, pool] of Object.entries(stats.nodes)) {
        naive.created[node] = (naive.created[node] ?? 0) + pool.created;
      }
      await redis.close();
    }
  };

  const handle = (request: Request) => route(request, { data });
  const close = async () => {
    await cluster?.close();
  };
  return {
    variant,
    cluster,
    naive,
    handle,
    close,
    [Symbol.asyncDispose]: close,
  };
}
