import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, type CommandArg, createClient } from "../mod.ts";
import type { RespValue } from "../src/resp/decode.ts";
import { hscan, scan, sscan, zscan } from "../src/commands/scan.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

async function collect<V>(source: AsyncIterable<V>): Promise<V[]> {
  const out: V[] = [];
  for await (const item of source) out.push(item);
  return out;
}

/** A sender that answers from a script of pages and records each call. */
function scripted(replies: RespValue[]) {
  const calls: (readonly CommandArg[])[] = [];
  return {
    calls,
    send(args: readonly CommandArg[]): Promise<RespValue> {
      calls.push(args);
      const reply = replies.shift();
      if (reply === undefined) throw new Error("no more pages");
      return Promise.resolve(reply);
    },
  };
}

describe("scan(), hscan(), sscan() and zscan() without a server", () => {
  test(
    "scan() follows the cursor, drops duplicates within a page and remembers nothing across pages",
    T,
    async () => {
      const sender = scripted([
        ["17", ["a", "b", "a"]],
        ["5", []],
        ["0", ["b", "c", "c"]],
      ]);
      // SCAN may return a key twice (a rehash between pages): the generator
      // does not keep every key it yielded, so its memory stays flat.
      assert.deepEqual(await collect(scan(sender, { count: 2 })), [
        "a",
        "b",
        "b",
        "c",
      ]);
      assert.deepEqual(sender.calls, [
        ["SCAN", "0", "COUNT", 2],
        ["SCAN", "17", "COUNT", 2],
        ["SCAN", "5", "COUNT", 2],
      ]);
    },
  );

  test(
    "hscan() and zscan() yield fields and members with their values, duplicates dropped within a page",
    T,
    async () => {
      const hash = scripted([
        ["3", ["f1", "v1", "f2", "v2", "f1", "v1"]],
        ["0", ["f2", "v2", "f3", "v3"]],
      ]);
      assert.deepEqual(await collect(hscan(hash, "h", { match: "f*" })), [
        ["f1", "v1"],
        ["f2", "v2"],
        ["f2", "v2"],
        ["f3", "v3"],
      ]);
      assert.deepEqual(hash.calls[1], ["HSCAN", "h", "3", "MATCH", "f*"]);
      const zset = scripted([
        ["9", ["m1", "1.5", "m2", "inf"]],
        ["0", ["m1", "1.5", "m3", -2]],
      ]);
      assert.deepEqual(await collect(zscan(zset, "z")), [
        { member: "m1", score: 1.5 },
        { member: "m2", score: Infinity },
        { member: "m1", score: 1.5 },
        { member: "m3", score: -2 },
      ]);
      const set = scripted([["0", ["x", "x", "y"]]]);
      assert.deepEqual(await collect(sscan(set, "s")), ["x", "y"]);
    },
  );

  test(
    "scan() sends the next page only when asked, so break leaves nothing pending",
    T,
    async () => {
      const sender = scripted([
        ["1", ["a", "b", "c"]],
        ["2", ["d"]],
        ["0", ["e"]],
      ]);
      const seen: string[] = [];
      for await (const k of scan(sender)) {
        seen.push(k);
        if (seen.length === 2) break;
      }
      assert.deepEqual(seen, ["a", "b"]);
      assert.equal(sender.calls.length, 1);
    },
  );

  test(
    "scan() and friends throw at once on bad options or a bad executor",
    T,
    () => {
      const sender = scripted([]);
      assert.throws(() => scan(sender, { count: 0 }), RangeError);
      assert.throws(() => scan(sender, { count: 1.5 }), TypeError);
      assert.throws(
        () => scan(sender, { match: 1 as unknown as string }),
        TypeError,
      );
      assert.throws(
        () => scan(sender, { type: 1 as unknown as string }),
        TypeError,
      );
      assert.throws(
        () => hscan(sender, "h", { type: "hash" } as never),
        TypeError,
      );
      assert.throws(() => sscan(sender, 1 as unknown as string), TypeError);
      assert.throws(() => zscan({} as never, "z"), TypeError);
      assert.throws(() => scan(null as never), TypeError);
      assert.equal(sender.calls.length, 0);
    },
  );
});

