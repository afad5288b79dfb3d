import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient, ReplyError } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

describe("SortCommands against a real redis-server", () => {
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
      const k = (name: string) => `sort:${protocol}:${name}`;
      const ids = k("ids");

      before(async () => {
        redis = createClient(server.url, { protocol });
        await redis.rpush(ids, "3", "1", "2", "10");
        await redis.mset({
          [k("weight_1")]: "30",
          [k("weight_2")]: "10",
          [k("weight_3")]: "20",
          [k("weight_10")]: "40",
          [k("name_2")]: "two",
          [k("name_3")]: "three",
          [k("name_10")]: "ten",
        });
        await redis.hset(k("user_1"), { age: "41" });
        await redis.hset(k("user_2"), { age: "17" });
      });

      after(async () => {
        await redis.close();
      });

      test(
        `Client.sort() sorts numbers and strings, in either order, with a limit under RESP${protocol}`,
        T,
        async () => {
          assert.deepEqual(await redis.sort(ids), ["1", "2", "3", "10"]);
          assert.deepEqual(await redis.sort(ids, { order: "desc" }), [
            "10",
            "3",
            "2",
            "1",
          ]);
          assert.deepEqual(await redis.sort(ids, { alpha: true }), [
            "1",
            "10",
            "2",
            "3",
          ]);
          assert.deepEqual(
            await redis.sort(ids, { limit: { offset: 1, count: 2 } }),
            ["2", "3"],
          );
          assert.deepEqual(
            await redis.sort(ids, { limit: { offset: 2, count: -1 } }),
            ["3", "10"],
          );
          await redis.sadd(k("set"), "b", "a", "c");
          assert.deepEqual(
            await redis.sort(k("set"), { alpha: true, order: "desc" }),
            ["c", "b", "a"],
          );
          assert.deepEqual(await redis.sort(k("missing")), []);
          await assert.rejects(redis.sort(k("set")), ReplyError);
        },
      );

      test(
        `Client.sort() sorts by other keys and returns their values, null where missing under RESP${protocol}`,
        T,
        async () => {
          assert.deepEqual(await redis.sort(ids, { by: k("weight_*") }), [
            "2",
            "3",
            "1",
            "10",
          ]);
          assert.deepEqual(
            await redis.sort(ids, {
              by: k("weight_*"),
              get: ["#", k("name_*")],
            }),
            ["2", "two", "3", "three", "1", null, "10", "ten"],
          );
          assert.deepEqual(
            await redis.sort(ids, {
              by: "nosort",
              get: [k("user_*->age")],
              limit: { offset: 0, count: 3 },
            }),
            [null, "41", "17"],
          );
        },
      );

      test(
        `Client.sortRo() sorts like SORT and sortStore() stores the result under RESP${protocol}`,
        T,
        async () => {
          assert.deepEqual(
            await redis.sortRo(ids, {
              order: "desc",
              limit: { offset: 0, count: 2 },
            }),
            ["10", "3"],
          );
          assert.deepEqual(
            await redis.sortRo(ids, { by: k("weight_*"), get: [k("name_*")] }),
            ["two", "three", null, "ten"],
          );
          const dest = k("sorted");
          assert.equal(await redis.sortStore(ids, dest, { order: "desc" }), 4);
          assert.deepEqual(await redis.lrange(dest, 0, -1), [
            "10",
            "3",
            "2",
            "1",
          ]);
          assert.equal(
            await redis.sortStore(ids, dest, { get: [k("name_*")] }),
            4,
          );
          assert.deepEqual(await redis.lrange(dest, 0, -1), [
            "",
            "two",
            "three",
            "ten",
          ]);
          assert.equal(await redis.sortStore(k("missing"), dest), 0);
          assert.equal(await redis.exists(dest), 0);
        },
      );

      test(
        `Client.sort(), sortRo() and sortStore() refuse malformed options before sending under RESP${protocol}`,
        T,
        () => {
          assert.throws(() => redis.sort(ids, { get: [] }), /get must be/);
          assert.throws(
            () => redis.sort(ids, { get: [1 as never] }),
            /get\[0\]/,
          );
          assert.throws(
            () => redis.sortRo(ids, { order: "up" as never }),
            /order/,
          );
          assert.throws(
            () => redis.sort(ids, { limit: { offset: -1, count: 1 } }),
            RangeError,
          );
          assert.throws(
            () => redis.sort(ids, { limit: { offset: 0, count: 0.5 } }),
            /limit\.count/,
          );
          assert.throws(() => redis.sort(ids, { by: 5 as never }), /by/);
          assert.throws(
            () => redis.sortStore(ids, null as never),
            /destination/,
          );
          assert.throws(() => redis.sort(null as never), TypeError);
        },
      );
    });
  }
});
