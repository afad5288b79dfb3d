/**
 * `deno task demo` (or `bun demo/main.ts`, or on Node 24
 * `node --expose-gc demo/main.ts`): the article's web service under real
 * load, a client per request against one pool, then a leaked lease being
 * found and reclaimed.
 *
 * With no `REDIS_URL` it starts a throwaway redis-server on a free port
 * and stops it at the end, also on Ctrl-C and on errors. With `--cluster`
 * it starts a throwaway 3-primary Redis Cluster instead and compares the
 * two variants on it with `createCluster`. Flags: see `--help`.
 *
 * @module
 */

import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import process from "node:process";
import { parseDemoArgs, USAGE } from "./_args.ts";
import {
  startThrowawayCluster,
  type ThrowawayCluster,
} from "./_redis_cluster.ts";
import { startThrowawayRedis, type ThrowawayRedis } from "./_redis_server.ts";
import { renderChart } from "./chart.ts";
import {
  type ClusterRunResult,
  formatClusterClients,
  formatNodes,
  runClusterVariant,
} from "./cluster.ts";
import { runVariant } from "./compare.ts";
import { runLeakAct } from "./leak.ts";
import type { LoadProgress, LoadResult } from "./load.ts";
import { formatComparison, formatProgress, formatResults } from "./report.ts";
import { runtimeName } from "./runtime.ts";
import { formatSizing, runSizing } from "./sizing.ts";

const interactive = process.stdout.isTTY === true;

/** Rewrites the progress line in a terminal; prints nothing otherwise. */
function showProgress(progress: LoadProgress): void {
  if (interactive) process.stdout.write(formatProgress(progress));
}

function clearProgress(): void {
  if (interactive) process.stdout.write("\r\x1b[K");
}

async function main(argv: string[]): Promise<void> {
  const args = parseDemoArgs(argv);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  console.log(`respool demo on ${runtimeName}`);
  if (args.cluster) {
    await clusterDemo(args);
    return;
  }
  let server: ThrowawayRedis | undefined;
  const envUrl = process.env.REDIS_URL;
  if (envUrl) {
    console.log(
      "using REDIS_URL: writes session:N and user_data:N keys (1 h TTL)",
    );
  } else {
    server = await startThrowawayRedis();
    console.log(
      `redis-server started on 127.0.0.1:${server.port} (throwaway: no persistence, stopped at the end)`,
    );
  }
  const url = envUrl ?? server!.url;

  const signals = stopOnSignals(
    async () => await server?.stop(),
    "the demo's redis-server is stopped",
  );
  try {
    if (args.sizing) await sizing(url, args);
    else await acts(url, args);
  } finally {
    signals.remove();
    clearProgress();
    if (server) {
      await server.stop();
      console.log(`\nredis-server on 127.0.0.1:${server.port} stopped`);
    }
  }
}

/**
 * Until removed: on Ctrl-C or SIGTERM, stops the demo's servers, says so
 * and exits with 130.
 */
