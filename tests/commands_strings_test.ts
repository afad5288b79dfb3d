import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient, ReplyError } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

describe("StringCommands against a real redis-server", () => {
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
      const k = (name: string) => `strings:${protocol}:${name}`;

      before(() => {
        redis = createClient(server.url, { protocol });
      });

      after(async () => {
        await redis.close();
      });

      test(
        `Client.mget() returns values and nulls in key order under RESP${protocol}`,
        T,
        async () => {
          await redis.set(k("mget:a"), "1");
          await redis.set(k("mget:b"), "héllo");
          await redis.send(["RPUSH", k("mget:list"), "x"]);
          assert.deepEqual(
            await redis.mget(
              k("mget:a"),
              k("mget:missing"),
              k("mget:b"),
              k("mget:list"),
            ),
            ["1", null, "héllo", null],
          );
          assert.deepEqual(await redis.mget(k("mget:missing")), [null]);
          assert.throws(() => redis.mget(), TypeError);
        },
      );

      test(
        `Client.mset() stores a record, a Map and tuples under RESP${protocol}`,
        T,
        async () => {
          assert.equal(
            await redis.mset({ [k("mset:a")]: "1", [k("mset:b")]: 2 }),
            "OK",
          );
          assert.equal(
            await redis.mset(new Map([[k("mset:c"), "3"]])),
            "OK",
          );
          const bytesKey = new TextEncoder().encode(k("mset:bytes"));
          assert.equal(
            await redis.mset([[k("mset:d"), 4n], [bytesKey, "5"]]),
            "OK",
          );
          assert.deepEqual(
            await redis.mget(
              k("mset:a"),
              k("mset:b"),
              k("mset:c"),
              k("mset:d"),
              k("mset:bytes"),
            ),
            ["1", "2", "3", "4", "5"],
          );
          assert.throws(() => redis.mset({}), TypeError);
          assert.throws(() => redis.mset([]), TypeError);
          assert.throws(
            () => redis.mset([[k("x")] as unknown as [string, string]]),
            TypeError,
          );
          assert.throws(
            () => redis.mset([[1, "v"] as unknown as [string, string]]),
            TypeError,
          );
          assert.throws(
            () => redis.mset({ a: null as unknown as string }),
            TypeError,
          );
          assert.throws(
            () => redis.mset("a" as unknown as Record<string, string>),
            TypeError,
          );
        },
      );

      test(
        `Client.msetnx() returns whether all keys were set under RESP${protocol}`,
        T,
        async () => {
          assert.equal(
            await redis.msetnx({ [k("msetnx:a")]: "1", [k("msetnx:b")]: "2" }),
            true,
          );
          assert.equal(
            await redis.msetnx([[k("msetnx:b"), "9"], [k("msetnx:c"), "9"]]),
            false,
          );
          assert.deepEqual(
            await redis.mget(k("msetnx:a"), k("msetnx:b"), k("msetnx:c")),
            ["1", "2", null],
          );
        },
      );

      test(
        `Client.setnx() returns whether the key was set under RESP${protocol}`,
        T,
        async () => {
          assert.equal(await redis.setnx(k("setnx"), "first"), true);
          assert.equal(await redis.setnx(k("setnx"), "second"), false);
          assert.equal(await redis.get(k("setnx")), "first");
        },
      );

      test(
        `Client.getdel() returns the value and deletes the key under RESP${protocol}`,
        T,
        async () => {
          await redis.set(k("getdel"), "v");
          assert.equal(await redis.getdel(k("getdel")), "v");
          assert.equal(await redis.exists(k("getdel")), 0);
          assert.equal(await redis.getdel(k("getdel")), null);
        },
      );

      test(
        `Client.getex() reads and sets or removes the expiry under RESP${protocol}`,
        T,
        async () => {
          const key = k("getex");
          await redis.set(key, "v");
          assert.equal(await redis.getex(key), "v");
          assert.equal(await redis.ttl(key), -1);
          assert.equal(await redis.getex(key, { ex: 100 }), "v");
          const ttl = await redis.ttl(key);
          assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
          assert.equal(await redis.getex(key, { px: 50_000 }), "v");
          const pttl = await redis.pttl(key);
          assert.ok(pttl > 40_000 && pttl <= 50_000, `pttl ${pttl}`);
          const now = Math.floor(Date.now() / 1000);
          assert.equal(await redis.getex(key, { exat: now + 200 }), "v");
          assert.ok((await redis.ttl(key)) > 150);
          assert.equal(
            await redis.getex(key, { pxat: Date.now() + 300_000 }),
            "v",
          );
          assert.ok((await redis.ttl(key)) > 250);
          assert.equal(await redis.getex(key, { persist: true }), "v");
          assert.equal(await redis.ttl(key), -1);
          assert.equal(await redis.getex(k("getex:missing"), { ex: 1 }), null);
          assert.throws(
            () => redis.getex(key, { ex: 1, persist: true }),
            TypeError,
          );
          assert.throws(() => redis.getex(key, { px: 1, pxat: 1 }), TypeError);
          assert.throws(() => redis.getex(key, { ex: 0 }), RangeError);
          assert.throws(() => redis.getex(key, { ex: 1.5 }), TypeError);
        },
      );

      test(
        `Client.getrange() and setrange() work on byte offsets under RESP${protocol}`,
        T,
        async () => {
          const key = k("range");
          await redis.set(key, "Hello World");
          assert.equal(await redis.getrange(key, 0, 4), "Hello");
          assert.equal(await redis.getrange(key, -5, -1), "World");
          assert.equal(await redis.getrange(key, 20, 30), "");
          assert.equal(await redis.getrange(k("range:missing"), 0, -1), "");
          assert.equal(await redis.setrange(key, 6, "Redis"), 11);
          assert.equal(await redis.get(key), "Hello Redis");
          assert.equal(await redis.setrange(k("range:pad"), 3, "x"), 4);
          assert.equal(await redis.get(k("range:pad")), "\0\0\0x");
          assert.throws(() => redis.setrange(key, -1, "x"), RangeError);
          assert.throws(() => redis.getrange(key, 0.5, 1), TypeError);
        },
      );

      test(
        `Client.append() and strlen() return byte lengths under RESP${protocol}`,
        T,
        async () => {
          const key = k("append");
          assert.equal(await redis.strlen(key), 0);
          assert.equal(await redis.append(key, "ab"), 2);
          assert.equal(await redis.append(key, "é"), 4);
          assert.equal(await redis.append(key, 12), 6);
          assert.equal(await redis.strlen(key), 6);
          assert.equal(await redis.get(key), "abé12");
        },
      );

      test(
        `Client.incrby(), decr() and decrby() return numbers under RESP${protocol}`,
        T,
        async () => {
          const key = k("counter");
          assert.equal(await redis.incrby(key, 10), 10);
          assert.equal(await redis.incrby(key, -3), 7);
          assert.equal(await redis.decr(key), 6);
          assert.equal(await redis.decrby(key, 10), -4);
          assert.equal(await redis.decr(k("counter:new")), -1);
          await redis.set(k("counter:text"), "abc");
          await assert.rejects(redis.incrby(k("counter:text"), 1), ReplyError);
          assert.throws(() => redis.incrby(key, 1.5), TypeError);
          assert.throws(
            () => redis.decrby(key, "1" as unknown as number),
            TypeError,
          );
        },
      );

      test(
        `Client.incrbyfloat() returns a number under RESP${protocol}`,
        T,
        async () => {
          const key = k("float");
          assert.equal(await redis.incrbyfloat(key, 10.5), 10.5);
          const sum = await redis.incrbyfloat(key, 0.1);
          assert.equal(typeof sum, "number");
          assert.equal(sum, 10.6);
          assert.equal(await redis.incrbyfloat(key, -20), -9.4);
          await redis.set(k("float:exp"), "5.0e3");
          assert.equal(await redis.incrbyfloat(k("float:exp"), 200), 5200);
          assert.throws(() => redis.incrbyfloat(key, NaN), TypeError);
          assert.throws(() => redis.incrbyfloat(key, Infinity), TypeError);
        },
      );
    });
  }
});
