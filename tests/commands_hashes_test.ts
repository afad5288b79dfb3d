import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient, ReplyError } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

describe("HashCommands against a real redis-server", () => {
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
      const k = (name: string) => `hashes:${protocol}:${name}`;

      before(() => {
        redis = createClient(server.url, { protocol });
      });

      after(async () => {
        await redis.close();
      });

      test(
        `Client.hset() takes a field and value, a record, a Map or tuples under RESP${protocol}`,
        T,
        async () => {
          const key = k("hset");
          assert.equal(await redis.hset(key, "a", "1"), 1);
          assert.equal(await redis.hset(key, "a", "2"), 0);
          assert.equal(await redis.hset(key, { b: 2, c: "3" }), 2);
          assert.equal(
            await redis.hset(key, new Map([["c", "33"], ["d", "4"]])),
            1,
          );
          const bytesField = new TextEncoder().encode("e");
          assert.equal(await redis.hset(key, [[bytesField, 5n], [6, "6"]]), 2);
          assert.deepEqual(await redis.hgetall(key), {
            a: "2",
            b: "2",
            c: "33",
            d: "4",
            e: "5",
            "6": "6",
          });
          assert.throws(() => redis.hset(key, {}), TypeError);
          assert.throws(() => redis.hset(key, []), TypeError);
          assert.throws(
            () => (redis.hset as (...args: unknown[]) => unknown)(key),
            TypeError,
          );
          assert.throws(
            () => redis.hset(key, "f", null as unknown as string),
            TypeError,
          );
          await redis.set(k("hset:string"), "v");
          await assert.rejects(
            redis.hset(k("hset:string"), "f", "v"),
            ReplyError,
          );
        },
      );

      test(
        `Client.hsetnx() returns whether the field was set under RESP${protocol}`,
        T,
        async () => {
          const key = k("hsetnx");
          assert.equal(await redis.hsetnx(key, "f", "1"), true);
          assert.equal(await redis.hsetnx(key, "f", "2"), false);
          assert.equal(await redis.hget(key, "f"), "1");
        },
      );

      test(
        `Client.hget() and hmget() return strings and nulls under RESP${protocol}`,
        T,
        async () => {
          const key = k("hget");
          await redis.hset(key, { a: "1", b: "héllo" });
          assert.equal(await redis.hget(key, "a"), "1");
          assert.equal(await redis.hget(key, "missing"), null);
          assert.equal(await redis.hget(k("hget:none"), "a"), null);
          assert.deepEqual(await redis.hmget(key, "b", "missing", "a"), [
            "héllo",
            null,
            "1",
          ]);
          assert.deepEqual(await redis.hmget(k("hget:none"), "a", "b"), [
            null,
            null,
          ]);
          assert.throws(() => redis.hmget(key), TypeError);
        },
      );

      test(
        `Client.hgetall() returns a record under RESP${protocol}`,
        T,
        async () => {
          const key = k("hgetall");
          assert.deepEqual(await redis.hgetall(key), {});
          await redis.hset(key, { x: "1", y: "2" });
          const all = await redis.hgetall(key);
          assert.deepEqual(all, { x: "1", y: "2" });
          assert.equal(Object.getPrototypeOf(all), Object.prototype);
          await redis.hset(key, "__proto__", "p");
          const tricky = await redis.hgetall(key);
          assert.equal(Object.getPrototypeOf(tricky), Object.prototype);
          assert.ok(Object.hasOwn(tricky, "__proto__"));
          assert.equal(
            Object.getOwnPropertyDescriptor(tricky, "__proto__")?.value,
            "p",
          );
        },
      );

      test(
        `Client.hdel(), hexists() and hlen() report fields under RESP${protocol}`,
        T,
        async () => {
          const key = k("hdel");
          await redis.hset(key, { a: "1", b: "2", c: "3" });
          assert.equal(await redis.hlen(key), 3);
          assert.equal(await redis.hexists(key, "a"), true);
          assert.equal(await redis.hdel(key, "a", "b", "missing"), 2);
          assert.equal(await redis.hexists(key, "a"), false);
          assert.equal(await redis.hlen(key), 1);
          assert.equal(await redis.hlen(k("hdel:none")), 0);
          assert.equal(await redis.hexists(k("hdel:none"), "a"), false);
          assert.equal(await redis.hdel(k("hdel:none"), "a"), 0);
          assert.throws(() => redis.hdel(key), TypeError);
        },
      );

      test(
        `Client.hstrlen() measures a field's value in bytes under RESP${protocol}`,
        T,
        async () => {
          const key = k("hstrlen");
          await redis.hset(key, { name: "Ada", city: "Zürich", n: 12345 });
          assert.equal(await redis.hstrlen(key, "name"), 3);
          assert.equal(await redis.hstrlen(key, "city"), 7);
          assert.equal(await redis.hstrlen(key, "n"), 5);
          assert.equal(await redis.hstrlen(key, "missing"), 0);
          assert.equal(await redis.hstrlen(k("hstrlen:none"), "name"), 0);
          assert.throws(() => redis.hstrlen(key, null as never), TypeError);
        },
      );

      test(
        `Client.hincrby() and hincrbyfloat() return numbers under RESP${protocol}`,
        T,
        async () => {
          const key = k("hincr");
          assert.equal(await redis.hincrby(key, "n", 5), 5);
          assert.equal(await redis.hincrby(key, "n", -7), -2);
          assert.equal(await redis.hincrbyfloat(key, "f", 1.5), 1.5);
          const sum = await redis.hincrbyfloat(key, "f", 0.1);
          assert.equal(typeof sum, "number");
          assert.equal(sum, 1.6);
          await redis.hset(key, "text", "abc");
          await assert.rejects(redis.hincrby(key, "text", 1), ReplyError);
          assert.throws(() => redis.hincrby(key, "n", 0.5), TypeError);
          assert.throws(() => redis.hincrbyfloat(key, "f", NaN), TypeError);
        },
      );

      test(
        `Client.hkeys() and hvals() return arrays under RESP${protocol}`,
        T,
        async () => {
          const key = k("hkeys");
          await redis.hset(key, { a: "1", b: "2" });
          assert.deepEqual((await redis.hkeys(key)).sort(), ["a", "b"]);
          assert.deepEqual((await redis.hvals(key)).sort(), ["1", "2"]);
          assert.deepEqual(await redis.hkeys(k("hkeys:none")), []);
          assert.deepEqual(await redis.hvals(k("hkeys:none")), []);
        },
      );

      test(
        `Client.hrandfield(), hrandfieldCount() and hrandfieldWithValues() return typed shapes under RESP${protocol}`,
        T,
        async () => {
          const key = k("hrand");
          const fields = { a: "1", b: "2", c: "3" };
          await redis.hset(key, fields);
          const one = await redis.hrandfield(key);
          assert.ok(one !== null && one in fields, `field ${one}`);
          assert.equal(await redis.hrandfield(k("hrand:none")), null);

          const two = await redis.hrandfieldCount(key, 2);
          assert.equal(two.length, 2);
          assert.equal(new Set(two).size, 2);
          assert.ok(two.every((f) => f in fields));
          assert.equal((await redis.hrandfieldCount(key, 10)).length, 3);
          const repeated = await redis.hrandfieldCount(key, -7);
          assert.equal(repeated.length, 7);
          assert.deepEqual(await redis.hrandfieldCount(key, 0), []);
          assert.deepEqual(await redis.hrandfieldCount(k("hrand:none"), 3), []);

          const pairs = await redis.hrandfieldWithValues(key, 3);
          assert.equal(pairs.length, 3);
          for (const [field, v] of pairs) {
            assert.equal(fields[field as keyof typeof fields], v);
          }
          const many = await redis.hrandfieldWithValues(key, -5);
          assert.equal(many.length, 5);
          assert.ok(many.every((pair) => pair.length === 2));
          assert.deepEqual(
            await redis.hrandfieldWithValues(k("hrand:none"), 3),
            [],
          );
          assert.throws(() => redis.hrandfieldCount(key, 1.5), TypeError);
        },
      );
    });
  }
});
