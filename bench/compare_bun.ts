/**
 * The comparison on Bun: respool vs Bun's built-in `RedisClient` vs ioredis
 * (plain and auto-pipelining) vs node-redis, interleaved round by round,
 * medians, ratios to the fastest client, printed as a table.
 *
 * ```sh
 * bun bench/compare_bun.ts                  # starts its own redis-server
 * REDIS_URL=redis://127.0.0.1:6379 bun bench/compare_bun.ts
 * BENCH_CLIENTS=respool,bun BENCH_WORKLOADS=conc-get,conc-set bun bench/compare_bun.ts
 * ```
 *
 * Bun's `RedisClient` (the `RedisClient` export of "bun", reached here as
 * `Bun.RedisClient` so that `deno check` can type this file) has no explicit
 * pipeline API (it pipelines what is issued in one tick, so the pipeline
 * workloads issue 100 commands in one tick) and no pool.
 *
 * @module
 */
/// <reference types="npm:bun-types@1.4.5" />
import process from "node:process";
import { bunRedis } from "./_bun_peer.ts";
import { npmPeers } from "./_clients.ts";
import { main } from "./_harness.ts";

const { respool, ...others } = npmPeers();
await main({
  runtime: "bun",
  version: `bun ${Bun.version}`,
  peers: { respool, bun: bunRedis, ...others },
  gc: () => Bun.gc(true),
}, process.argv.slice(2));
process.exit(0);
