/**
 * The client-side cache against a real redis-server: what is answered from
 * memory (counted on the server with INFO commandstats), invalidation by
 * another client's writes, this client's own writes through every path,
 * lost connections, flushes, bounds, ttl, and the concurrent torture case.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient, TimeoutError } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";
import { sleep, waitFor } from "./_util.ts";
import { FaultProxy } from "./faults/_peers.ts";

const T = { timeout: 60_000 };

/** Calls of each command the server ran, from INFO commandstats. */
async function serverCalls(redis: Client): Promise<Map<string, number>> {
  const info = (await redis.info("commandstats")).commandstats ?? {};
  const calls = new Map<string, number>();
  for (const [field, value] of Object.entries(info)) {
    const n = /calls=(\d+)/.exec(value)?.[1];
    if (field.startsWith("cmdstat_") && n) calls.set(field.slice(8), Number(n));
  }
  return calls;
}

/** How many times the server ran `command` while `fn` ran. */
async function countCalls(
  admin: Client,
  command: string,
  fn: () => Promise<unknown>,
): Promise<number> {
  const before = (await serverCalls(admin)).get(command) ?? 0;
  await fn();
  const after = (await serverCalls(admin)).get(command) ?? 0;
  // The INFO call itself is not one of them.
  return after - before;
}

/** Waits until the cache dropped a reply for a change it was told of. */
async function invalidated(client: Client, since: number): Promise<void> {
  await waitFor(() => client.stats().cache!.invalidations > since, 2_000);
}

