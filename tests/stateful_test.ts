/**
 * Stateful work against a real redis-server: transactions as one unit,
 * blocking commands that are cancelled, leases that cannot starve plain
 * commands, the shared-connection guard, acquire deadlines, and the
 * smaller promises (maxQueued 0, maxLifetime under load, aborting a queued
 * command). A scripted proxy stands in for half-open connections.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type Client,
  ConnectionError,
  createClient,
  PoolTimeoutError,
  QueueFullError,
  ReplyError,
  TimeoutError,
} from "../mod.ts";
import { allCommandSpecs } from "../src/commands/registry.ts";
import { freePort, type RedisServer, startRedis } from "./_redis.ts";
import { FaultProxy } from "./faults/_peers.ts";
import { sleep, waitFor } from "./_util.ts";

const T = { timeout: 30_000 };
const encoder = new TextEncoder();

/**
 * Makes the server reload its dataset slowly (about a second), answering
 * LOADING meanwhile, as after a restart; resolves once it has.
 */
async function reloadSlowly(admin: Client): Promise<void> {
  await admin.send([
    "CONFIG",
    "SET",
    "loading-process-events-interval-bytes",
    "1024",
  ]);
  await admin.send(["DEBUG", "POPULATE", "4000", "filler"]);
  await admin.send(["CONFIG", "SET", "key-load-delay", "250"]);
  try {
    await admin.send(["DEBUG", "RELOAD"], { timeout: 20_000 });
  } finally {
    await admin.send(["CONFIG", "SET", "key-load-delay", "0"]);
  }
}

/**
 * Resolves once the server answers LOADING to a plain read. (On a lease, so
 * that the client hands the LOADING reply over instead of waiting it out.)
 */
async function untilLoading(probe: Client): Promise<void> {
  await using lease = await probe.acquire();
  await waitFor(async () => {
    try {
      await lease.send(["GET", "probe"], { timeout: 2_000 });
      return false;
    } catch (error) {
      return error instanceof ReplyError && error.prefix === "LOADING";
    }
  }, 5_000);
}

