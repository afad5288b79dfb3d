/**
 * respool vs ioredis (plain and auto-pipelining) vs node-redis on Deno,
 * interleaved round by round, medians, ratios to the fastest client.
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc bench/compare_deno.ts   # own redis-server
 * BENCH_CLIENTS=respool BENCH_WORKLOADS=conc-get BENCH_ROUNDS=1 \
 *   BENCH_CELL_MS=5000 deno run -A --cpu-prof bench/compare_deno.ts
 * ```
 *
 * The report task runs it with `--serve` (see _harness.ts). The statistics
 * file for `deno bench` is compare_bench.ts.
 *
 * @module
 */
import { denoPeers } from "./_clients.ts";
import { main } from "./_harness.ts";

const gc = (globalThis as { gc?: () => void }).gc;

await main({
  runtime: "deno",
  version: `deno ${Deno.version.deno} (V8 ${Deno.version.v8})`,
  peers: denoPeers(),
  gc,
}, Deno.args);
// ioredis and node-redis leave handles (timers, sockets closing) behind.
Deno.exit(0);
