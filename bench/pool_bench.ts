/**
 * Pool benchmarks against a real redis-server this file starts on a free
 * loopback port: acquire+release cost at each `pool.leakDetection` level
 * (the default, "sample", is the baseline), and multiplexed GET throughput
 * over 1 to 10 connections.
 *
 * Run with `deno bench -A bench/pool_bench.ts`; `bench/acquire_loop.ts`
 * times acquire+release on Bun and Node too.
 */
import { createClient } from "../mod.ts";
import { startRedis } from "../tests/_redis.ts";

const server = await startRedis();
globalThis.addEventListener("unload", () => void server.stop());

// The defaults: leak detection on, at its default level ("sample").
const tracked = createClient(server.url, { pool: { max: 4 } });
const always = createClient(server.url, {
  pool: { max: 4, leakDetection: "always" },
});
const untracked = createClient(server.url, {
  pool: { max: 4, leakDetection: false },
});
await Promise.all([tracked, always, untracked].map((c) => c.connect()));
await tracked.set("bench:key", "x".repeat(100));

Deno.bench({
  name: 'acquire+release, leak detection on (default, "sample")',
  group: "acquire",
  baseline: true,
  async fn() {
    const lease = await tracked.acquire();
    await lease.release();
  },
});

Deno.bench({
  name: 'acquire+release, leak detection "always" (every acquire stack)',
  group: "acquire",
  async fn() {
    const lease = await always.acquire();
    await lease.release();
  },
});

Deno.bench({
  name: "acquire+release, leak detection off (false)",
  group: "acquire",
  async fn() {
    const lease = await untracked.acquire();
    await lease.release();
  },
});

const CALLERS = 100;
for (const max of [1, 2, 4, 10]) {
  const client = createClient(server.url, { pool: { max } });
  await client.connect();
  Deno.bench({
    name: `${CALLERS} concurrent GETs, pool.max ${max}`,
    group: "multiplexed GET",
    baseline: max === 1,
    async fn() {
      const replies: Promise<string | null>[] = new Array(CALLERS);
      for (let i = 0; i < CALLERS; i++) replies[i] = client.get("bench:key");
      await Promise.all(replies);
    },
  });
}

Deno.bench({
  name: "sequential GET",
  group: "sequential",
  baseline: true,
  async fn() {
    await tracked.get("bench:key");
  },
});
