import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient, ReplyError } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

const PALERMO = { longitude: 13.361389, latitude: 38.115556 };
const CATANIA = { longitude: 15.087269, latitude: 37.502669 };
// The server stores positions as 52-bit geohashes: what comes back is
// within a fraction of a metre of what went in.
const CLOSE = 1e-5;

function near(actual: number | undefined, expected: number, what: string) {
  assert.ok(
    actual !== undefined && Math.abs(actual - expected) < CLOSE,
    `${what}: ${actual} is not ${expected}`,
  );
}

describe("GeoCommands against a real redis-server", () => {
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
      const k = (name: string) => `geo:${protocol}:${name}`;
      const sicily = k("sicily");

      before(async () => {
        redis = createClient(server.url, { protocol });
        await redis.geoadd(sicily, [
          { ...PALERMO, member: "Palermo" },
          { ...CATANIA, member: "Catania" },
        ]);
      });

      after(async () => {
        await redis.close();
      });

      test(
        `Client.geoadd() adds members and applies nx, xx and ch under RESP${protocol}`,
        T,
        async () => {
          const key = k("add");
          assert.equal(
            await redis.geoadd(key, [{ ...PALERMO, member: "Palermo" }]),
            1,
          );
          assert.equal(
            await redis.geoadd(key, [
              { longitude: 13, latitude: 38, member: "Palermo" },
              { ...CATANIA, member: "Catania" },
            ], { xx: true }),
            0,
          );
          assert.equal(await redis.zcard(key), 1);
          near(
            (await redis.geopos(key, "Palermo"))[0]?.longitude,
            13,
            "moved by xx",
          );
          assert.equal(
            await redis.geoadd(key, [
              { ...PALERMO, member: "Palermo" },
              { ...CATANIA, member: "Catania" },
            ], { nx: true }),
            1,
          );
          near(
            (await redis.geopos(key, "Palermo"))[0]?.longitude,
            13,
            "kept by nx",
          );
          assert.equal(
            await redis.geoadd(key, [
              { ...PALERMO, member: "Palermo" },
              { ...CATANIA, member: "Catania" },
            ], { ch: true }),
            1,
          );
          assert.throws(
            () =>
              redis.geoadd(key, [{ ...PALERMO, member: "x" }], {
                nx: true,
                xx: true,
              }),
            TypeError,
          );
          assert.throws(() => redis.geoadd(key, []), TypeError);
          assert.throws(
            () =>
              redis.geoadd(key, [{ longitude: 181, latitude: 0, member: "x" }]),
            /members\[0\]\.longitude/,
          );
          assert.throws(
            () =>
              redis.geoadd(key, [{ longitude: 0, latitude: 86, member: "x" }]),
            RangeError,
          );
          assert.throws(
            () =>
              redis.geoadd(key, [
                { longitude: "1" as never, latitude: 0, member: "x" },
              ]),
            TypeError,
          );
          assert.throws(
            () => redis.geoadd(key, [null as never]),
            TypeError,
          );
        },
      );

      test(
        `Client.geodist() returns numbers in the unit asked for, or null under RESP${protocol}`,
        T,
        async () => {
          assert.equal(
            await redis.geodist(sicily, "Palermo", "Catania"),
            166274.1516,
          );
          assert.equal(
            await redis.geodist(sicily, "Palermo", "Catania", "km"),
            166.2742,
          );
          assert.equal(
            await redis.geodist(sicily, "Palermo", "Catania", "mi"),
            103.3182,
          );
          assert.equal(await redis.geodist(sicily, "Palermo", "Nowhere"), null);
          assert.equal(await redis.geodist(k("missing"), "a", "b"), null);
          assert.throws(
            () => redis.geodist(sicily, "a", "b", "yd" as never),
            TypeError,
          );
        },
      );

      test(
        `Client.geopos() and geohash() read positions and hashes, null for missing members under RESP${protocol}`,
        T,
        async () => {
          const [palermo, nowhere, catania] = await redis.geopos(
            sicily,
            "Palermo",
            "Nowhere",
            "Catania",
          );
          near(palermo?.longitude, PALERMO.longitude, "Palermo longitude");
          near(palermo?.latitude, PALERMO.latitude, "Palermo latitude");
          near(catania?.longitude, CATANIA.longitude, "Catania longitude");
          assert.equal(nowhere, null);
          assert.deepEqual(await redis.geopos(k("missing"), "a"), [null]);
          assert.deepEqual(
            await redis.geohash(sicily, "Palermo", "Catania", "Nowhere"),
            ["sqc8b49rny0", "sqdtr74hyu0", null],
          );
          assert.throws(() => redis.geopos(sicily), TypeError);
          assert.throws(() => redis.geohash(sicily), TypeError);
        },
      );

      test(
        `Client.geosearch() finds members by radius or box, ordered and counted, with what was asked for under RESP${protocol}`,
        T,
        async () => {
          const point = { longitude: 15, latitude: 37 };
          assert.deepEqual(
            await redis.geosearch(sicily, point, { radius: 200, unit: "km" }, {
              order: "asc",
            }),
            [{ member: "Catania" }, { member: "Palermo" }],
          );
          assert.deepEqual(
            await redis.geosearch(sicily, point, { radius: 100, unit: "km" }),
            [{ member: "Catania" }],
          );
          assert.deepEqual(
            await redis.geosearch(sicily, point, { radius: 200, unit: "km" }, {
              order: "desc",
              withDist: true,
            }),
            [
              { member: "Palermo", distance: 190.4424 },
              { member: "Catania", distance: 56.4413 },
            ],
          );
          const [full] = await redis.geosearch(
            sicily,
            { member: "Palermo" },
            { width: 400, height: 400, unit: "km" },
            {
              order: "desc",
              count: 1,
              withCoord: true,
              withDist: true,
              withHash: true,
            },
          );
          assert.equal(full.member, "Catania");
          assert.equal(full.distance, 166.2742);
          assert.equal(full.hash, 3479447370796909);
          near(full.coordinates?.longitude, CATANIA.longitude, "longitude");
          near(full.coordinates?.latitude, CATANIA.latitude, "latitude");
          const [hashed] = await redis.geosearch(
            sicily,
            { member: "Palermo" },
            { radius: 1 },
            { withHash: true },
          );
          assert.deepEqual(hashed, {
            member: "Palermo",
            hash: await redis.zscore(sicily, "Palermo"),
          });
          const any = await redis.geosearch(
            sicily,
            point,
            { radius: 500, unit: "km" },
            { count: 1, any: true },
          );
          assert.equal(any.length, 1);
          assert.deepEqual(
            await redis.geosearch(k("missing"), point, { radius: 1 }),
            [],
          );
          await assert.rejects(
            redis.geosearch(sicily, { member: "Nowhere" }, { radius: 1 }),
            ReplyError,
          );
        },
      );

      test(
        `Client.geosearch() refuses malformed origins, shapes and options before sending under RESP${protocol}`,
        T,
        () => {
          const point = { longitude: 15, latitude: 37 };
          assert.throws(
            () => redis.geosearch(sicily, {} as never, { radius: 1 }),
            /origin/,
          );
          assert.throws(
            () =>
              redis.geosearch(sicily, { member: "a", longitude: 1 } as never, {
                radius: 1,
              }),
            TypeError,
          );
          assert.throws(
            () =>
              redis.geosearch(sicily, { longitude: 1 } as never, { radius: 1 }),
            /origin\.latitude/,
          );
          assert.throws(
            () => redis.geosearch(sicily, point, {} as never),
            /shape/,
          );
          assert.throws(
            () =>
              redis.geosearch(sicily, point, {
                radius: 1,
                width: 1,
                height: 1,
              } as never),
            TypeError,
          );
          assert.throws(
            () => redis.geosearch(sicily, point, { radius: -1 }),
            /shape\.radius/,
          );
          assert.throws(
            () => redis.geosearch(sicily, point, { width: 1, height: -1 }),
            RangeError,
          );
          assert.throws(
            () =>
              redis.geosearch(sicily, point, {
                radius: 1,
                unit: "yd" as never,
              }),
            /shape\.unit/,
          );
          assert.throws(
            () => redis.geosearch(sicily, point, { radius: 1 }, { count: 0 }),
            RangeError,
          );
          assert.throws(
            () => redis.geosearch(sicily, point, { radius: 1 }, { any: true }),
            /any needs count/,
          );
          assert.throws(
            () =>
              redis.geosearch(sicily, point, { radius: 1 }, {
                order: "up" as never,
              }),
            /order/,
          );
        },
      );

      test(
        `Client.geosearchstore() stores matches, with distances as scores under storeDist under RESP${protocol}`,
        T,
        async () => {
          const dest = k("stored");
          assert.equal(
            await redis.geosearchstore(
              dest,
              sicily,
              { member: "Catania" },
              { radius: 200, unit: "km" },
            ),
            2,
          );
          assert.equal(
            await redis.zscore(dest, "Palermo"),
            await redis.zscore(sicily, "Palermo"),
          );
          assert.equal(
            await redis.geosearchstore(
              dest,
              sicily,
              { longitude: 15, latitude: 37 },
              { width: 400, height: 400, unit: "km" },
              { order: "asc", count: 1, storeDist: true },
            ),
            1,
          );
          const [stored] = await redis.zrangeWithScores(dest, 0, -1);
          assert.equal(stored.member, "Catania");
          assert.ok(Math.abs(stored.score - 56.4413) < 1e-3, `${stored.score}`);
          assert.equal(
            await redis.geosearchstore(dest, sicily, { member: "Palermo" }, {
              radius: 1,
            }, { count: 1, any: true }),
            1,
          );
          assert.throws(
            () =>
              redis.geosearchstore(dest, sicily, { member: "Palermo" }, {
                radius: 1,
              }, { any: true }),
            TypeError,
          );
        },
      );
    });
  }
});