describe("Stateful work against a real redis-server", () => {
  let server: RedisServer;
  let admin: Client;

  before(async () => {
    server = await startRedis();
    admin = createClient(server.url, { name: "admin" });
  });

  after(async () => {
    await admin?.close();
    await server?.stop();
  });

  test(
    "Transaction.exec() during LOADING waits and runs the block whole, once",
    T,
    async () => {
      await admin.send(["FLUSHALL"]);
      // No retry policy: only the LOADING wait, which is not one, may send
      // the block again.
      const redis = createClient(server.url, { retry: () => undefined });
      const probe = createClient(server.url, { retry: () => undefined });
      try {
        await redis.connect();
        const reloading = reloadSlowly(admin);
        await untilLoading(probe);
        const [results, piped] = await Promise.all([
          redis.multi().incr("orders").incr("orders").exec(),
          redis.pipeline().incr("piped").get("piped").exec(),
        ]);
        await reloading;
        assert.deepEqual(results, [1, 2]);
        assert.deepEqual(piped, [1, "1"]);
        // Nothing of the block ran on its own, before or after.
        await sleep(300);
        assert.equal(await redis.get("orders"), "2");
        assert.equal(await redis.get("piped"), "1");
      } finally {
        await Promise.all([redis.close(), probe.close()]);
      }
    },
  );

  test(
    "Client.blpop() cancelled by its timeout or signal rejects and leaves a later push in the list",
    T,
    async () => {
      await admin.send(["DEL", "jobs"]);
      const redis = createClient(server.url);
      try {
        let started = Date.now();
        const timedOut = await redis.withOptions({ timeout: 200 })
          .blpop(["jobs"], 0).catch((e) => e);
        let elapsed = Date.now() - started;
        assert.ok(timedOut instanceof TimeoutError, String(timedOut));
        assert.ok(elapsed >= 190 && elapsed < 1_500, `took ${elapsed} ms`);

        const controller = new AbortController();
        const reason = new Error("request gone");
        setTimeout(() => controller.abort(reason), 100);
        started = Date.now();
        const aborted = await redis.withOptions({ signal: controller.signal })
          .blpop(["jobs"], 0).catch((e) => e);
        elapsed = Date.now() - started;
        assert.equal(aborted, reason);
        assert.ok(elapsed < 1_500, `took ${elapsed} ms`);

        // The abandoned waits are over on the server: a push stays put.
        await admin.send(["LPUSH", "jobs", "job-1"]);
        await sleep(100);
        assert.equal(await admin.send(["LLEN", "jobs"]), 1);
        assert.equal(redis.stats().leased, 0);
        assert.deepEqual(await redis.blpop(["jobs"], 1), {
          key: "jobs",
          element: "job-1",
        });
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Client.bzpopmin() and xreadgroup() BLOCK cancelled by their timeout take nothing",
    T,
    async () => {
      await admin.send(["DEL", "zjobs", "stream"]);
      await admin.send([
        "XGROUP",
        "CREATE",
        "stream",
        "workers",
        "$",
        "MKSTREAM",
      ]);
      const redis = createClient(server.url);
      try {
        const scoped = redis.withOptions({ timeout: 150 });
        assert.ok(
          (await scoped.bzpopmin(["zjobs"], 0).catch((e) => e)) instanceof
            TimeoutError,
        );
        assert.ok(
          (await scoped.xreadgroup("workers", "w1", { stream: ">" }, {
            block: 0,
          }).catch((e) => e)) instanceof TimeoutError,
        );
        assert.ok(
          (await scoped.xread({ stream: "$" }, { block: 0 }).catch((e) =>
            e
          )) instanceof
            TimeoutError,
        );
        await admin.send(["ZADD", "zjobs", "1", "a"]);
        await admin.send(["XADD", "stream", "*", "job", "1"]);
        await sleep(100);
        assert.equal(await admin.send(["ZCARD", "zjobs"]), 1);
        // Nobody read the entry for the group: it is still new to it.
        const pending = await admin.send(["XPENDING", "stream", "workers"]);
        assert.equal((pending as unknown[])[0], 0);
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Lease.blpop() cancelled by its timeout leaves the lease in step and usable",
    T,
    async () => {
      await admin.send(["DEL", "lease-jobs"]);
      const redis = createClient(server.url);
      try {
        await using lease = await redis.acquire();
        const error = await lease.withOptions({ timeout: 150 })
          .blpop(["lease-jobs"], 0).catch((e) => e);
        assert.ok(error instanceof TimeoutError, String(error));
        assert.equal(await lease.echo("next"), "next");
        await admin.send(["RPUSH", "lease-jobs", "x"]);
        await sleep(50);
        assert.equal(await admin.send(["LLEN", "lease-jobs"]), 1);
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Client.get() is answered while leases and blocking commands hold every connection they may",
    T,
    async () => {
      await admin.send(["DEL", "q"]);
      const redis = createClient(server.url, {
        pool: { max: 2, acquireTimeout: 300 },
      });
      try {
        const controller = new AbortController();
        const first = redis.withOptions({ signal: controller.signal })
          .blpop(["q"], 0).catch((e) => e);
        await sleep(50);
        // The one connection leases may take is taken: a second blocking
        // command waits for it (and gives up by acquireTimeout), while
        // plain commands have the connection kept for them.
        const second = redis.blpop(["q"], 0).catch((e) => e);
        const started = Date.now();
        assert.equal(
          await redis.withOptions({ timeout: 1_000 }).ping(),
          "PONG",
        );
        assert.ok(Date.now() - started < 500);
        assert.ok((await second) instanceof PoolTimeoutError);
        controller.abort(new Error("done"));
        await first;
        assert.equal(redis.stats().leased, 0);
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Lease.send() refuses CLIENT REPLY, SUBSCRIBE and MONITOR at once, and later replies stay matched",
    T,
    async () => {
      await admin.send(["MSET", "a", "value-a", "b", "value-b"]);
      const redis = createClient(server.url);
      try {
        await using lease = await redis.acquire();
        for (
          const args of [
            ["CLIENT", "REPLY", "SKIP"],
            ["client", "reply", "off"],
            ["SUBSCRIBE", "x"],
            ["PSUBSCRIBE", "x*"],
            ["MONITOR"],
          ]
        ) {
          await assert.rejects(
            lease.send(args),
            (e: unknown) =>
              e instanceof TypeError && /on a lease/.test(e.message),
            args.join(" "),
          );
        }
        assert.throws(
          () => lease.pipeline().send(["CLIENT", "REPLY", "SKIP"]),
          TypeError,
        );
        assert.equal(await lease.get("a"), "value-a");
        assert.equal(await lease.get("b"), "value-b");
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Client.send() refuses every command that changes connection state, by string or bytes name",
    T,
    async () => {
      const redis = createClient(server.url, { pool: { max: 1 } });
      try {
        const guarded = allCommandSpecs().filter((spec) =>
          spec.effect !== undefined
        );
        assert.ok(guarded.length >= 20, `${guarded.length} guarded commands`);
        for (const spec of guarded) {
          const words = spec.name.split(" ");
          for (
            const name of [
              words,
              words.map((w) => w.toLowerCase()),
              words.map((w) => encoder.encode(w)),
            ]
          ) {
            await assert.rejects(
              redis.send([...name, "1"]),
              TypeError,
              `${spec.name} (${typeof name[0]})`,
            );
          }
        }
        // The one shared connection is still on database 0.
        await admin.send(["SET", "db0-marker", "here"]);
        assert.equal(await redis.get("db0-marker"), "here");
        assert.equal(await redis.send(["ECHO", "in step"]), "in step");
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Client.multi() and pipeline() refuse SELECT, WATCH and CLIENT SETNAME given as bytes",
    T,
    () => {
      const redis = createClient(server.url);
      try {
        assert.throws(
          () => redis.multi().send([encoder.encode("select"), 1]),
          TypeError,
        );
        assert.throws(
          () => redis.pipeline().send([encoder.encode("WATCH"), "k"]),
          TypeError,
        );
        assert.throws(
          () =>
            redis.pipeline().send([
              encoder.encode("CLIENT"),
              encoder.encode("setname"),
              "x",
            ]),
          TypeError,
        );
      } finally {
        redis.destroy();
      }
    },
  );

  test(
    "Client.acquire() keeps its deadline across failed health checks and when no connection opens",
    T,
    async () => {
      const proxy = await new FaultProxy(server.port).start();
      const redis = createClient(proxy.url, {
        connectTimeout: 2_000,
        pool: { max: 2, healthCheckInterval: 1 },
      });
      try {
        // An idle connection, then half-open: its health check never hears
        // back.
        await (await redis.acquire()).release();
        await sleep(20);
        proxy.halfOpenExisting();
        proxy.mode = "blackhole"; // and new connections never finish HELLO
        const started = Date.now();
        const error = await redis.acquire({ timeout: 200 }).catch((e) => e);
        const elapsed = Date.now() - started;
        assert.ok(error instanceof PoolTimeoutError, String(error));
        assert.ok(elapsed >= 190 && elapsed < 600, `took ${elapsed} ms`);
        assert.equal(redis.stats().waiting, 0);
      } finally {
        redis.destroy();
        await proxy.stop();
      }
    },
  );

  test(
    "createClient() with maxQueued 0 waits for its first connection, then refuses to queue while the server is down",
    T,
    async () => {
      const lazy = createClient(server.url, { maxQueued: 0 });
      try {
        assert.equal(await lazy.ping(), "PONG");
      } finally {
        await lazy.close();
      }
      const down = createClient(`redis://127.0.0.1:${await freePort()}`, {
        maxQueued: 0,
        retry: () => undefined,
        reconnect: () => 60_000,
      });
      try {
        const first = await down.ping().catch((e) => e);
        assert.ok(first instanceof ConnectionError, String(first));
        const started = Date.now();
        const second = await down.ping().catch((e) => e);
        assert.ok(second instanceof QueueFullError, String(second));
        assert.ok(Date.now() - started < 50);
      } finally {
        down.destroy();
      }
    },
  );

  test(
    "A queued command without a time limit can still be aborted",
    T,
    async () => {
      const down = createClient(`redis://127.0.0.1:${await freePort()}`, {
        reconnect: () => 60_000,
        retry: () => 10,
      });
      try {
        const controller = new AbortController();
        const reason = new Error("caller gone");
        const pending = down.send(["GET", "k"], {
          timeout: Infinity,
          signal: controller.signal,
        });
        await sleep(50);
        const started = Date.now();
        controller.abort(reason);
        assert.equal(await pending.catch((e) => e), reason);
        assert.ok(Date.now() - started < 100);
      } finally {
        down.destroy();
      }
    },
  );

  test(
    "Pool replaces a shared connection past maxLifetime even while it is never idle",
    T,
    async () => {
      const redis = createClient(server.url, {
        pool: { max: 2, maxLifetime: 300 },
      });
      try {
        const ids = new Set<unknown>();
        let failures = 0;
        const stopAt = Date.now() + 1_500;
        await Promise.all(Array.from({ length: 10 }, async () => {
          while (Date.now() < stopAt) {
            try {
              ids.add(await redis.send(["CLIENT", "ID"]));
            } catch {
              failures++;
            }
          }
        }));
        assert.equal(failures, 0);
        assert.ok(ids.size >= 3, `${ids.size} connections served`);
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Lease inside a raw MULTI resolves commands to QUEUED; EXEC's reply holds the results",
    T,
    async () => {
      const redis = createClient(server.url);
      try {
        await using lease = await redis.acquire();
        await lease.send(["MULTI"]);
        assert.equal(await lease.set("raw:n", "5"), "QUEUED");
        assert.equal(await lease.incr("raw:n"), "QUEUED");
        assert.deepEqual(await lease.send(["EXEC"]), ["OK", 6]);
        // After EXEC, typed results again.
        assert.equal(await lease.incr("raw:n"), 7);
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "A per-call timeout of 0 is refused with a RangeError everywhere, and Infinity means no limit",
    T,
    async () => {
      const redis = createClient(server.url);
      try {
        await assert.rejects(redis.send(["PING"], { timeout: 0 }), RangeError);
        await assert.rejects(
          redis.withOptions({ timeout: -5 }).get("k"),
          RangeError,
        );
        await assert.rejects(redis.acquire({ timeout: 0 }), RangeError);
        assert.throws(
          () => redis.pipeline().ping().exec({ timeout: 0 }),
          RangeError,
        );
        assert.throws(
          () => redis.multi().ping().exec({ timeout: 0 }),
          RangeError,
        );
        assert.equal(await redis.send(["PING"], { timeout: Infinity }), "PONG");
        await using lease = await redis.acquire({ timeout: Infinity });
        await assert.rejects(lease.send(["PING"], { timeout: 0 }), RangeError);
        assert.equal(await lease.ping(), "PONG");
      } finally {
        await redis.close();
      }
    },
  );
});