function stopOnSignals(stop: () => Promise<void>, stopped: string) {
  const onSignal = async (signal: string) => {
    clearProgress();
    await stop();
    console.log(`\n${signal}: ${stopped}`);
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    remove() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

async function acts(
  url: string,
  args: ReturnType<typeof parseDemoArgs>,
): Promise<void> {
  console.log(`
Act 1: GET /api/data?user=N (session check + cache-aside), ${args.requests} requests
at concurrency ${args.concurrency} (at most ${args.duration} s) against each variant:
  naive   a new client per request, closed after
  pooled  one shared client (pool.max ${args.poolMax})
`);
  const results: LoadResult[] = [];
  for (const variant of ["naive", "pooled"] as const) {
    results.push(
      await runVariant({
        url,
        variant,
        poolMax: args.poolMax,
        requests: args.requests,
        concurrency: args.concurrency,
        durationMs: args.duration * 1000,
        users: args.users,
        onProgress: showProgress,
      }),
    );
    clearProgress();
  }
  console.log(formatResults(results));
  console.log(
    "(conns accepted: INFO total_connections_received delta; peak connected:",
  );
  console.log(" sampled connected_clients above the count before the run)");
  console.log(`\n${formatComparison(results[0], results[1])}`);
  const out = resolve(args.out);
  const subtitle =
    `${args.requests} requests at concurrency ${args.concurrency} per variant, ` +
    `pool.max ${args.poolMax}, ${runtimeName}, ${new Date().toISOString()}`;
  writeFileSync(out, renderChart(results, subtitle));
  console.log(`chart written to ${out}`);

  console.log(`
Act 2: a handler that forgets to release its lease (pool.max 6: up to 5
leases, one connection kept for plain commands), the monitor printing
stats() every second and warning above 80% of the leases taken
`);
  await runLeakAct({ url });
}

async function sizing(
  url: string,
  args: ReturnType<typeof parseDemoArgs>,
): Promise<void> {
  console.log(`
Pool sizing: ${args.requests} requests per run (at most ${args.duration} s), the
median of 3 runs per cell, with commands multiplexed over the pool and with
one exclusive lease per request
`);
  const cells = await runSizing({
    url,
    requests: args.requests,
    durationMs: args.duration * 1000,
    users: args.users,
    onProgress: showProgress,
  });
  clearProgress();
  console.log(formatSizing(cells));
}

/** `--cluster`: act 1 on a throwaway cluster, then each node's figures. */
async function clusterDemo(args: ReturnType<typeof parseDemoArgs>) {
  if (process.env.REDIS_URL) {
    console.log("REDIS_URL is not used with --cluster");
  }
  const cluster: ThrowawayCluster = await startThrowawayCluster();
  const addresses = cluster.nodes.map((node) => node.address).join(", ");
  console.log(
    `redis cluster started: ${cluster.nodes.length} primaries (no replicas) on ${addresses}`,
  );
  console.log("(throwaway: no persistence, stopped at the end)");
  const signals = stopOnSignals(
    () => cluster.stop(),
    "the demo's redis cluster is stopped",
  );
  try {
    const count = cluster.nodes.length;
    console.log(`
Act 1 on the cluster: GET /api/data?user=N (session check + cache-aside),
${args.requests} requests at concurrency ${args.concurrency} (at most ${args.duration} s) against each variant.
session:N and user_data:N hash to different slots, so most requests use
two nodes.
  naive   a new cluster client per request (createCluster), closed after:
          each first loads the slot map (CLUSTER SHARDS, asked of up to 3
          nodes over a connection to each), then runs the commands
  pooled  one shared cluster client (pool.max ${args.poolMax} per node)
`);
    const runs: ClusterRunResult[] = [];
    for (const variant of ["naive", "pooled"] as const) {
      runs.push(
        await runClusterVariant({
          nodes: cluster.nodes,
          variant,
          poolMax: args.poolMax,
          requests: args.requests,
          concurrency: args.concurrency,
          durationMs: args.duration * 1000,
          users: args.users,
          onProgress: showProgress,
        }),
      );
      clearProgress();
    }
    const [naive, pooled] = runs;
    console.log(formatResults(runs.map((run) => run.load)));
    console.log(
      "(conns accepted: INFO total_connections_received delta; peak connected:",
    );
    console.log(
      ` sampled connected_clients above the count before the run; both summed over the ${count} nodes)`,
    );
    console.log(`\n${formatComparison(naive.load, pooled.load)}`);
    console.log(`
Per node, pooled: the cluster client's stats().nodes at the end of its run
(peak in flight sampled every 5 ms; GET/SET served: the node's INFO
commandstats during the run)
`);
    console.log(formatNodes(pooled));
    console.log(`\n${formatClusterClients(pooled)}`);
    console.log(formatClusterClients(naive));
  } finally {
    signals.remove();
    clearProgress();
    await cluster.stop();
    console.log(`\nredis cluster on ${addresses} stopped`);
  }
}

if (import.meta.main) {
  try {
    await main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