describe("Client-side cache", () => {
  let server: RedisServer;
  let admin: Client;

  before(async () => {
    server = await startRedis();
    admin = createClient(server.url);
  });

  after(async () => {
    await admin?.close();
    await server?.stop();
  });

  test(
    "answers a repeated read from memory and sees another client's write once its invalidation arrives",
    T,
    async () => {
      await using redis = createClient(server.url, { cache: true });
      await admin.set("c:get", "one");
      assert.equal(
        await countCalls(admin, "get", async () => {
          assert.equal(await redis.get("c:get"), "one");
          for (let i = 0; i < 100; i++) {
            assert.equal(await redis.get("c:get"), "one");
          }
        }),
        1,
      );
      const stats = redis.stats().cache!;
      assert.equal(stats.hits, 100);
      assert.equal(stats.misses, 1);
      assert.equal(stats.entries, 1);
      const since = stats.invalidations;
      await admin.set("c:get", "two");
      await invalidated(redis, since);
      assert.equal(await redis.get("c:get"), "two");
      assert.equal(redis.stats().cache!.entries, 1);
    },
  );

  test(
    "caches each listed read command once, and invalidates it on a write by another client",
    T,
    async () => {
      await using redis = createClient(server.url, { cache: true });
      await admin.del("c:h", "c:s", "c:z", "c:l", "c:str");
      await admin.hset("c:h", { f: "1", g: "2" });
      await admin.sadd("c:s", "a", "b");
      await admin.zadd("c:z", { a: 1, b: 2 });
      await admin.rpush("c:l", "x", "y");
      await admin.set("c:str", "hello");
      const reads: [string, () => Promise<unknown>, () => Promise<unknown>][] =
        [
          [
            "hget",
            () => redis.hget("c:h", "f"),
            () => admin.hset("c:h", { f: "9" }),
          ],
          [
            "hgetall",
            () => redis.hgetall("c:h"),
            () => admin.hset("c:h", { g: "8" }),
          ],
          [
            "hmget",
            () => redis.hmget("c:h", "f", "g"),
            () => admin.hset("c:h", { f: "7" }),
          ],
          [
            "smembers",
            () => redis.smembers("c:s"),
            () => admin.sadd("c:s", "c"),
          ],
          [
            "sismember",
            () => redis.sismember("c:s", "d"),
            () => admin.sadd("c:s", "d"),
          ],
          [
            "zscore",
            () => redis.zscore("c:z", "a"),
            () => admin.zadd("c:z", { a: 5 }),
          ],
          [
            "zrange",
            () => redis.zrange("c:z", 0, -1),
            () => admin.zadd("c:z", { c: 3 }),
          ],
          [
            "lrange",
            () => redis.lrange("c:l", 0, -1),
            () => admin.rpush("c:l", "z"),
          ],
          ["exists", () => redis.exists("c:str"), () => admin.del("c:str")],
          [
            "strlen",
            () => redis.strlen("c:l2"),
            () => admin.set("c:l2", "abc"),
          ],
          ["type", () => redis.type("c:t"), () => admin.set("c:t", "v")],
        ];
      for (const [name, read, write] of reads) {
        const first = await read();
        assert.equal(
          await countCalls(admin, name, async () => {
            assert.deepEqual(await read(), first, name);
            assert.deepEqual(await read(), first, name);
          }),
          0,
          `${name} answered from memory`,
        );
        const since = redis.stats().cache!.invalidations;
        await write();
        await invalidated(redis, since);
        assert.notDeepEqual(await read(), first, `${name} sees the write`);
      }
    },
  );

  test(
    "MGET is cached per key: a later MGET sends only the keys it lacks",
    T,
    async () => {
      await using redis = createClient(server.url, { cache: true });
      await admin.mset({ "c:m1": "1", "c:m2": "2", "c:m3": "3" });
      assert.deepEqual(await redis.mget("c:m1", "c:m2"), ["1", "2"]);
      // Two of three cached: one MGET goes out, for c:m3 alone.
      const before = (await serverCalls(admin)).get("mget") ?? 0;
      assert.deepEqual(await redis.mget("c:m1", "c:m2", "c:m3"), [
        "1",
        "2",
        "3",
      ]);
      assert.deepEqual(await redis.mget("c:m3", "c:m1"), ["3", "1"]);
      assert.equal(((await serverCalls(admin)).get("mget") ?? 0) - before, 1);
      assert.equal(redis.stats().cache!.entries, 3);
      const since = redis.stats().cache!.invalidations;
      await admin.set("c:m2", "two");
      await invalidated(redis, since);
      assert.deepEqual(await redis.mget("c:m1", "c:m2", "c:m3"), [
        "1",
        "two",
        "3",
      ]);
    },
  );

  test(
    "reads whose answer changes without a write are not cached",
    T,
    async () => {
      await using redis = createClient(server.url, { cache: true });
      await admin.set("c:ttl", "v", { ex: 100 });
      assert.equal(
        await countCalls(admin, "ttl", async () => {
          await redis.ttl("c:ttl");
          await redis.ttl("c:ttl");
        }),
        2,
      );
      assert.equal(
        await countCalls(admin, "pttl", async () => {
          await redis.pttl("c:ttl");
          await redis.pttl("c:ttl");
        }),
        2,
      );
      assert.equal(redis.stats().cache!.entries, 0);
    },
  );

  test(
    "this client's own writes are seen by its next read, through every path",
    T,
    async () => {
      await using redis = createClient(server.url, {
        cache: true,
        pool: { min: 2, max: 4 },
      });
      await redis.connect();
      const key = "c:own";
      let n = 0;
      const writes: [string, (v: string) => Promise<unknown>][] = [
        ["a command", (v) => redis.set(key, v)],
        ["a raw send", (v) => redis.send(["SET", key, v])],
        ["a pipeline", (v) => redis.pipeline().set(key, v).exec()],
        ["multi()", (v) => redis.multi().set(key, v).exec()],
        ["a lease", async (v) => {
          await using lease = await redis.acquire();
          await lease.set(key, v);
        }],
        ["a raw MULTI on a lease", async (v) => {
          await using lease = await redis.acquire();
          await lease.send(["MULTI"]);
          await lease.send(["SET", key, v]);
          await lease.send(["EXEC"]);
        }],
        [
          "transaction()",
          (v) =>
            redis.transaction((lease) => lease.multi().set(key, v), {
              watch: [key],
            }),
        ],
        ["a script", (v) =>
          redis.send([
            "EVAL",
            "redis.call('SET', KEYS[1], ARGV[1])",
            1,
            key,
            v,
          ])],
      ];
      let stale = 0;
      for (const [path, write] of writes) {
        for (let i = 0; i < 30; i++) {
          // The PING keeps the first connection busy, so the read (and the
          // server's tracking of the key) lands on the second, and the
          // write then goes out on the first: the server's invalidation
          // comes on another connection than the write's reply.
          await Promise.all([redis.send(["PING"]), redis.get(key)]);
          const value = `v${++n}`;
          await write(value);
          if (await redis.get(key) !== value) stale++;
        }
        assert.equal(stale, 0, path);
      }
    },
  );

  test(
    "what a read returns is a copy: changing it does not change the cache",
    T,
    async () => {
      await using redis = createClient(server.url, { cache: true });
      await admin.del("c:copy", "c:copyl");
      await admin.hset("c:copy", { f: "1" });
      await admin.rpush("c:copyl", "a", "b");
      const hash = await redis.hgetall("c:copy");
      hash.f = "changed";
      const list = await redis.lrange("c:copyl", 0, -1);
      list.push("c");
      const bytes = await redis.send(["GET", "c:copy:b"], { bytes: true });
      assert.equal(bytes, null);
      assert.deepEqual(await redis.hgetall("c:copy"), { f: "1" });
      assert.deepEqual(await redis.lrange("c:copyl", 0, -1), ["a", "b"]);
      assert.equal(redis.stats().cache!.hits, 2);
    },
  );

  test(
    "a killed connection takes its entries with it: a write made while it was down is seen after",
    T,
    async () => {
      await using redis = createClient(server.url, {
        cache: true,
        name: "cache-kill",
        pool: { max: 3 },
      });
      await admin.mset({ "c:k1": "before", "c:k2": "before" });
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => redis.get(`c:k${1 + i % 2}`)),
      );
      assert.equal(redis.stats().cache!.entries, 2);
      const list = await admin.send(["CLIENT", "LIST"]) as string;
      const ids = [...list.matchAll(/^id=(\d+) .*name=cache-kill /gm)]
        .map((m) => m[1]);
      assert.ok(ids.length > 0);
      for (const id of ids) await admin.send(["CLIENT", "KILL", "ID", id]);
      // Written while the caching client's connections are gone.
      await admin.mset({ "c:k1": "after", "c:k2": "after" });
      await waitFor(() => redis.stats().cache!.entries === 0, 2_000);
      assert.deepEqual(await redis.mget("c:k1", "c:k2"), ["after", "after"]);
      assert.equal(await redis.get("c:k1"), "after");
    },
  );

  test(
    "a connection gone silent (half-open) is probed and dropped with its entries within 5 s plus commandTimeout",
    T,
    async () => {
      const proxy = await new FaultProxy(server.port).start();
      try {
        await using redis = createClient(proxy.url, {
          cache: true,
          commandTimeout: 500,
        });
        await admin.set("c:silent", "before");
        assert.equal(await redis.get("c:silent"), "before");
        const silentAt = Date.now();
        proxy.halfOpenExisting();
        // Written where the cached connection cannot hear of it.
        await admin.set("c:silent", "after");
        await waitFor(() => redis.stats().cache!.entries === 0, 10_000);
        const droppedMs = Date.now() - silentAt;
        assert.ok(droppedMs <= 5_000 + 1_000 + 500 + 1_000, `${droppedMs} ms`);
        assert.equal(await redis.get("c:silent"), "after");
      } finally {
        await proxy.stop();
      }
    },
  );

  test("FLUSHALL from another client empties the cache", T, async () => {
    await using redis = createClient(server.url, { cache: true });
    await admin.mset({ "c:f1": "1", "c:f2": "2" });
    await redis.get("c:f1");
    await redis.mget("c:f1", "c:f2");
    assert.equal(redis.stats().cache!.entries, 3);
    await admin.flushall();
    await waitFor(() => redis.stats().cache!.entries === 0, 2_000);
    assert.equal(await redis.get("c:f1"), null);
    assert.deepEqual(await redis.mget("c:f1", "c:f2"), [null, null]);
  });

  test(
    "maxEntries and maxBytes are never exceeded; the least recently used go first",
    T,
    async () => {
      await using redis = createClient(server.url, {
        cache: { maxEntries: 50, maxBytes: 40_000 },
      });
      const values: Record<string, string> = {};
      for (let i = 0; i < 300; i++) {
        values[`c:b${i}`] = "x".repeat(i * 7 % 1500);
      }
      await admin.mset(values);
      await redis.get("c:b0");
      for (let i = 0; i < 300; i++) {
        // c:b0 is read every time, so it stays.
        await redis.get("c:b0");
        assert.equal(await redis.get(`c:b${i}`), values[`c:b${i}`]);
        const { entries, bytes } = redis.stats().cache!;
        assert.ok(entries <= 50, `${entries} entries`);
        assert.ok(bytes <= 40_000, `${bytes} bytes`);
      }
      const stats = redis.stats().cache!;
      assert.ok(stats.evictions > 200, `${stats.evictions} evictions`);
      assert.equal(
        await countCalls(admin, "get", () => redis.get("c:b0")),
        0,
        "the most used entry was kept",
      );
      // A reply larger than maxBytes is answered but not kept.
      await admin.set("c:huge", "y".repeat(50_000));
      assert.equal(
        await countCalls(admin, "get", async () => {
          assert.equal((await redis.get("c:huge"))?.length, 50_000);
          assert.equal((await redis.get("c:huge"))?.length, 50_000);
        }),
        2,
      );
    },
  );

  test("an entry older than ttl is read from the server again", T, async () => {
    await using redis = createClient(server.url, { cache: { ttl: 100 } });
    await admin.set("c:ttl2", "v");
    assert.equal(
      await countCalls(admin, "get", async () => {
        await redis.get("c:ttl2");
        await redis.get("c:ttl2");
      }),
      1,
    );
    await sleep(150);
    assert.equal(await countCalls(admin, "get", () => redis.get("c:ttl2")), 1);
    assert.ok(redis.stats().cache!.evictions >= 1);
  });

  test(
    "leases bypass the cache; turning tracking off on one drops what its connection tracked",
    T,
    async () => {
      await using redis = createClient(server.url, {
        cache: true,
        pool: { max: 1 },
      });
      await admin.set("c:lease", "1");
      await redis.get("c:lease");
      assert.equal(redis.stats().cache!.entries, 1);
      {
        await using lease = await redis.acquire();
        assert.equal(
          await countCalls(admin, "get", () => lease.get("c:lease")),
          1,
        );
        await lease.get("c:lease2");
        assert.equal(
          redis.stats().cache!.entries,
          1,
          "lease reads are not kept",
        );
        await lease.send(["CLIENT", "TRACKING", "OFF"]);
        assert.equal(redis.stats().cache!.entries, 0);
      }
      await admin.set("c:lease", "2");
      assert.equal(await redis.get("c:lease"), "2");
    },
  );

  test(
    "concurrent readers see every key's value only grow while another client INCRs, and converge within 100 ms",
    {
      timeout: 60_000,
    },
    async () => {
      const keys = Array.from({ length: 50 }, (_, i) => `c:inc:${i}`);
      await admin.del(...keys);
      await using writer = createClient(server.url);
      await using redis = createClient(server.url, {
        cache: true,
        pool: { max: 4 },
      });
      const floor = new Map<string, number>(); // highest value a read returned
      const value = (v: string | null) => v === null ? 0 : Number(v);
      let violations = 0;
      let reads = 0;
      let writing = true;
      const check = (key: string, before: number, got: number) => {
        reads++;
        if (got < before) violations++;
        if (got > (floor.get(key) ?? 0)) floor.set(key, got);
      };
      const reader = async (r: number) => {
        let i = r;
        while (writing) {
          i = (i * 7 + 13) % keys.length;
          if (i % 5 === 0) {
            const pick = [keys[i], keys[(i + 1) % keys.length]];
            const before = pick.map((k) => floor.get(k) ?? 0);
            const got = await redis.mget(...pick);
            pick.forEach((k, j) => check(k, before[j], value(got[j])));
          } else {
            const before = floor.get(keys[i]) ?? 0;
            check(keys[i], before, value(await redis.get(keys[i])));
          }
        }
      };
      const readers = Array.from({ length: 8 }, (_, r) => reader(r));
      const end = Date.now() + 2_000;
      let writes = 0;
      while (Date.now() < end) {
        await Promise.all(keys.map((k) => writer.incr(k)));
        writes++;
      }
      const stoppedAt = Date.now();
      // Converged: every key reads its final value.
      let convergedAt = 0;
      while (Date.now() - stoppedAt < 1_000) {
        const got = await Promise.all(keys.map((k) => redis.get(k)));
        if (got.every((v) => value(v) === writes)) {
          convergedAt = Date.now();
          break;
        }
        await sleep(2);
      }
      writing = false;
      await Promise.all(readers);
      const stats = redis.stats().cache!;
      console.log(
        `cache-torture: ${
          JSON.stringify({
            writes: writes * keys.length,
            reads,
            violations,
            convergedMs: convergedAt - stoppedAt,
            hits: stats.hits,
            misses: stats.misses,
            invalidations: stats.invalidations,
          })
        }`,
      );
      assert.equal(violations, 0);
      assert.ok(reads > 1_000, `${reads} reads`);
      assert.ok(convergedAt > 0, "converged");
      assert.ok(
        convergedAt - stoppedAt <= 100,
        `${convergedAt - stoppedAt} ms`,
      );
    },
  );

  /**
   * Starts a caller whose reads all hit, for at most 5 s, and calls `then`
   * from a timer 50 ms later: hits settle without I/O, so by then the
   * cache has made reads wait for the next turn of the event loop.
   */
  async function whileHitsSpin<T>(
    redis: Client,
    then: () => Promise<T>,
  ): Promise<{ value: T; waited: number; spins: number }> {
    await admin.set("c:spin", "s");
    await redis.get("c:spin");
    let spinning = true;
    let spins = 0;
    const deadline = Date.now() + 5_000;
    const spinner = (async () => {
      while (spinning && Date.now() < deadline) {
        await redis.get("c:spin").catch(() => {});
        spins++;
      }
    })();
    await sleep(50);
    const started = Date.now();
    try {
      const value = await then();
      return { value, waited: Date.now() - started, spins };
    } finally {
      spinning = false;
      await spinner;
    }
  }

  test(
    "a read that waits for its turn is answered on the next one, however fast another caller's hits come",
    T,
    async () => {
      await using redis = createClient(server.url, { cache: true });
      await admin.set("c:turn", "t");
      await redis.get("c:turn");
      const { value, waited, spins } = await whileHitsSpin(
        redis,
        () => redis.get("c:turn"),
      );
      assert.equal(value, "t");
      assert.ok(spins > 100, `${spins} hits meanwhile`);
      assert.ok(waited < 1_000, `waited ${waited} ms`);
    },
  );

  test(
    "close() answers the reads waiting for their turn, as replies in flight",
    T,
    async () => {
      const redis = createClient(server.url, { cache: true });
      const { value, waited } = await whileHitsSpin(redis, () => {
        const read = redis.get("c:turn").then(
          (v) => ({ v }),
          (error: Error) => ({ error }),
        );
        return Promise.all([read, redis.close()]).then(([r]) => r);
      });
      assert.ok(waited < 1_000, `waited ${waited} ms`);
      assert.deepEqual(value, { v: "t" });
    },
  );

  test(
    "with the cache on, the pool still hears its connection: a lease gets the busy connection once its replies are in, a timeout is counted",
    T,
    async () => {
      // One connection: the lease must wait for it to drain, which only
      // the connection's idle event tells the pool.
      await using redis = createClient(server.url, {
        cache: true,
        pool: { max: 1 },
      });
      await redis.ping();
      const reads = Array.from({ length: 50 }, (_, i) => redis.get(`c:ev${i}`));
      const leasing = redis.acquire({ timeout: 2_000 });
      assert.deepEqual(await Promise.all(reads), reads.map(() => null));
      {
        await using lease = await leasing;
        assert.equal(await lease.ping(), "PONG");
      }
      const quick = redis.withOptions({ timeout: 30 });
      await assert.rejects(
        quick.send(["DEBUG", "SLEEP", "0.2"]),
        TimeoutError,
      );
      assert.equal(redis.stats().timeouts, 1);
      await sleep(250); // the server sleeps until then
      assert.equal(await redis.get("c:ev0"), null);
    },
  );

  test(
    "a server restart drops every entry: a write after it is seen",
    T,
    async () => {
      await using redis = createClient(server.url, { cache: true });
      await admin.set("c:restart", "before");
      assert.equal(await redis.get("c:restart"), "before");
      assert.equal(redis.stats().cache!.entries, 1);
      await server.kill();
      await waitFor(() => redis.stats().cache!.entries === 0, 5_000);
      // As the other restart tests: let the old sockets wind down first.
      await sleep(200);
      await server.restart();
      await admin.set("c:restart", "after");
      assert.equal(await redis.get("c:restart"), "after");
    },
  );
});

describe("Client-side cache options", () => {
  test("protocol 2 with cache is refused at createClient", () => {
    assert.throws(
      () => createClient({ protocol: 2, cache: true }),
      (error: unknown) =>
        error instanceof TypeError &&
        /cache needs protocol 3/.test(error.message),
    );
  });

  test("unknown and out-of-range cache options are refused, naming them", () => {
    assert.throws(
      // @ts-expect-error: a typo
      () => createClient({ cache: { maxEntrys: 10 } }),
      (error: unknown) =>
        error instanceof TypeError && /cache\.maxEntrys/.test(error.message),
    );
    assert.throws(
      () => createClient({ cache: { maxEntries: 0 } }),
      (error: unknown) =>
        error instanceof RangeError && /cache\.maxEntries/.test(error.message),
    );
    assert.throws(
      () => createClient({ cache: { ttl: -1 } }),
      (error: unknown) =>
        error instanceof RangeError && /cache\.ttl/.test(error.message),
    );
    assert.throws(
      // @ts-expect-error: not an object
      () => createClient({ cache: "yes" }),
      (error: unknown) =>
        error instanceof TypeError && /cache/.test(error.message),
    );
  });
});
