import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient, ReplyError } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

describe("ListCommands against a real redis-server", () => {
  let server: RedisServer;

  before(async () => {
    server = await startRedis();
  });

  after(async () => {
    await server.stop();
  });

  for (const protocol of [2, 3] as const) {
    describe(`RESP${protocol}`, () => {
      let redis: Client;
      const k = (name: string) => `lists:${protocol}:${name}`;

      before(() => {
        redis = createClient(server.url, { protocol });
      });

      after(async () => {
        await redis.close();
      });

      test(
        `Client.lpush() and rpush() return the new length under RESP${protocol}`,
        T,
        async () => {
          assert.equal(await redis.rpush(k("push"), "b", "c"), 2);
          assert.equal(await redis.lpush(k("push"), "a", "z"), 4);
          assert.deepEqual(await redis.lrange(k("push"), 0, -1), [
            "z",
            "a",
            "b",
            "c",
          ]);
          assert.equal(await redis.rpush(k("push"), 1, 2n), 6);
          assert.deepEqual(await redis.lrange(k("push"), -2, -1), ["1", "2"]);
          assert.throws(() => redis.lpush(k("push")), TypeError);
          assert.throws(
            () => redis.rpush(k("push"), null as unknown as string),
            TypeError,
          );
        },
      );

      test(
        `Client.lpushx() and rpushx() push only onto existing lists under RESP${protocol}`,
        T,
        async () => {
          const key = k("pushx");
          assert.equal(await redis.lpushx(key, "a"), 0);
          assert.equal(await redis.rpushx(key, "a", "b"), 0);
          assert.equal(await redis.exists(key), 0);
          await redis.rpush(key, "m");
          assert.equal(await redis.lpushx(key, "b", "a"), 3);
          assert.equal(await redis.rpushx(key, "y", 7), 5);
          assert.deepEqual(await redis.lrange(key, 0, -1), [
            "a",
            "b",
            "m",
            "y",
            "7",
          ]);
          await redis.set(k("pushx:string"), "s");
          await assert.rejects(
            redis.lpushx(k("pushx:string"), "a"),
            ReplyError,
          );
          assert.throws(() => redis.lpushx(key), /at least one element/);
          assert.throws(() => redis.rpushx(key), TypeError);
          assert.throws(() => redis.rpushx(key, null as never), TypeError);
        },
      );

      test(
        `Client.lpop() and rpop() return a string or null under RESP${protocol}`,
        T,
        async () => {
          await redis.rpush(k("pop"), "a", "b", "c");
          assert.equal(await redis.lpop(k("pop")), "a");
          assert.equal(await redis.rpop(k("pop")), "c");
          assert.equal(await redis.lpop(k("pop")), "b");
          assert.equal(await redis.lpop(k("pop")), null);
          assert.equal(await redis.rpop(k("missing")), null);
        },
      );

      test(
        `Client.lpopCount() and rpopCount() return arrays or null under RESP${protocol}`,
        T,
        async () => {
          await redis.rpush(k("popn"), "a", "b", "c", "d", "e");
          assert.deepEqual(await redis.lpopCount(k("popn"), 2), ["a", "b"]);
          assert.deepEqual(await redis.rpopCount(k("popn"), 2), ["e", "d"]);
          assert.deepEqual(await redis.lpopCount(k("popn"), 0), []);
          assert.deepEqual(await redis.rpopCount(k("popn"), 10), ["c"]);
          assert.equal(await redis.lpopCount(k("popn"), 2), null);
          assert.equal(await redis.rpopCount(k("missing"), 2), null);
          assert.throws(() => redis.lpopCount(k("popn"), -1), RangeError);
          assert.throws(() => redis.rpopCount(k("popn"), 1.5), TypeError);
        },
      );

      test(
        `Client.lrange(), llen() and lindex() read lists under RESP${protocol}`,
        T,
        async () => {
          await redis.rpush(k("read"), "a", "b", "c");
          assert.deepEqual(await redis.lrange(k("read"), 1, 5), ["b", "c"]);
          assert.deepEqual(await redis.lrange(k("read"), 5, 10), []);
          assert.deepEqual(await redis.lrange(k("missing"), 0, -1), []);
          assert.equal(await redis.llen(k("read")), 3);
          assert.equal(await redis.llen(k("missing")), 0);
          assert.equal(await redis.lindex(k("read"), 0), "a");
          assert.equal(await redis.lindex(k("read"), -1), "c");
          assert.equal(await redis.lindex(k("read"), 3), null);
          assert.equal(await redis.lindex(k("missing"), 0), null);
          assert.throws(
            () => redis.lrange(k("read"), 0, "1" as never),
            TypeError,
          );
        },
      );

      test(
        `Client.lset(), lrem() and ltrim() change lists under RESP${protocol}`,
        T,
        async () => {
          await redis.rpush(k("edit"), "a", "x", "b", "x", "c", "x");
          assert.equal(await redis.lset(k("edit"), 0, "A"), "OK");
          assert.equal(await redis.lset(k("edit"), -1, "X"), "OK");
          await assert.rejects(redis.lset(k("edit"), 99, "?"), ReplyError);
          await assert.rejects(redis.lset(k("missing"), 0, "?"), ReplyError);
          assert.equal(await redis.lrem(k("edit"), 1, "x"), 1);
          assert.deepEqual(await redis.lrange(k("edit"), 0, -1), [
            "A",
            "b",
            "x",
            "c",
            "X",
          ]);
          assert.equal(await redis.lrem(k("edit"), 0, "x"), 1);
          assert.equal(await redis.lrem(k("edit"), -2, "nope"), 0);
          assert.equal(await redis.ltrim(k("edit"), 1, 2), "OK");
          assert.deepEqual(await redis.lrange(k("edit"), 0, -1), ["b", "c"]);
          assert.equal(await redis.ltrim(k("missing"), 0, 1), "OK");
        },
      );

      test(
        `Client.linsert() inserts before and after a pivot under RESP${protocol}`,
        T,
        async () => {
          await redis.rpush(k("ins"), "a", "c");
          assert.equal(await redis.linsert(k("ins"), "after", "a", "b"), 3);
          assert.equal(await redis.linsert(k("ins"), "before", "a", "0"), 4);
          assert.deepEqual(await redis.lrange(k("ins"), 0, -1), [
            "0",
            "a",
            "b",
            "c",
          ]);
          assert.equal(await redis.linsert(k("ins"), "after", "nope", "x"), -1);
          assert.equal(
            await redis.linsert(k("missing"), "after", "a", "x"),
            0,
          );
          assert.throws(
            () => redis.linsert(k("ins"), "BEFORE" as never, "a", "x"),
            TypeError,
          );
        },
      );

      test(
        `Client.lpos() and lposCount() find indexes under RESP${protocol}`,
        T,
        async () => {
          await redis.rpush(k("pos"), "a", "b", "a", "c", "a");
          assert.equal(await redis.lpos(k("pos"), "a"), 0);
          assert.equal(await redis.lpos(k("pos"), "a", { rank: 2 }), 2);
          assert.equal(await redis.lpos(k("pos"), "a", { rank: -1 }), 4);
          assert.equal(await redis.lpos(k("pos"), "c", { maxlen: 3 }), null);
          assert.equal(await redis.lpos(k("pos"), "zz"), null);
          assert.equal(await redis.lpos(k("missing"), "a"), null);
          assert.deepEqual(await redis.lposCount(k("pos"), "a", 0), [0, 2, 4]);
          assert.deepEqual(await redis.lposCount(k("pos"), "a", 2), [0, 2]);
          assert.deepEqual(
            await redis.lposCount(k("pos"), "a", 0, { rank: -1, maxlen: 3 }),
            [4, 2],
          );
          assert.deepEqual(await redis.lposCount(k("pos"), "zz", 0), []);
          assert.deepEqual(await redis.lposCount(k("missing"), "a", 0), []);
          assert.throws(
            () => redis.lpos(k("pos"), "a", { rank: 0 }),
            RangeError,
          );
          assert.throws(
            () => redis.lpos(k("pos"), "a", { maxlen: -1 }),
            RangeError,
          );
          assert.throws(() => redis.lposCount(k("pos"), "a", -1), RangeError);
        },
      );

      test(
        `Client.lmove() moves between list ends under RESP${protocol}`,
        T,
        async () => {
          await redis.rpush(k("src"), "a", "b", "c");
          assert.equal(
            await redis.lmove(k("src"), k("dst"), "left", "right"),
            "a",
          );
          assert.equal(
            await redis.lmove(k("src"), k("dst"), "right", "left"),
            "c",
          );
          assert.deepEqual(await redis.lrange(k("dst"), 0, -1), ["c", "a"]);
          assert.equal(
            await redis.lmove(k("src"), k("src"), "left", "right"),
            "b",
          );
          assert.equal(
            await redis.lmove(k("missing"), k("dst"), "left", "left"),
            null,
          );
          assert.throws(
            () => redis.lmove(k("src"), k("dst"), "up" as never, "left"),
            TypeError,
          );
        },
      );

      test(
        `Client.lmpop() returns the key and elements or null under RESP${protocol}`,
        T,
        async () => {
          await redis.rpush(k("mp2"), "a", "b", "c");
          assert.deepEqual(
            await redis.lmpop([k("mp1"), k("mp2")], "left"),
            { key: k("mp2"), elements: ["a"] },
          );
          assert.deepEqual(
            await redis.lmpop(k("mp2"), "right", { count: 5 }),
            { key: k("mp2"), elements: ["c", "b"] },
          );
          assert.equal(await redis.lmpop([k("mp1"), k("mp2")], "left"), null);
          assert.throws(() => redis.lmpop([], "left"), TypeError);
          assert.throws(
            () => redis.lmpop(k("mp2"), "left", { count: 0 }),
            RangeError,
          );
        },
      );

      test(
        `Client.blpop() and brpop() pop at once or time out with null under RESP${protocol}`,
        T,
        async () => {
          await redis.rpush(k("b2"), "a", "b", "c");
          assert.deepEqual(await redis.blpop([k("b1"), k("b2")], 1), {
            key: k("b2"),
            element: "a",
          });
          assert.deepEqual(await redis.brpop(k("b2"), 1), {
            key: k("b2"),
            element: "c",
          });
          const started = Date.now();
          assert.equal(await redis.blpop(k("b1"), 0.2), null);
          assert.equal(await redis.brpop([k("b1")], 0.1), null);
          const elapsed = Date.now() - started;
          assert.ok(elapsed >= 250 && elapsed < 5_000, `waited ${elapsed} ms`);
          assert.throws(() => redis.blpop(k("b1"), -1), RangeError);
          assert.throws(() => redis.blpop(k("b1"), Infinity), RangeError);
          assert.throws(
            () => redis.brpop(k("b1"), "1" as unknown as number),
            TypeError,
          );
          assert.throws(() => redis.blpop([], 1), TypeError);
        },
      );

      test(
        `Client.blmove() and blmpop() pop at once or time out with null under RESP${protocol}`,
        T,
        async () => {
          await redis.rpush(k("bm"), "a", "b", "c", "d");
          assert.equal(
            await redis.blmove(k("bm"), k("bmdst"), "right", "left", 1),
            "d",
          );
          assert.deepEqual(await redis.lrange(k("bmdst"), 0, -1), ["d"]);
          assert.deepEqual(
            await redis.blmpop([k("none"), k("bm")], "left", 1, { count: 2 }),
            { key: k("bm"), elements: ["a", "b"] },
          );
          assert.deepEqual(await redis.blmpop(k("bm"), "right", 1), {
            key: k("bm"),
            elements: ["c"],
          });
          assert.equal(
            await redis.blmove(k("bm"), k("bmdst"), "left", "left", 0.1),
            null,
          );
          assert.equal(await redis.blmpop(k("bm"), "left", 0.1), null);
          assert.throws(
            () => redis.blmpop(k("bm"), "left", 1, { count: 0 }),
            RangeError,
          );
        },
      );

      test(
        `Client.blpop() waiting 1 s does not delay 100 concurrent GETs under RESP${protocol}`,
        T,
        async () => {
          await redis.set(k("plain"), "v");
          let popped = false;
          const started = Date.now();
          const waiting = redis.blpop(k("never"), 1).then((reply) => {
            popped = true;
            return reply;
          });
          const values = await Promise.all(
            Array.from({ length: 100 }, () => redis.get(k("plain"))),
          );
          const getsTook = Date.now() - started;
          assert.equal(popped, false, "the GETs finished after the BLPOP");
          assert.ok(getsTook < 900, `the GETs took ${getsTook} ms`);
          assert.deepEqual(values, Array(100).fill("v"));
          assert.equal(await waiting, null);
          const blpopTook = Date.now() - started;
          assert.ok(blpopTook >= 900, `the BLPOP took ${blpopTook} ms`);
        },
      );

      test(
        `Client.blpop() returns when another client pushes under RESP${protocol}`,
        T,
        async () => {
          const other = createClient(server.url, { protocol });
          try {
            const waiting = redis.blpop([k("wake1"), k("wake2")], 5);
            await new Promise((resolve) => setTimeout(resolve, 200));
            assert.equal(await other.rpush(k("wake2"), "hello"), 1);
            assert.deepEqual(await waiting, {
              key: k("wake2"),
              element: "hello",
            });
            assert.equal(await redis.llen(k("wake2")), 0);
          } finally {
            await other.close();
          }
        },
      );

      test(
        `Client.blpop() with timeout 0 outlives commandTimeout under RESP${protocol}`,
        T,
        async () => {
          // 0 waits for ever: the wait must not be cut by commandTimeout.
          const waiter = createClient(server.url, {
            protocol,
            commandTimeout: 200,
          });
          try {
            const waiting = waiter.blpop(k("forever"), 0);
            await new Promise((resolve) => setTimeout(resolve, 600));
            assert.equal(await redis.lpush(k("forever"), "late"), 1);
            assert.deepEqual(await waiting, {
              key: k("forever"),
              element: "late",
            });
          } finally {
            await waiter.close();
          }
        },
      );

      test(
        `Lease.brpop() blocks on the lease and times out with null under RESP${protocol}`,
        T,
        async () => {
          const lease = await redis.acquire();
          try {
            assert.equal(await lease.brpop(k("lease"), 0.1), null);
            await lease.rpush(k("lease"), "x");
            assert.deepEqual(await lease.brpop(k("lease"), 0.1), {
              key: k("lease"),
              element: "x",
            });
          } finally {
            await lease.release();
          }
        },
      );
    });
  }
});
