/**
 * send()'s shapes under RESP2 and RESP3: the raw replies differ (maps and
 * sets under RESP3), and `flat: true` gives RESP2's shapes under both.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

describe("send() shapes", () => {
  let server: RedisServer;
  let resp2: Client;
  let resp3: Client;

  before(async () => {
    server = await startRedis();
    resp2 = createClient(server.url, { protocol: 2 });
    resp3 = createClient(server.url, { protocol: 3 });
    await resp3.hset("shape:h", { a: "1", b: "2" });
    await resp3.sadd("shape:s", "x", "y");
  });

  after(async () => {
    await resp2?.close();
    await resp3?.close();
    await server?.stop();
  });

  test(
    "without flat, RESP3 answers with a Map and a Set where RESP2 answers with arrays",
    T,
    async () => {
      assert.deepEqual(await resp2.send(["HGETALL", "shape:h"]), [
        "a",
        "1",
        "b",
        "2",
      ]);
      assert.deepEqual(
        await resp3.send(["HGETALL", "shape:h"]),
        new Map([["a", "1"], ["b", "2"]]),
      );
      assert.ok(await resp3.send(["SMEMBERS", "shape:s"]) instanceof Set);
    },
  );

  test("with flat: true, both protocols give the same shapes", T, async () => {
    for (
      const args of [
        ["HGETALL", "shape:h"],
        ["SMEMBERS", "shape:s"],
        ["CONFIG", "GET", "maxmemory*"],
        ["HGETALL", "shape:none"],
      ]
    ) {
      const two = await resp2.send(args, { flat: true });
      const three = await resp3.send(args, { flat: true });
      const sorted = (v: unknown) =>
        Array.isArray(v) && args[0] === "SMEMBERS" ? [...v].sort() : v;
      assert.deepEqual(sorted(three), sorted(two), args.join(" "));
      assert.ok(Array.isArray(three), args.join(" "));
    }
    // What flat cannot undo: RESP3 doubles are numbers.
    await resp3.zadd("shape:z", { m: 1.5 });
    assert.equal(
      await resp2.send(["ZSCORE", "shape:z", "m"], { flat: true }),
      "1.5",
    );
    assert.equal(
      await resp3.send(["ZSCORE", "shape:z", "m"], { flat: true }),
      1.5,
    );
  });
});
