import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient, ReplyError } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

describe("BitmapCommands against a real redis-server", () => {
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
      const k = (name: string) => `bits:${protocol}:${name}`;

      before(() => {
        redis = createClient(server.url, { protocol });
      });

      after(async () => {
        await redis.close();
      });

      test(
        `Client.pfadd() returns whether the estimate changed under RESP${protocol}`,
        T,
        async () => {
          assert.equal(await redis.pfadd(k("hll"), "a", "b", "c"), true);
          assert.equal(await redis.pfadd(k("hll"), "a", "b"), false);
          assert.equal(await redis.pfadd(k("empty")), true);
          assert.equal(await redis.pfadd(k("empty")), false);
          assert.equal(await redis.exists(k("empty")), 1);
          assert.throws(
            () => redis.pfadd(k("hll"), null as unknown as string),
            TypeError,
          );
        },
      );

      test(
        `Client.pfcount() estimates one key or the union of several under RESP${protocol}`,
        T,
        async () => {
          await redis.pfadd(k("c1"), "a", "b", "c");
          await redis.pfadd(k("c2"), "c", "d");
          assert.equal(await redis.pfcount(k("c1")), 3);
          assert.equal(await redis.pfcount(k("c1"), k("c2")), 4);
          assert.equal(await redis.pfcount(k("missing")), 0);
          assert.throws(() => redis.pfcount(), TypeError);
          await redis.set(k("text"), "not an hll");
          await assert.rejects(redis.pfcount(k("text")), ReplyError);
        },
      );

      test(
        `Client.pfmerge() merges into the destination under RESP${protocol}`,
        T,
        async () => {
          await redis.pfadd(k("m1"), "a", "b");
          await redis.pfadd(k("m2"), "b", "c", "d");
          assert.equal(
            await redis.pfmerge(k("merged"), k("m1"), k("m2")),
            "OK",
          );
          assert.equal(await redis.pfcount(k("merged")), 4);
          assert.equal(await redis.pfmerge(k("alone")), "OK");
          assert.equal(await redis.pfcount(k("alone")), 0);
        },
      );

      test(
        `Client.setbit() and getbit() return the bit as 0 or 1 under RESP${protocol}`,
        T,
        async () => {
          assert.equal(await redis.setbit(k("bits"), 7, 1), 0);
          assert.equal(await redis.setbit(k("bits"), 7, 1), 1);
          assert.equal(await redis.setbit(k("bits"), 7, 0), 1);
          await redis.setbit(k("bits"), 1, 1);
          assert.equal(await redis.getbit(k("bits"), 1), 1);
          assert.equal(await redis.getbit(k("bits"), 7), 0);
          assert.equal(await redis.getbit(k("bits"), 10_000), 0);
          assert.equal(await redis.getbit(k("missing"), 0), 0);
          // Bit 1 set: 0b0100_0000.
          assert.equal(await redis.get(k("bits")), "@");
          assert.throws(
            () => redis.setbit(k("bits"), 0, 2 as never),
            RangeError,
          );
          assert.throws(() => redis.setbit(k("bits"), -1, 1), RangeError);
          assert.throws(() => redis.getbit(k("bits"), 1.5), TypeError);
        },
      );

      test(
        `Client.bitcount() counts set bits in byte and bit ranges under RESP${protocol}`,
        T,
        async () => {
          // "\xff\xf0\x00" has 12 bits set.
          await redis.set(k("count"), new Uint8Array([0xff, 0xf0, 0x00]));
          assert.equal(await redis.bitcount(k("count")), 12);
          assert.equal(
            await redis.bitcount(k("count"), { start: 1, end: 1 }),
            4,
          );
          assert.equal(
            await redis.bitcount(k("count"), { start: -2, end: -1 }),
            4,
          );
          assert.equal(
            await redis.bitcount(k("count"), {
              start: 6,
              end: 11,
              unit: "bit",
            }),
            6,
          );
          assert.equal(
            await redis.bitcount(k("count"), {
              start: 0,
              end: 0,
              unit: "byte",
            }),
            8,
          );
          assert.equal(await redis.bitcount(k("missing")), 0);
          assert.throws(
            () => redis.bitcount(k("count"), { start: 0 } as never),
            TypeError,
          );
          assert.throws(
            () =>
              redis.bitcount(k("count"), {
                start: 0,
                end: 1,
                unit: "word" as never,
              }),
            TypeError,
          );
        },
      );

      test(
        `Client.bitpos() finds the first 0 or 1 bit in a range under RESP${protocol}`,
        T,
        async () => {
          await redis.set(k("pos"), new Uint8Array([0xff, 0xf0, 0x00]));
          assert.equal(await redis.bitpos(k("pos"), 0), 12);
          assert.equal(await redis.bitpos(k("pos"), 1), 0);
          assert.equal(await redis.bitpos(k("pos"), 1, { start: 1 }), 8);
          assert.equal(await redis.bitpos(k("pos"), 1, { start: 2 }), -1);
          assert.equal(
            await redis.bitpos(k("pos"), 0, { start: 0, end: 0 }),
            -1,
          );
          assert.equal(
            await redis.bitpos(k("pos"), 1, { start: 3, end: 15, unit: "bit" }),
            3,
          );
          assert.equal(
            await redis.bitpos(k("pos"), 0, { start: 0, end: 1, unit: "byte" }),
            12,
          );
          // Looking for 0 with no end finds the first bit past the string.
          await redis.set(k("full"), new Uint8Array([0xff]));
          assert.equal(await redis.bitpos(k("full"), 0), 8);
          assert.equal(await redis.bitpos(k("missing"), 1), -1);
          assert.equal(await redis.bitpos(k("missing"), 0), 0);
          assert.throws(
            () => redis.bitpos(k("pos"), 1, { end: 2 }),
            TypeError,
          );
          assert.throws(
            () => redis.bitpos(k("pos"), 1, { start: 0, unit: "bit" }),
            TypeError,
          );
          assert.throws(() => redis.bitpos(k("pos"), 3 as never), RangeError);
        },
      );
    });
  }
});
