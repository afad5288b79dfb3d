import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient, ReplyError } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

describe("XSETID against a real redis-server", () => {
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
      const k = (name: string) => `xsetid:${protocol}:${name}`;

      before(() => {
        redis = createClient(server.url, { protocol });
      });

      after(async () => {
        await redis.close();
      });

      test(
        `Client.xsetid() moves the last ID and sets the counters under RESP${protocol}`,
        T,
        async () => {
          const key = k("events");
          await redis.xadd(key, { a: "1" }, { id: "5-1" });
          assert.equal(await redis.xsetid(key, "100-0"), "OK");
          let info = await redis.xinfoStream(key);
          assert.equal(info.lastGeneratedId, "100-0");
          assert.equal(
            await redis.xadd(key, { b: "2" }, { id: "100-*" }),
            "100-1",
          );
          assert.equal(
            await redis.xsetid(key, "200-0", {
              entriesAdded: 10,
              maxDeletedId: "150-0",
            }),
            "OK",
          );
          info = await redis.xinfoStream(key);
          assert.equal(info.lastGeneratedId, "200-0");
          assert.equal(info.entriesAdded, 10);
          assert.equal(info.maxDeletedEntryId, "150-0");
          assert.equal(await redis.xsetid(key, 300), "OK");
          assert.equal((await redis.xinfoStream(key)).lastGeneratedId, "300-0");
          await assert.rejects(redis.xsetid(key, "1-0"), ReplyError);
          await assert.rejects(redis.xsetid(k("missing"), "1-0"), ReplyError);
          assert.throws(() => redis.xsetid(key, ""), /lastId/);
          assert.throws(
            () => redis.xsetid(key, "400-0", { entriesAdded: -1 }),
            RangeError,
          );
          assert.throws(
            () => redis.xsetid(key, "400-0", { maxDeletedId: null as never }),
            /maxDeletedId/,
          );
        },
      );
    });
  }
});
