/**
 * Deno-only suite with the op and resource sanitizers on: a socket or timer
 * left behind by the client fails the test that made it. (node:test tests
 * are invisible to Deno's sanitizers, hence this file.)
 */
import { assertEquals, assertRejects } from "./_assert.ts";
import {
  ClosedError,
  createClient,
  createCluster,
  TimeoutError,
} from "../../mod.ts";
import { freePort, startRedis } from "../_redis.ts";
import { startCluster } from "../_cluster.ts";
import { startSentinel } from "../_sentinel.ts";

const server = await startRedis();
const cluster = await startCluster({ nodeTimeout: 5_000 });
const sentinel = await startSentinel();
const sanitized = {
  sanitizeOps: true,
  sanitizeResources: true,
  sanitizeExit: true,
};

Deno.test({
  name:
    "a caching client's close() leaves no socket or timer behind, after hits that waited for a macrotask",
  ...sanitized,
  async fn() {
    const redis = createClient(server.url, { cache: true });
    await redis.set("s:cached", "v");
    const end = Date.now() + 20;
    // Hits long enough for reads to start waiting on the next macrotask.
    while (Date.now() < end) assertEquals(await redis.get("s:cached"), "v");
    assertEquals(redis.stats().cache!.entries, 1);
    await redis.close();
  },
});

Deno.test({
  name: "Client.close() leaves no socket or timer behind",
  ...sanitized,
  async fn() {
    const redis = createClient(server.url);
    await redis.set("s:k", "v");
    assertEquals(await redis.get("s:k"), "v");
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => redis.set(`s:${i}`, i)),
    );
    await redis.close();
  },
});

Deno.test({
  name: "Client.destroy() leaves no socket or timer behind",
  ...sanitized,
  async fn() {
    const redis = createClient(server.url);
    await redis.connect();
    const pending = redis.send(["DEBUG", "SLEEP", "0.1"]);
    redis.destroy();
    await assertRejects(() => pending, ClosedError);
    await redis.close();
  },
});

Deno.test({
  name: "Client.acquire() leases leave nothing behind after release and close",
  ...sanitized,
  async fn() {
    // max 3: leases may hold two connections, the third is kept for plain
    // commands.
    const redis = createClient(server.url, { pool: { max: 3 } });
    {
      await using lease = await redis.acquire();
      await lease.send(["SELECT", 2]);
      await lease.set("s:lease", "1");
    }
    const held = await redis.acquire();
    const waiting = redis.acquire({ timeout: 50 });
    const waiting2 = redis.acquire({ timeout: 50 });
    await assertRejects(() => waiting2, Error);
    (await waiting).release();
    await held.release();
    await redis.close();
  },
});

Deno.test({
  name: "Client rejects a command to a closed port and leaves nothing behind",
  ...sanitized,
  async fn() {
    const port = await freePort();
    const redis = createClient({
      port,
      retry: () => undefined,
      reconnect: () => undefined,
    });
    await assertRejects(() => redis.ping(), Error);
    await redis.close();
  },
});

Deno.test({
  name: "Client clears the timers of timed-out commands on close",
  ...sanitized,
  async fn() {
    const redis = createClient(server.url, { commandTimeout: 5_000 });
    await redis.connect();
    await assertRejects(
      () => redis.send(["DEBUG", "SLEEP", "0.2"], { timeout: 20 }),
      TimeoutError,
    );
    assertEquals(await redis.ping(), "PONG");
    await redis.close();
  },
});

Deno.test({
  name: "Subscription heartbeats, resubscribes and close leave nothing behind",
  ...sanitized,
  async fn() {
    const redis = createClient(server.url);
    const sub = await redis.subscribe("s:news", { heartbeatInterval: 20 });
    await sub.psubscribe("s:p.*");
    await new Promise((resolve) => setTimeout(resolve, 60));
    await redis.publish("s:news", "hello");
    for await (const { message } of sub) {
      assertEquals(message, "hello");
      break;
    }
    await redis.close();
    assertEquals(sub.closed, true);
  },
});

Deno.test({
  name: "A blocking command cancelled by its timeout leaves nothing behind",
  ...sanitized,
  async fn() {
    const redis = createClient(server.url);
    await assertRejects(
      () => redis.withOptions({ timeout: 30 }).blpop("s:empty", 0),
      TimeoutError,
    );
    const controller = new AbortController();
    const pending = redis.withOptions({ signal: controller.signal })
      .brpop("s:empty", 5);
    setTimeout(() => controller.abort(new Error("stop")), 20);
    await assertRejects(() => pending, Error);
    await redis.close();
  },
});

Deno.test({
  name:
    "Cluster.close() leaves no socket or timer behind (refresh timers, every node's pool, a shard subscription)",
  ...sanitized,
  async fn() {
    const redis = createCluster([cluster.seeds[0]], {
      refresh: { minInterval: 10 },
    });
    await Promise.all(
      Array.from({ length: 300 }, (_, i) => redis.set(`s:${i}`, i)),
    );
    assertEquals(await redis.mget("s:1", "s:2", "s:3"), ["1", "2", "3"]);
    await redis.pipeline().get("s:4").set("s:5", "x").exec();
    const sub = await redis.ssubscribe("s:channel");
    await redis.refreshSlots();
    await sub.close();
    await redis.close();
  },
});

Deno.test({
  name:
    "A Sentinel client's close() leaves no socket or timer behind (the watches on every sentinel)",
  ...sanitized,
  async fn() {
    const redis = createClient({
      sentinel: { name: sentinel.name, nodes: sentinel.sentinelUrls },
    });
    await redis.set("s:k", "v");
    assertEquals(await redis.get("s:k"), "v");
    await redis.close();
  },
});

Deno.test({
  name: "redis-server, the cluster and the Sentinel setup stop",
  async fn() {
    await server.stop();
    await cluster.stop();
    await sentinel.stop();
  },
});
