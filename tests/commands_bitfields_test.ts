import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

describe("BITOP, BITFIELD and BITFIELD_RO against a real redis-server", () => {
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
      const k = (name: string) => `{bits:${protocol}}:${name}`;

      before(() => {
        redis = createClient(server.url, { protocol });
      });

      after(async () => {
        await redis.close();
      });

      test(
        `Client.bitop() stores AND, OR, XOR and NOT of strings under RESP${protocol}`,
        T,
        async () => {
          const [x, y, dest] = [k("x"), k("y"), k("dest")];
          await redis.set(x, new Uint8Array([0b1100_1100, 0xff]));
          await redis.set(y, new Uint8Array([0b1010_1010]));
          const bytes = async () =>
            Array.from(
              (await redis.send(["GET", dest], { bytes: true })) as Uint8Array,
            );
          assert.equal(await redis.bitop("and", dest, x, y), 2);
          assert.deepEqual(await bytes(), [0b1000_1000, 0]);
          assert.equal(await redis.bitop("or", dest, x, y), 2);
          assert.deepEqual(await bytes(), [0b1110_1110, 0xff]);
          assert.equal(await redis.bitop("xor", dest, x, y), 2);
          assert.deepEqual(await bytes(), [0b0110_0110, 0xff]);
          assert.equal(await redis.bitop("not", dest, y), 1);
          assert.deepEqual(await bytes(), [0b0101_0101]);
          assert.equal(await redis.bitop("or", dest, x), 2);
          assert.equal(await redis.bitop("and", dest, k("none")), 0);
          assert.equal(await redis.exists(dest), 0);
          assert.throws(() => redis.bitop("not", dest, x, y), /exactly one/);
          assert.throws(() => redis.bitop("or", dest), /at least one key/);
          assert.throws(
            () => redis.bitop("nand" as never, dest, x),
            /operation must be/,
          );
          assert.throws(() => redis.bitop("and", 1 as never, x), /destination/);
        },
      );

      test(
        `Client.bitfield() runs GET, SET and INCRBY with OVERFLOW in order under RESP${protocol}`,
        T,
        async () => {
          const key = k("fields");
          assert.deepEqual(
            await redis.bitfield(key, [
              { op: "set", encoding: "u8", offset: 0, value: 250 },
              { op: "overflow", behavior: "sat" },
              { op: "incrby", encoding: "u8", offset: 0, increment: 10 },
              { op: "incrby", encoding: "i16", offset: "#1", increment: -5 },
              { op: "get", encoding: "u8", offset: 0 },
            ]),
            [0, 255, -5, 255],
          );
          assert.deepEqual(
            await redis.bitfield(key, [
              { op: "overflow", behavior: "fail" },
              { op: "incrby", encoding: "u8", offset: 0, increment: 1 },
              { op: "overflow", behavior: "wrap" },
              { op: "incrby", encoding: "u8", offset: 0, increment: 1 },
              { op: "get", encoding: "i16", offset: 16 },
            ]),
            [null, 0, -5],
          );
          assert.deepEqual(
            await redis.bitfield(key, [
              { op: "set", encoding: "i64", offset: 64, value: -(2n ** 40n) },
              { op: "get", encoding: "i64", offset: 64 },
              { op: "get", encoding: "u4", offset: 1000 },
            ]),
            [0, -(2 ** 40), 0],
          );
          assert.deepEqual(
            await redis.bitfield(k("only-overflow"), [
              { op: "overflow", behavior: "sat" },
            ]),
            [],
          );
        },
      );

      test(
        `Client.bitfieldRo() reads fields, 0 past the end under RESP${protocol}`,
        T,
        async () => {
          const key = k("ro");
          await redis.bitfield(key, [
            { op: "set", encoding: "u8", offset: "#0", value: 7 },
            { op: "set", encoding: "i8", offset: "#1", value: -2 },
          ]);
          assert.deepEqual(
            await redis.bitfieldRo(key, [
              { op: "get", encoding: "u8", offset: 0 },
              { op: "get", encoding: "i8", offset: "#1" },
              { op: "get", encoding: "u16", offset: 64 },
            ]),
            [7, -2, 0],
          );
          assert.deepEqual(
            await redis.bitfieldRo(k("missing"), [
              { op: "get", encoding: "u8", offset: 0 },
            ]),
            [0],
          );
          assert.throws(
            () =>
              redis.bitfieldRo(key, [
                { op: "set", encoding: "u8", offset: 0, value: 1 } as never,
              ]),
            /operations\[0\]\.op must be "get"/,
          );
        },
      );

      test(
        `Client.bitfield() refuses malformed operations before sending under RESP${protocol}`,
        T,
        () => {
          const key = k("bad");
          const get = (encoding: string, offset: unknown) =>
            redis.bitfield(key, [
              { op: "get", encoding, offset } as never,
            ]);
          assert.throws(() => redis.bitfield(key, []), /non-empty array/);
          assert.throws(() => get("u64", 0), /encoding/);
          assert.throws(() => get("i65", 0), /encoding/);
          assert.throws(() => get("u0", 0), /encoding/);
          assert.throws(() => get("x8", 0), TypeError);
          assert.throws(() => get("u8", -1), RangeError);
          assert.throws(() => get("u8", 1.5), /offset/);
          assert.throws(() => get("u8", "#x"), /offset/);
          assert.throws(
            () =>
              redis.bitfield(key, [
                { op: "set", encoding: "u8", offset: 0, value: "1" } as never,
              ]),
            /operations\[0\]\.value/,
          );
          assert.throws(
            () =>
              redis.bitfield(key, [
                { op: "incrby", encoding: "u8", offset: 0 } as never,
              ]),
            /increment/,
          );
          assert.throws(
            () =>
              redis.bitfield(key, [
                { op: "get", encoding: "u8", offset: 0 },
                { op: "overflow", behavior: "clamp" } as never,
              ]),
            /operations\[1\]\.behavior/,
          );
          assert.throws(
            () => redis.bitfield(key, [{ op: "del" } as never]),
            /operations\[0\]\.op/,
          );
          assert.throws(() => redis.bitfield(key, [null as never]), TypeError);
        },
      );
    });
  }
});
