import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

describe("SortedSetCombineCommands and range removals against a real redis-server", () => {
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
      const k = (name: string) => `{zops:${protocol}}:${name}`;
      const a = k("a");
      const b = k("b");

      before(async () => {
        redis = createClient(server.url, { protocol });
        await redis.zadd(a, { x: 1, y: 2, w: 0.5 });
        await redis.zadd(b, { y: 3, z: 4, w: Infinity });
      });

      after(async () => {
        await redis.close();
      });

      test(
        `Client.zunion() and zunionWithScores() combine sets with weights and aggregate under RESP${protocol}`,
        T,
        async () => {
          assert.deepEqual(await redis.zunion([a, b]), ["x", "z", "y", "w"]);
          assert.deepEqual(await redis.zunion(a), ["w", "x", "y"]);
          assert.deepEqual(await redis.zunionWithScores([a, b]), [
            { member: "x", score: 1 },
            { member: "z", score: 4 },
            { member: "y", score: 5 },
            { member: "w", score: Infinity },
          ]);
          assert.deepEqual(
            await redis.zunionWithScores([a, b], {
              weights: [2, 1],
              aggregate: "max",
            }),
            [
              { member: "x", score: 2 },
              { member: "y", score: 4 },
              { member: "z", score: 4 },
              { member: "w", score: Infinity },
            ],
          );
          assert.deepEqual(
            await redis.zunionWithScores([a, k("missing")], {
              aggregate: "min",
            }),
            [
              { member: "w", score: 0.5 },
              { member: "x", score: 1 },
              { member: "y", score: 2 },
            ],
          );
          assert.deepEqual(await redis.zunionWithScores(k("missing")), []);
        },
      );

      test(
        `Client.zinter() and zinterWithScores() keep common members under RESP${protocol}`,
        T,
        async () => {
          assert.deepEqual(await redis.zinter([a, b]), ["y", "w"]);
          assert.deepEqual(
            await redis.zinterWithScores([a, b], { aggregate: "min" }),
            [{ member: "w", score: 0.5 }, { member: "y", score: 2 }],
          );
          assert.deepEqual(
            await redis.zinterWithScores([a, b], { weights: [1, -1] }),
            [{ member: "w", score: -Infinity }, { member: "y", score: -1 }],
          );
          assert.deepEqual(await redis.zinter([a, k("missing")]), []);
        },
      );

      test(
        `Client.zdiff() and zdiffWithScores() keep members of the first set only under RESP${protocol}`,
        T,
        async () => {
          assert.deepEqual(await redis.zdiff([a, b]), ["x"]);
          assert.deepEqual(await redis.zdiff(a), ["w", "x", "y"]);
          assert.deepEqual(await redis.zdiffWithScores([a, b]), [
            { member: "x", score: 1 },
          ]);
          assert.deepEqual(await redis.zdiffWithScores([k("missing"), a]), []);
        },
      );

      test(
        `Client.zunion(), zinter() and zdiff() refuse bad keys, weights and aggregates before sending under RESP${protocol}`,
        T,
        () => {
          assert.throws(() => redis.zunion([]), /at least one key/);
          assert.throws(() => redis.zinterWithScores([]), TypeError);
          assert.throws(() => redis.zdiff([]), TypeError);
          assert.throws(() => redis.zdiffWithScores([42 as never]), /key 0/);
          assert.throws(
            () => redis.zunion([a, b], { weights: [1] }),
            /weights must hold one number per key \(2\)/,
          );
          assert.throws(
            () => redis.zinter([a, b], { weights: [1, NaN] }),
            /weights\[1\]/,
          );
          assert.throws(
            () => redis.zunionWithScores([a], { aggregate: "avg" as never }),
            /aggregate/,
          );
          assert.throws(
            () => redis.zinter([a], "sum" as never),
            /options must be an object/,
          );
        },
      );

      test(
        `Client.zlexcount() and zremrangebylex() count and remove lexicographic ranges under RESP${protocol}`,
        T,
        async () => {
          const names = k("names");
          await redis.zadd(names, { ada: 0, bob: 0, cleo: 0, dan: 0, eve: 0 });
          assert.equal(await redis.zlexcount(names, "-", "+"), 5);
          assert.equal(await redis.zlexcount(names, "[b", "(d"), 2);
          assert.equal(await redis.zlexcount(names, "(bob", "[dan"), 2);
          assert.equal(await redis.zlexcount(k("missing"), "-", "+"), 0);
          assert.equal(await redis.zremrangebylex(names, "[a", "(c"), 2);
          assert.deepEqual(await redis.zrange(names, 0, -1), [
            "cleo",
            "dan",
            "eve",
          ]);
          assert.equal(await redis.zremrangebylex(names, "(zz", "+"), 0);
          assert.throws(() => redis.zlexcount(names, "a", "+"), /min/);
          assert.throws(
            () => redis.zremrangebylex(names, "-", 1 as never),
            /max/,
          );
        },
      );

      test(
        `Client.zremrangebyscore() and zremrangebyrank() remove ranges under RESP${protocol}`,
        T,
        async () => {
          const board = k("board");
          await redis.zadd(board, {
            a: 1,
            b: 2,
            c: 3,
            d: 4,
            e: 5,
            f: Infinity,
          });
          assert.equal(await redis.zremrangebyscore(board, "(1", 2), 1);
          assert.equal(await redis.zremrangebyscore(board, 5, "+inf"), 2);
          assert.deepEqual(await redis.zrange(board, 0, -1), ["a", "c", "d"]);
          assert.equal(await redis.zremrangebyrank(board, -1, -1), 1);
          assert.equal(await redis.zremrangebyrank(board, 0, 0), 1);
          assert.deepEqual(await redis.zrange(board, 0, -1), ["c"]);
          assert.equal(await redis.zremrangebyrank(board, 5, 10), 0);
          assert.equal(
            await redis.zremrangebyscore(k("missing"), "-inf", "+inf"),
            0,
          );
          assert.throws(
            () => redis.zremrangebyscore(board, "one", 2),
            /min must be a score bound/,
          );
          assert.throws(() => redis.zremrangebyscore(board, 1, NaN), TypeError);
          assert.throws(() => redis.zremrangebyrank(board, 0.5, 1), /start/);
        },
      );
    });
  }
});