describe("scan(), hscan(), sscan() and zscan() against a real redis-server", () => {
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
      const k = (name: string) => `scan:${protocol}:${name}`;

      before(() => {
        redis = createClient(server.url, { protocol });
      });

      after(async () => {
        await redis.close();
      });

      test(
        `scan() yields each of 10,000 keys exactly once under RESP${protocol}`,
        T,
        async () => {
          for (let chunk = 0; chunk < 10; chunk++) {
            const args: CommandArg[] = ["MSET"];
            for (let i = chunk * 1000; i < (chunk + 1) * 1000; i++) {
              args.push(k(`many:${i}`), i);
            }
            await redis.send(args);
          }
          const keys = await collect(
            scan(redis, { match: k("many:*"), count: 500 }),
          );
          assert.equal(keys.length, 10_000);
          const unique = new Set(keys);
          assert.equal(unique.size, 10_000);
          for (let i = 0; i < 10_000; i++) {
            assert.ok(unique.has(k(`many:${i}`)), `missing ${i}`);
          }
        },
      );

      test(
        `scan() filters by match and type under RESP${protocol}`,
        T,
        async () => {
          await redis.send(["SET", k("t:string"), "1"]);
          await redis.send(["HSET", k("t:hash"), "f", "v"]);
          await redis.send(["SADD", k("t:set"), "m"]);
          await redis.send(["RPUSH", k("t:list"), "e"]);
          await redis.send(["SET", k("u:string"), "1"]);
          assert.deepEqual(
            (await collect(scan(redis, { match: k("t:*") }))).sort(),
            [k("t:hash"), k("t:list"), k("t:set"), k("t:string")],
          );
          assert.deepEqual(
            await collect(scan(redis, { match: k("t:*"), type: "hash" })),
            [k("t:hash")],
          );
          assert.deepEqual(
            (await collect(
              scan(redis, { match: k("*:string"), type: "string" }),
            ))
              .sort(),
            [k("t:string"), k("u:string")],
          );
          assert.deepEqual(
            await collect(scan(redis, { match: k("none:*") })),
            [],
          );
        },
      );

      test(
        `scan() stopped by break after 10 keys leaves the client usable under RESP${protocol}`,
        T,
        async () => {
          const args: CommandArg[] = ["MSET"];
          for (let i = 0; i < 1000; i++) args.push(k(`brk:${i}`), i);
          await redis.send(args);
          const seen: string[] = [];
          for await (const key of scan(redis, { match: k("brk:*") })) {
            seen.push(key);
            if (seen.length === 10) break;
          }
          assert.equal(seen.length, 10);
          assert.equal(redis.stats().inFlight, 0);
          assert.equal(await redis.ping(), "PONG");
          // And on a lease: break, then the lease still works and releases.
          const conn = await redis.acquire();
          try {
            let n = 0;
            for await (const _ of scan(conn, { match: k("brk:*") })) {
              if (++n === 10) break;
            }
            assert.equal(n, 10);
            assert.equal(await conn.send(["ECHO", "still here"]), "still here");
          } finally {
            await conn.release();
          }
          assert.equal(redis.stats().leased, 0);
        },
      );

      test(
        `hscan() yields each field of a large hash once with its value under RESP${protocol}`,
        T,
        async () => {
          const args: CommandArg[] = ["HSET", k("hash")];
          for (let i = 0; i < 2000; i++) args.push(`f${i}`, `v${i}`);
          await redis.send(args);
          assert.equal(
            await redis.send(["OBJECT", "ENCODING", k("hash")]),
            "hashtable",
          );
          const pairs = await collect(hscan(redis, k("hash"), { count: 100 }));
          assert.equal(pairs.length, 2000);
          assert.equal(new Set(pairs.map(([f]) => f)).size, 2000);
          for (const [field, value] of pairs) {
            assert.equal(value, `v${field.slice(1)}`);
          }
          const matched = await collect(
            hscan(redis, k("hash"), { match: "f19??" }),
          );
          assert.deepEqual(
            matched.map(([f]) => f).sort(),
            Array.from({ length: 100 }, (_, i) => `f${1900 + i}`),
          );
          assert.deepEqual(await collect(hscan(redis, k("missing"))), []);
        },
      );

      test(
        `sscan() yields each member of a large set once under RESP${protocol}`,
        T,
        async () => {
          const args: CommandArg[] = ["SADD", k("set")];
          for (let i = 0; i < 2000; i++) args.push(`m${i}`);
          await redis.send(args);
          assert.equal(
            await redis.send(["OBJECT", "ENCODING", k("set")]),
            "hashtable",
          );
          const members = await collect(sscan(redis, k("set"), { count: 50 }));
          assert.equal(members.length, 2000);
          assert.equal(new Set(members).size, 2000);
          assert.deepEqual(
            (await collect(sscan(redis, k("set"), { match: "m199?" }))).sort(),
            Array.from({ length: 10 }, (_, i) => `m199${i}`),
          );
          assert.deepEqual(await collect(sscan(redis, k("missing"))), []);
        },
      );

      test(
        `zscan() yields each member of a large sorted set once with its score under RESP${protocol}`,
        T,
        async () => {
          const args: CommandArg[] = ["ZADD", k("zset")];
          for (let i = 0; i < 2000; i++) args.push(i + 0.5, `m${i}`);
          args.push("+inf", "top", "-inf", "bottom");
          await redis.send(args);
          assert.equal(
            await redis.send(["OBJECT", "ENCODING", k("zset")]),
            "skiplist",
          );
          const members = await collect(
            zscan(redis, k("zset"), { count: 100 }),
          );
          assert.equal(members.length, 2002);
          assert.equal(new Set(members.map((m) => m.member)).size, 2002);
          for (const { member, score } of members) {
            if (member === "top") assert.equal(score, Infinity);
            else if (member === "bottom") assert.equal(score, -Infinity);
            else assert.equal(score, Number(member.slice(1)) + 0.5);
          }
          assert.deepEqual(
            await collect(zscan(redis, k("zset"), { match: "m1999" })),
            [{ member: "m1999", score: 1999.5 }],
          );
          assert.deepEqual(await collect(zscan(redis, k("missing"))), []);
        },
      );
    });
  }
});
