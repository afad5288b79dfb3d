import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

describe("SortedSetCommands against a real redis-server", () => {
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
      const k = (name: string) => `zsets:${protocol}:${name}`;

      before(() => {
        redis = createClient(server.url, { protocol });
      });

      after(async () => {
        await redis.close();
      });

      test(
        `Client.zadd() adds from entries or a record and applies nx, xx, gt, lt and ch under RESP${protocol}`,
        T,
        async () => {
          assert.equal(
            await redis.zadd(k("add"), [
              { member: "a", score: 1 },
              { member: "b", score: 2.5 },
            ]),
            2,
          );
          assert.equal(await redis.zadd(k("add"), { b: 3, c: -Infinity }), 1);
          assert.equal(await redis.zscore(k("add"), "b"), 3);
          assert.equal(await redis.zadd(k("add"), { a: 9 }, { nx: true }), 0);
          assert.equal(await redis.zscore(k("add"), "a"), 1);
          assert.equal(await redis.zadd(k("add"), { d: 9 }, { xx: true }), 0);
          assert.equal(await redis.zscore(k("add"), "d"), null);
          assert.equal(
            await redis.zadd(k("add"), { a: 0, b: 5 }, { gt: true, ch: true }),
            1,
          );
          assert.deepEqual(await redis.zmscore(k("add"), "a", "b"), [1, 5]);
          assert.equal(
            await redis.zadd(k("add"), { a: 0, b: 9 }, { lt: true, ch: true }),
            1,
          );
          assert.deepEqual(await redis.zmscore(k("add"), "a", "b"), [0, 5]);
          assert.equal(await redis.zadd(k("add"), { e: Infinity }), 1);
          assert.equal(await redis.zscore(k("add"), "e"), Infinity);
          assert.throws(
            () => redis.zadd(k("add"), { a: 1 }, { nx: true, xx: true }),
            TypeError,
          );
          assert.throws(
            () => redis.zadd(k("add"), { a: 1 }, { gt: true, lt: true }),
            TypeError,
          );
          assert.throws(
            () => redis.zadd(k("add"), { a: 1 }, { nx: true, gt: true }),
            TypeError,
          );
          assert.throws(() => redis.zadd(k("add"), { a: NaN }), TypeError);
          assert.throws(() => redis.zadd(k("add"), {}), TypeError);
          assert.throws(() => redis.zadd(k("add"), []), TypeError);
          assert.throws(
            () => redis.zadd(k("add"), [{ member: "a", score: "1" as never }]),
            TypeError,
          );
        },
      );

      test(
        `Client.zaddIncr() returns the new score or null under RESP${protocol}`,
        T,
        async () => {
          assert.equal(await redis.zaddIncr(k("incr"), "a", 2.5), 2.5);
          assert.equal(await redis.zaddIncr(k("incr"), "a", 1), 3.5);
          assert.equal(
            await redis.zaddIncr(k("incr"), "a", 1, { nx: true }),
            null,
          );
          assert.equal(
            await redis.zaddIncr(k("incr"), "b", 1, { xx: true }),
            null,
          );
          assert.equal(
            await redis.zaddIncr(k("incr"), "a", -1, { gt: true }),
            null,
          );
          assert.equal(await redis.zscore(k("incr"), "a"), 3.5);
          assert.throws(
            () => redis.zaddIncr(k("incr"), "a", 1, { nx: true, xx: true }),
            TypeError,
          );
        },
      );

      test(
        `Client.zrem() and zcard() count members under RESP${protocol}`,
        T,
        async () => {
          await redis.zadd(k("rem"), { a: 1, b: 2, c: 3 });
          assert.equal(await redis.zrem(k("rem"), "a", "b", "zz"), 2);
          assert.equal(await redis.zcard(k("rem")), 1);
          assert.equal(await redis.zcard(k("missing")), 0);
          assert.equal(await redis.zrem(k("missing"), "a"), 0);
          assert.throws(() => redis.zrem(k("rem")), TypeError);
        },
      );

      test(
        `Client.zscore(), zmscore() and zincrby() return numbers, infinities and nulls under RESP${protocol}`,
        T,
        async () => {
          await redis.zadd(k("score"), {
            a: 1.25,
            inf: Infinity,
            ninf: -Infinity,
          });
          assert.equal(await redis.zscore(k("score"), "a"), 1.25);
          assert.equal(await redis.zscore(k("score"), "inf"), Infinity);
          assert.equal(await redis.zscore(k("score"), "ninf"), -Infinity);
          assert.equal(await redis.zscore(k("score"), "zz"), null);
          assert.equal(await redis.zscore(k("missing"), "a"), null);
          assert.deepEqual(
            await redis.zmscore(k("score"), "a", "zz", "inf"),
            [1.25, null, Infinity],
          );
          assert.deepEqual(await redis.zmscore(k("missing"), "a"), [null]);
          assert.equal(await redis.zincrby(k("score"), 0.5, "a"), 1.75);
          assert.equal(await redis.zincrby(k("score"), -2, "new"), -2);
          assert.throws(() => redis.zincrby(k("score"), NaN, "a"), TypeError);
          assert.throws(() => redis.zmscore(k("score")), TypeError);
        },
      );

      test(
        `Client.zcount() accepts numbers, exclusive and infinite bounds under RESP${protocol}`,
        T,
        async () => {
          await redis.zadd(k("count"), { a: 1, b: 2, c: 3, d: 4 });
          assert.equal(await redis.zcount(k("count"), 2, 3), 2);
          assert.equal(await redis.zcount(k("count"), "(1", "(4"), 2);
          assert.equal(await redis.zcount(k("count"), "-inf", "+inf"), 4);
          assert.equal(await redis.zcount(k("count"), -Infinity, 2), 2);
          assert.equal(await redis.zcount(k("count"), "(3", Infinity), 1);
          assert.equal(await redis.zcount(k("missing"), 0, 10), 0);
          assert.throws(() => redis.zcount(k("count"), "x", 2), TypeError);
          assert.throws(() => redis.zcount(k("count"), NaN, 2), TypeError);
        },
      );

      test(
        `Client.zrank() and zrevrank() return a rank or null under RESP${protocol}`,
        T,
        async () => {
          await redis.zadd(k("rank"), { a: 1, b: 2, c: 3 });
          assert.equal(await redis.zrank(k("rank"), "a"), 0);
          assert.equal(await redis.zrank(k("rank"), "c"), 2);
          assert.equal(await redis.zrevrank(k("rank"), "a"), 2);
          assert.equal(await redis.zrank(k("rank"), "zz"), null);
          assert.equal(await redis.zrevrank(k("missing"), "a"), null);
        },
      );

      test(
        `Client.zrange() reads by index, score and lex with rev and limit under RESP${protocol}`,
        T,
        async () => {
          await redis.zadd(k("range"), { a: 1, b: 2, c: 3, d: 4, e: 5 });
          assert.deepEqual(await redis.zrange(k("range"), 0, 1), ["a", "b"]);
          assert.deepEqual(
            await redis.zrange(k("range"), 0, 1, { rev: true }),
            [
              "e",
              "d",
            ],
          );
          assert.deepEqual(
            await redis.zrange(k("range"), "(2", 4, { byScore: true }),
            ["c", "d"],
          );
          assert.deepEqual(
            await redis.zrange(k("range"), "+inf", "-inf", {
              byScore: true,
              rev: true,
              limit: { offset: 1, count: 2 },
            }),
            ["d", "c"],
          );
          await redis.zadd(k("lex"), { a: 0, b: 0, c: 0, d: 0 });
          assert.deepEqual(
            await redis.zrange(k("lex"), "[b", "(d", { byLex: true }),
            ["b", "c"],
          );
          assert.deepEqual(
            await redis.zrange(k("lex"), "+", "-", {
              byLex: true,
              rev: true,
              limit: { offset: 0, count: 1 },
            }),
            ["d"],
          );
          assert.deepEqual(await redis.zrange(k("missing"), 0, -1), []);
          assert.throws(
            () =>
              redis.zrange(k("range"), 0, 1, { byScore: true, byLex: true }),
            TypeError,
          );
          assert.throws(
            () =>
              redis.zrange(k("range"), 0, 1, {
                limit: { offset: 0, count: 1 },
              }),
            TypeError,
          );
          assert.throws(
            () => redis.zrange(k("lex"), "b", "d", { byLex: true }),
            TypeError,
          );
          assert.throws(() => redis.zrange(k("range"), "(1", 2), TypeError);
        },
      );

      test(
        `Client.zrangeWithScores() returns member and score objects under RESP${protocol}`,
        T,
        async () => {
          await redis.zadd(k("ws"), { a: 1, b: 2.5, c: Infinity });
          assert.deepEqual(await redis.zrangeWithScores(k("ws"), 0, -1), [
            { member: "a", score: 1 },
            { member: "b", score: 2.5 },
            { member: "c", score: Infinity },
          ]);
          assert.deepEqual(
            await redis.zrangeWithScores(k("ws"), "+inf", "(1", {
              byScore: true,
              rev: true,
              limit: { offset: 0, count: 1 },
            }),
            [{ member: "c", score: Infinity }],
          );
          assert.deepEqual(
            await redis.zrangeWithScores(k("missing"), 0, -1),
            [],
          );
          assert.throws(
            () => redis.zrangeWithScores(k("ws"), "-", "+", { byLex: true }),
            TypeError,
          );
        },
      );

      test(
        `Client.zrangestore() stores a range and returns its size under RESP${protocol}`,
        T,
        async () => {
          await redis.zadd(k("rs"), { a: 1, b: 2, c: 3 });
          assert.equal(
            await redis.zrangestore(k("rsdst"), k("rs"), 2, "+inf", {
              byScore: true,
            }),
            2,
          );
          assert.deepEqual(await redis.zrangeWithScores(k("rsdst"), 0, -1), [
            { member: "b", score: 2 },
            { member: "c", score: 3 },
          ]);
          assert.equal(
            await redis.zrangestore(k("rsdst"), k("rs"), 0, 0, { rev: true }),
            1,
          );
          assert.deepEqual(await redis.zrange(k("rsdst"), 0, -1), ["c"]);
          assert.equal(
            await redis.zrangestore(k("rsdst"), k("missing"), 0, -1),
            0,
          );
        },
      );

      test(
        `Client.zpopmin() and zpopmax() return member and score objects under RESP${protocol}`,
        T,
        async () => {
          await redis.zadd(k("pop"), { a: 1, b: 2, c: 3, d: 4, e: 5 });
          assert.deepEqual(await redis.zpopmin(k("pop")), [
            { member: "a", score: 1 },
          ]);
          assert.deepEqual(await redis.zpopmax(k("pop")), [
            { member: "e", score: 5 },
          ]);
          assert.deepEqual(await redis.zpopmin(k("pop"), 2), [
            { member: "b", score: 2 },
            { member: "c", score: 3 },
          ]);
          assert.deepEqual(await redis.zpopmax(k("pop"), 1), [
            { member: "d", score: 4 },
          ]);
          assert.deepEqual(await redis.zpopmin(k("pop")), []);
          assert.deepEqual(await redis.zpopmax(k("missing"), 3), []);
          assert.deepEqual(await redis.zpopmin(k("missing"), 0), []);
          assert.throws(() => redis.zpopmin(k("pop"), -1), RangeError);
        },
      );

      test(
        `Client.bzpopmin() and bzpopmax() pop at once or time out with null under RESP${protocol}`,
        T,
        async () => {
          await redis.zadd(k("bz"), { a: 1, b: 2, c: -Infinity });
          assert.deepEqual(await redis.bzpopmin([k("none"), k("bz")], 1), {
            key: k("bz"),
            member: "c",
            score: -Infinity,
          });
          assert.deepEqual(await redis.bzpopmax(k("bz"), 1), {
            key: k("bz"),
            member: "b",
            score: 2,
          });
          const started = Date.now();
          assert.equal(await redis.bzpopmin(k("none"), 0.1), null);
          assert.equal(await redis.bzpopmax([k("none")], 0.1), null);
          assert.ok(Date.now() - started >= 150);
          assert.throws(() => redis.bzpopmin(k("bz"), -0.5), RangeError);
          assert.throws(() => redis.bzpopmax([], 1), TypeError);
        },
      );

      test(
        `Client.bzpopmin() returns when another client adds under RESP${protocol}`,
        T,
        async () => {
          const other = createClient(server.url, { protocol });
          try {
            const waiting = redis.bzpopmin(k("wake"), 0);
            await new Promise((resolve) => setTimeout(resolve, 200));
            assert.equal(await other.zadd(k("wake"), { m: 1.5 }), 1);
            assert.deepEqual(await waiting, {
              key: k("wake"),
              member: "m",
              score: 1.5,
            });
          } finally {
            await other.close();
          }
        },
      );

      test(
        `Client.zunionstore() and zinterstore() apply weights and aggregate under RESP${protocol}`,
        T,
        async () => {
          await redis.zadd(k("u1"), { a: 1, b: 2 });
          await redis.zadd(k("u2"), { b: 3, c: 4 });
          assert.equal(await redis.zunionstore(k("u"), [k("u1"), k("u2")]), 3);
          assert.deepEqual(await redis.zrangeWithScores(k("u"), 0, -1), [
            { member: "a", score: 1 },
            { member: "c", score: 4 },
            { member: "b", score: 5 },
          ]);
          assert.equal(
            await redis.zunionstore(k("u"), [k("u1"), k("u2")], {
              weights: [2, 1],
              aggregate: "max",
            }),
            3,
          );
          assert.deepEqual(await redis.zmscore(k("u"), "a", "b", "c"), [
            2,
            4,
            4,
          ]);
          assert.equal(
            await redis.zinterstore(k("i"), [k("u1"), k("u2")], {
              aggregate: "min",
            }),
            1,
          );
          assert.deepEqual(await redis.zrangeWithScores(k("i"), 0, -1), [
            { member: "b", score: 2 },
          ]);
          assert.equal(await redis.zinterstore(k("i"), k("u1")), 2);
          assert.equal(
            await redis.zinterstore(k("i"), [k("u1"), k("missing")]),
            0,
          );
          assert.throws(
            () =>
              redis.zunionstore(k("u"), [k("u1"), k("u2")], { weights: [1] }),
            TypeError,
          );
          assert.throws(
            () =>
              redis.zunionstore(k("u"), k("u1"), {
                aggregate: "avg" as never,
              }),
            TypeError,
          );
          assert.throws(() => redis.zinterstore(k("i"), []), TypeError);
        },
      );

      test(
        `Client.zrandmember(), zrandmemberCount() and zrandmemberWithScores() return members under RESP${protocol}`,
        T,
        async () => {
          await redis.zadd(k("rand"), { a: 1, b: 2, c: 3 });
          const one = await redis.zrandmember(k("rand"));
          assert.ok(one !== null && ["a", "b", "c"].includes(one));
          assert.deepEqual(
            (await redis.zrandmemberCount(k("rand"), 5)).sort(),
            ["a", "b", "c"],
          );
          assert.equal((await redis.zrandmemberCount(k("rand"), -6)).length, 6);
          const scored = await redis.zrandmemberWithScores(k("rand"), 3);
          assert.deepEqual(
            scored.sort((x, y) => x.score - y.score),
            [
              { member: "a", score: 1 },
              { member: "b", score: 2 },
              { member: "c", score: 3 },
            ],
          );
          const repeated = await redis.zrandmemberWithScores(k("rand"), -4);
          assert.equal(repeated.length, 4);
          for (const { member, score } of repeated) {
            assert.equal(score, { a: 1, b: 2, c: 3 }[member]);
          }
          assert.equal(await redis.zrandmember(k("missing")), null);
          assert.deepEqual(await redis.zrandmemberCount(k("missing"), 2), []);
          assert.deepEqual(
            await redis.zrandmemberWithScores(k("missing"), 2),
            [],
          );
        },
      );
    });
  }
});
