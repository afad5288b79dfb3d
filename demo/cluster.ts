/**
 * `deno task demo --cluster`: one load run of a variant of the service on
 * a Redis Cluster, with what each node saw (connections, commands) and
 * what the cluster client did (topology queries, redirections), and the
 * per-node table the demo prints.
 *
 * @module
 */

import { type Client, createClient, createCluster } from "../mod.ts";
import type { ThrowawayClusterNode } from "./_redis_cluster.ts";
import {
  type ClusterVariant,
  createClusterService,
} from "./cluster_service.ts";
import { type LoadProgress, type LoadResult, runLoad } from "./load.ts";
import { formatTable } from "./report.ts";
import { serve } from "./runtime.ts";
import { prepareUsers } from "./service.ts";

/** A node of the cluster, as the demo knows it. */
export type ClusterNodeInfo = Pick<
  ThrowawayClusterNode,
  "url" | "address" | "slots"
>;

/** Options of {@linkcode runClusterVariant}. */
export interface ClusterRunOptions {
  /** Every primary of the cluster; their URLs are the seeds. */
  nodes: readonly ClusterNodeInfo[];
  /** How each request gets its cluster client. */
  variant: ClusterVariant;
  /** `pool.max` of each node's pool (`pooled`). */
  poolMax: number;
  /** How many requests to send. */
  requests: number;
  /** How many requests are in flight at once. */
  concurrency: number;
  /** Cap on the run, in milliseconds. */
  durationMs: number;
  /** Requests ask for users `1..users`. */
  users: number;
  /** Called every 100 ms while the load runs. */
  onProgress?: (progress: LoadProgress) => void;
}

/** What one node did during a run. */
export interface ClusterNodeRow {
  /** `host:port`. */
  address: string;
  /** The first and last slot it serves. */
  slots: readonly [number, number];
  /** Connections the variant's cluster client(s) opened to it. */
  created: number;
  /** Connections open at the end (`pooled`; `undefined` for `naive`). */
  open?: number;
  /** Idle connections at the end (`pooled`). */
  idle?: number;
  /** The most commands in flight on it at once, sampled (`pooled`). */
  peakInFlight?: number;
  /** GET and SET calls it served, from its `INFO commandstats`. */
  commands: number;
}

/** The outcome of a cluster run. */
export interface ClusterRunResult {
  /** The load's measurements, with connections summed over the nodes. */
  load: LoadResult;
  /** Each node, in slot order. */
  nodes: ClusterNodeRow[];
  /** Cluster clients used: 1 for `pooled`, one per request for `naive`. */
  clients: number;
  /** Topology queries (`CLUSTER SHARDS`) of the cluster client(s). */
  topologyQueries: number;
  /** MOVED and ASK redirections followed. */
  redirections: number;
}

/**
 * Gives every user a session and a cold cache, serves the variant on the
 * cluster, sends it the load and collects each node's figures.
 *
 * @example Measuring the pooled variant
 * ```ts ignore
 * await using cluster = await startThrowawayCluster();
 * const result = await runClusterVariant({
 *   nodes: cluster.nodes, variant: "pooled", poolMax: 10, requests: 1000,
 *   concurrency: 50, durationMs: 10_000, users: 1000,
 * });
 * console.log(formatNodes(result));
 * ```
 *
 * @param options What to run, on which nodes.
 * @returns The measurements.
 */
export async function runClusterVariant(
  options: ClusterRunOptions,
): Promise<ClusterRunResult> {
  const seeds = options.nodes.map((node) => node.url);
  {
    await using setup = createCluster(seeds, { pool: { max: 1 } });
    await prepareUsers(setup, options.users);
  }
  // One connection per node for INFO, opened before the counters are first
  // read, so that the run's polling neither opens connections nor counts.
  const monitors = options.nodes.map((node) =>
    createClient(node.url, { name: "respool-demo-monitor", pool: { max: 1 } })
  );
  try {
    const before = await Promise.all(monitors.map(commandsServed));
    await using service = createClusterService({
      seeds,
      variant: options.variant,
      poolMax: options.poolMax,
    });
    await using server = await serve(service.handle);
    const peaks = new Map<string, number>();
    const cluster = service.cluster;
    const sampler = cluster && setInterval(() => {
      for (const [node, stats] of Object.entries(cluster.stats().nodes)) {
        peaks.set(node, Math.max(peaks.get(node) ?? 0, stats.inFlight));
      }
    }, 5);
    let load: LoadResult;
    try {
      load = await runLoad({
        label: options.variant,
        baseUrl: server.url,
        requests: options.requests,
        concurrency: options.concurrency,
        durationMs: options.durationMs,
        users: options.users,
        monitor: monitors,
        onProgress: options.onProgress,
      });
    } finally {
      clearInterval(sampler);
    }
    const after = await Promise.all(monitors.map(commandsServed));
    const stats = cluster?.stats();
    const nodes = options.nodes.map((node, i): ClusterNodeRow => {
      const pool = stats?.nodes[node.address];
      return {
        address: node.address,
        slots: node.slots,
        created: stats
          ? pool?.created ?? 0
          : service.naive.created[node.address] ?? 0,
        open: stats && (pool?.total ?? 0),
        idle: stats && (pool?.idle ?? 0),
        peakInFlight: stats && (peaks.get(node.address) ?? 0),
        commands: after[i] - before[i],
      };
    });
    return {
      load,
      nodes,
      clients: stats ? 1 : service.naive.clients,
      topologyQueries: stats?.topologyQueries ??
        service.naive.topologyQueries,
      redirections: stats?.redirections ?? service.naive.redirections,
    };
  } finally {
    await Promise.all(monitors.map((monitor) => monitor.close()));
  }
}

/** GET and SET calls a node has served, from `INFO commandstats`. */
async function commandsServed(monitor: Client): Promise<number> {
  const stats = (await monitor.info("commandstats")).commandstats ?? {};
  let calls = 0;
  for (const name of ["cmdstat_get", "cmdstat_set"]) {
    calls += Number(/calls=(\d+)/.exec(stats[name] ?? "")?.[1] ?? 0);
  }
  return calls;
}

/** The columns of {@linkcode formatNodes}. */
export const NODE_COLUMNS: readonly string[] = [
  "node",
  "slots",
  "conns created",
  "open",
  "idle",
  "peak in flight",
  "GET/SET served",
];

/**
 * The per-node table of a run: the cluster client's `stats().nodes` at the
 * end of the run (for the naive variant only the connections its clients
 * opened), and the commands each node served.
 *
 * @param result The run.
 * @returns The table.
 */
export function formatNodes(result: ClusterRunResult): string {
  const rows = result.nodes.map((node) => [
    node.address,
    `${node.slots[0]}-${node.slots[1]}`,
    node.created,
    node.open ?? "-",
    node.idle ?? "-",
    node.peakInFlight ?? "-",
    node.commands,
  ]);
  return formatTable(NODE_COLUMNS, rows);
}

/**
 * One line of what the run's cluster client(s) did besides the commands.
 *
 * @param result The run.
 * @returns The line.
 */
export function formatClusterClients(result: ClusterRunResult): string {
  const created = result.nodes.reduce((sum, node) => sum + node.created, 0);
  const who = result.clients === 1
    ? "1 cluster client"
    : `${result.clients} cluster clients`;
  return `${result.load.label}: ${who}, topology queries ${result.topologyQueries}, ` +
    `redirections ${result.redirections}, connections created ${created}`;
}
