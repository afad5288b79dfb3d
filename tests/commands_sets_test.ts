import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

const sorted = (list: string[]) => [...list].sort();

describe("SetCommands against a real redis-server", () => {
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
      const k = (name: string) => `sets:${protocol}:${name}`;

      before(() => {
        redis = createClient(server.url, { protocol });
      });

      after(async () => {
        await redis.close();
      });

      test(
        `Client.sadd() and srem() count added and removed members under RESP${protocol}`,
        T,
        async () => {
          assert.equal(await redis.sadd(k("add"), "a", "b", "a"), 2);
          assert.equal(await redis.sadd(k("add"), "b", "c", 1), 2);
          assert.equal(await redis.srem(k("add"), "a", "zz"), 1);
          assert.equal(await redis.srem(k("missing"), "a"), 0);
          assert.throws(() => redis.sadd(k("add")), TypeError);
          assert.throws(() => redis.srem(k("add")), TypeError);
        },
      );

      test(
        `Client.smembers() returns an array (not a Set) under RESP${protocol}`,
        T,
        async () => {
          await redis.sadd(k("members"), "a", "b", "c");
          const members = await redis.smembers(k("members"));
          assert.ok(Array.isArray(members));
          assert.deepEqual(sorted(members), ["a", "b", "c"]);
          assert.deepEqual(await redis.smembers(k("missing")), []);
        },
      );

      test(
        `Client.sismember() and smismember() return booleans under RESP${protocol}`,
        T,
        async () => {
          await redis.sadd(k("is"), "a", "b");
          assert.equal(await redis.sismember(k("is"), "a"), true);
          assert.equal(await redis.sismember(k("is"), "z"), false);
          assert.equal(await redis.sismember(k("missing"), "a"), false);
          assert.deepEqual(await redis.smismember(k("is"), "a", "z", "b"), [
            true,
            false,
            true,
          ]);
          assert.deepEqual(await redis.smismember(k("missing"), "a"), [false]);
          assert.throws(() => redis.smismember(k("is")), TypeError);
        },
      );

      test(
        `Client.scard() counts members under RESP${protocol}`,
        T,
        async () => {
          await redis.sadd(k("card"), "a", "b", "c");
          assert.equal(await redis.scard(k("card")), 3);
          assert.equal(await redis.scard(k("missing")), 0);
        },
      );

      test(
        `Client.sinter(), sunion() and sdiff() return arrays under RESP${protocol}`,
        T,
        async () => {
          await redis.sadd(k("x"), "a", "b", "c");
          await redis.sadd(k("y"), "b", "c", "d");
          const inter = await redis.sinter(k("x"), k("y"));
          assert.ok(Array.isArray(inter));
          assert.deepEqual(sorted(inter), ["b", "c"]);
          assert.deepEqual(sorted(await redis.sunion(k("x"), k("y"))), [
            "a",
            "b",
            "c",
            "d",
          ]);
          assert.deepEqual(await redis.sdiff(k("x"), k("y")), ["a"]);
          assert.deepEqual(await redis.sinter(k("x"), k("missing")), []);
          assert.deepEqual(await redis.sdiff(k("missing")), []);
          assert.deepEqual(sorted(await redis.sunion(k("x"))), ["a", "b", "c"]);
          assert.throws(() => redis.sinter(), TypeError);
        },
      );

      test(
        `Client.sinterstore(), sunionstore() and sdiffstore() return the size stored under RESP${protocol}`,
        T,
        async () => {
          await redis.sadd(k("sx"), "a", "b", "c");
          await redis.sadd(k("sy"), "b", "c", "d");
          assert.equal(await redis.sinterstore(k("si"), k("sx"), k("sy")), 2);
          assert.deepEqual(sorted(await redis.smembers(k("si"))), ["b", "c"]);
          assert.equal(await redis.sunionstore(k("su"), k("sx"), k("sy")), 4);
          assert.equal(await redis.sdiffstore(k("sd"), k("sx"), k("sy")), 1);
          assert.deepEqual(await redis.smembers(k("sd")), ["a"]);
          assert.equal(
            await redis.sinterstore(k("si"), k("sx"), k("missing")),
            0,
          );
          assert.equal(await redis.exists(k("si")), 0);
          assert.throws(() => redis.sunionstore(k("su")), TypeError);
        },
      );

      test(
        `Client.spop() and spopCount() remove random members under RESP${protocol}`,
        T,
        async () => {
          await redis.sadd(k("pop"), "a", "b", "c", "d");
          const one = await redis.spop(k("pop"));
          assert.ok(one !== null && ["a", "b", "c", "d"].includes(one));
          const two = await redis.spopCount(k("pop"), 2);
          assert.ok(Array.isArray(two));
          assert.equal(two.length, 2);
          assert.equal(new Set([one, ...two]).size, 3);
          assert.deepEqual(await redis.spopCount(k("pop"), 0), []);
          assert.equal((await redis.spopCount(k("pop"), 10)).length, 1);
          assert.equal(await redis.spop(k("pop")), null);
          assert.deepEqual(await redis.spopCount(k("missing"), 3), []);
          assert.throws(() => redis.spopCount(k("pop"), -1), RangeError);
        },
      );

      test(
        `Client.srandmember() and srandmemberCount() leave the set as it was under RESP${protocol}`,
        T,
        async () => {
          await redis.sadd(k("rand"), "a", "b", "c");
          const one = await redis.srandmember(k("rand"));
          assert.ok(one !== null && ["a", "b", "c"].includes(one));
          const distinct = await redis.srandmemberCount(k("rand"), 10);
          assert.deepEqual(sorted(distinct), ["a", "b", "c"]);
          const repeated = await redis.srandmemberCount(k("rand"), -7);
          assert.equal(repeated.length, 7);
          assert.ok(repeated.every((m) => ["a", "b", "c"].includes(m)));
          assert.equal(await redis.scard(k("rand")), 3);
          assert.equal(await redis.srandmember(k("missing")), null);
          assert.deepEqual(await redis.srandmemberCount(k("missing"), 2), []);
          assert.throws(
            () => redis.srandmemberCount(k("rand"), 0.5),
            TypeError,
          );
        },
      );

      test(
        `Client.smove() returns whether the member moved under RESP${protocol}`,
        T,
        async () => {
          await redis.sadd(k("from"), "a", "b");
          assert.equal(await redis.smove(k("from"), k("to"), "a"), true);
          assert.equal(await redis.smove(k("from"), k("to"), "a"), false);
          assert.equal(await redis.smove(k("missing"), k("to"), "a"), false);
          assert.deepEqual(await redis.smembers(k("to")), ["a"]);
          assert.deepEqual(await redis.smembers(k("from")), ["b"]);
        },
      );

      test(
        `Client.sintercard() counts the intersection up to a limit under RESP${protocol}`,
        T,
        async () => {
          await redis.sadd(k("c1"), "a", "b", "c", "d");
          await redis.sadd(k("c2"), "b", "c", "d", "e");
          assert.equal(await redis.sintercard([k("c1"), k("c2")]), 3);
          assert.equal(
            await redis.sintercard([k("c1"), k("c2")], { limit: 2 }),
            2,
          );
          assert.equal(
            await redis.sintercard([k("c1"), k("c2")], { limit: 0 }),
            3,
          );
          assert.equal(await redis.sintercard(k("c1")), 4);
          assert.equal(await redis.sintercard([k("c1"), k("missing")]), 0);
          assert.throws(() => redis.sintercard([]), TypeError);
          assert.throws(
            () => redis.sintercard(k("c1"), { limit: -1 }),
            RangeError,
          );
        },
      );
    });
  }
});
