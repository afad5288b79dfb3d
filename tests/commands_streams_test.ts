import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient, ReplyError } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };
const ID = /^\d+-\d+$/;

describe("StreamCommands against a real redis-server", () => {
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
      const k = (name: string) => `streams:${protocol}:${name}`;

      before(() => {
        redis = createClient(server.url, { protocol });
      });

      after(async () => {
        await redis.close();
      });

      test(
        `Client.xadd() returns the new ID and xlen() counts entries under RESP${protocol}`,
        T,
        async () => {
          const id = await redis.xadd(k("add"), { a: "1", b: 2 });
          assert.ok(id !== null && ID.test(id), `id ${id}`);
          assert.equal(
            await redis.xadd(k("add"), [["f", "v"]], {
              id: "9999999999999-0",
            }),
            "9999999999999-0",
          );
          assert.equal(
            await redis.xadd(k("add"), new Map([["m", "1"]]), {
              id: "9999999999999-*",
            }),
            "9999999999999-1",
          );
          assert.equal(await redis.xlen(k("add")), 3);
          assert.equal(await redis.xlen(k("missing")), 0);
          // An ID not above the last one is refused by the server.
          await assert.rejects(
            redis.xadd(k("add"), { f: "v" }, { id: "1-1" }),
            ReplyError,
          );
        },
      );

      test(
        `Client.xadd() with nomkstream returns null for a missing stream under RESP${protocol}`,
        T,
        async () => {
          assert.equal(
            await redis.xadd(k("nomk"), { f: "v" }, { nomkstream: true }),
            null,
          );
          assert.equal(await redis.send(["EXISTS", k("nomk")]), 0);
          await redis.xadd(k("nomk"), { f: "v" });
          const id = await redis.xadd(k("nomk"), { f: "w" }, {
            nomkstream: true,
          });
          assert.ok(id !== null && ID.test(id));
          assert.equal(await redis.xlen(k("nomk")), 2);
        },
      );

      test(
        `Client.xadd() trims by maxlen and minid, exactly or approximately under RESP${protocol}`,
        T,
        async () => {
          for (let i = 1; i <= 10; i++) {
            await redis.xadd(k("trim"), { i }, { id: `${i}-0`, maxlen: 5 });
          }
          assert.equal(await redis.xlen(k("trim")), 5);
          assert.deepEqual(
            (await redis.xrange(k("trim"))).map((m) => m.id),
            ["6-0", "7-0", "8-0", "9-0", "10-0"],
          );
          await redis.xadd(k("trim"), { i: 11 }, { id: "11-0", minid: "9-0" });
          assert.deepEqual(
            (await redis.xrange(k("trim"))).map((m) => m.id),
            ["9-0", "10-0", "11-0"],
          );
          // Approximate trimming removes whole radix tree nodes (100 entries
          // each by default), and LIMIT caps how many entries go at once.
          const args: (string | number)[] = ["XADD", k("approx"), "*", "f", 1];
          await Promise.all(
            Array.from({ length: 250 }, () => redis.send(args)),
          );
          await redis.xadd(k("approx"), { f: 1 }, {
            maxlen: 10,
            approximate: true,
            limit: 1,
          });
          assert.equal(await redis.xlen(k("approx")), 251);
          await redis.xadd(k("approx"), { f: 1 }, {
            maxlen: 10,
            approximate: true,
          });
          const left = await redis.xlen(k("approx"));
          assert.ok(left >= 10 && left < 252, `left ${left}`);
        },
      );

      test(
        `Client.xadd() rejects bad fields and conflicting options under RESP${protocol}`,
        T,
        () => {
          assert.throws(() => redis.xadd(k("bad"), {}), TypeError);
          assert.throws(() => redis.xadd(k("bad"), []), TypeError);
          assert.throws(
            () => redis.xadd(k("bad"), null as unknown as Record<string, 1>),
            TypeError,
          );
          assert.throws(
            () => redis.xadd(k("bad"), { f: 1 }, { maxlen: 1, minid: "1-0" }),
            TypeError,
          );
          assert.throws(
            () => redis.xadd(k("bad"), { f: 1 }, { maxlen: 1, limit: 10 }),
            TypeError,
          );
          assert.throws(
            () => redis.xadd(k("bad"), { f: 1 }, { approximate: true }),
            TypeError,
          );
          assert.throws(
            () => redis.xadd(k("bad"), { f: 1 }, { maxlen: -1 }),
            RangeError,
          );
          assert.throws(
            () => redis.xadd(k("bad"), { f: 1 }, { id: "" }),
            TypeError,
          );
        },
      );

      test(
        `Client.xrange() and xrevrange() return entries with field records under RESP${protocol}`,
        T,
        async () => {
          await redis.xadd(k("range"), { a: "1", b: "x" }, { id: "1-0" });
          await redis.xadd(k("range"), { a: "2" }, { id: "2-0" });
          await redis.xadd(k("range"), JSON.parse('{"__proto__":"3"}'), {
            id: "3-0",
          });
          const all = await redis.xrange(k("range"));
          assert.deepEqual(all.slice(0, 2), [
            { id: "1-0", fields: { a: "1", b: "x" } },
            { id: "2-0", fields: { a: "2" } },
          ]);
          assert.equal(all[2].id, "3-0");
          assert.equal(
            Object.getOwnPropertyDescriptor(all[2].fields, "__proto__")?.value,
            "3",
          );
          assert.deepEqual(
            (await redis.xrange(k("range"), "2-0", "+")).map((m) => m.id),
            ["2-0", "3-0"],
          );
          assert.deepEqual(
            (await redis.xrange(k("range"), "(1-0", "3-0", { count: 1 }))
              .map((m) => m.id),
            ["2-0"],
          );
          assert.deepEqual(
            (await redis.xrevrange(k("range"))).map((m) => m.id),
            ["3-0", "2-0", "1-0"],
          );
          assert.deepEqual(
            await redis.xrevrange(k("range"), "+", "-", { count: 1 }),
            [{ id: "3-0", fields: all[2].fields }],
          );
          assert.deepEqual(await redis.xrange(k("missing")), []);
          assert.deepEqual(await redis.xrevrange(k("range"), "0-5", "0-1"), []);
          assert.throws(
            () => redis.xrange(k("range"), "-", "+", { count: -1 }),
            RangeError,
          );
        },
      );

      test(
        `Client.xread() returns streams as { key, messages } or null under RESP${protocol}`,
        T,
        async () => {
          await redis.xadd(k("r1"), { n: "1" }, { id: "1-0" });
          await redis.xadd(k("r1"), { n: "2" }, { id: "2-0" });
          await redis.xadd(k("r2"), { m: "1" }, { id: "5-0" });
          const read = await redis.xread({ [k("r1")]: "0", [k("r2")]: 0 });
          assert.deepEqual(read, [
            {
              key: k("r1"),
              messages: [
                { id: "1-0", fields: { n: "1" } },
                { id: "2-0", fields: { n: "2" } },
              ],
            },
            { key: k("r2"), messages: [{ id: "5-0", fields: { m: "1" } }] },
          ]);
          assert.deepEqual(
            await redis.xread([[k("r1"), "1-0"], [k("r2"), "5-0"]], {
              count: 5,
            }),
            [{ key: k("r1"), messages: [{ id: "2-0", fields: { n: "2" } }] }],
          );
          assert.deepEqual(
            await redis.xread({ [k("r1")]: "0" }, { count: 1 }),
            [{ key: k("r1"), messages: [{ id: "1-0", fields: { n: "1" } }] }],
          );
          assert.equal(await redis.xread({ [k("r1")]: "$" }), null);
          assert.equal(await redis.xread({ [k("missing")]: "0" }), null);
          assert.throws(() => redis.xread({}), TypeError);
          assert.throws(
            () => redis.xread({ [k("r1")]: "0" }, { count: 0 }),
            RangeError,
          );
        },
      );

      test(
        `Client.xread() with block waits on a lease of its own under RESP${protocol}`,
        T,
        async () => {
          const last = await redis.xadd(k("block"), { n: "0" });
          assert.ok(last !== null);
          const waiting = redis.xread({ [k("block")]: last }, {
            block: 10_000,
          });
          // The shared connections stay free while XREAD blocks.
          assert.equal(await redis.ping(), "PONG");
          assert.equal(redis.stats().leased, 1);
          const id = await redis.xadd(k("block"), { n: "1" });
          assert.deepEqual(await waiting, [
            { key: k("block"), messages: [{ id, fields: { n: "1" } }] },
          ]);
          assert.equal(redis.stats().leased, 0);
          const started = Date.now();
          assert.equal(
            await redis.xread({ [k("block")]: "$" }, { block: 100 }),
            null,
          );
          assert.ok(Date.now() - started >= 90);
          assert.throws(
            () => redis.xread({ [k("block")]: "$" }, { block: -1 }),
            RangeError,
          );
        },
      );

      test(
        `Lease.xread() with block runs on the lease under RESP${protocol}`,
        T,
        async () => {
          const conn = await redis.acquire();
          try {
            assert.equal(
              await conn.xread({ [k("lease")]: "$" }, { block: 50 }),
              null,
            );
            await redis.xadd(k("lease"), { f: "v" }, { id: "1-0" });
            assert.deepEqual(
              await conn.xread({ [k("lease")]: "0" }, { block: 0 }),
              [{
                key: k("lease"),
                messages: [{ id: "1-0", fields: { f: "v" } }],
              }],
            );
          } finally {
            await conn.release();
          }
        },
      );

      test(
        `Client.xgroupCreate(), xgroupCreateconsumer(), xgroupDelconsumer(), xgroupSetid() and xgroupDestroy() manage groups under RESP${protocol}`,
        T,
        async () => {
          await assert.rejects(
            redis.xgroupCreate(k("g"), "g1", "$"),
            ReplyError,
          );
          assert.equal(
            await redis.xgroupCreate(k("g"), "g1", "$", { mkstream: true }),
            "OK",
          );
          await assert.rejects(
            redis.xgroupCreate(k("g"), "g1"),
            (e: unknown) => e instanceof ReplyError && e.prefix === "BUSYGROUP",
          );
          await redis.xadd(k("g"), { f: "1" }, { id: "1-0" });
          await redis.xadd(k("g"), { f: "2" }, { id: "2-0" });
          assert.equal(
            await redis.xgroupCreate(k("g"), "g2", "0", { entriesRead: 0 }),
            "OK",
          );
          assert.equal(
            await redis.xgroupCreateconsumer(k("g"), "g2", "c1"),
            true,
          );
          assert.equal(
            await redis.xgroupCreateconsumer(k("g"), "g2", "c1"),
            false,
          );
          await redis.xreadgroup("g2", "c2", { [k("g")]: ">" });
          assert.equal(await redis.xgroupDelconsumer(k("g"), "g2", "c2"), 2);
          assert.equal(await redis.xgroupDelconsumer(k("g"), "g2", "c1"), 0);
          assert.equal(
            await redis.xgroupSetid(k("g"), "g2", "1-0", { entriesRead: 1 }),
            "OK",
          );
          const g2 = (await redis.xinfoGroups(k("g"))).find((g) =>
            g.name === "g2"
          );
          assert.equal(g2?.lastDeliveredId, "1-0");
          assert.equal(g2?.entriesRead, 1);
          assert.equal(g2?.lag, 1);
          assert.equal(await redis.xgroupSetid(k("g"), "g2", "$"), "OK");
          assert.equal(await redis.xgroupDestroy(k("g"), "g2"), true);
          assert.equal(await redis.xgroupDestroy(k("g"), "g2"), false);
          assert.deepEqual(
            (await redis.xinfoGroups(k("g"))).map((g) => g.name),
            ["g1"],
          );
        },
      );

      test(
        `Client.xreadgroup(), xack() and xpending() track pending entries under RESP${protocol}`,
        T,
        async () => {
          const s = k("rg");
          await redis.xgroupCreate(s, "g", "0", { mkstream: true });
          assert.deepEqual(await redis.xpending(s, "g"), {
            count: 0,
            smallest: null,
            greatest: null,
            consumers: [],
          });
          for (let i = 1; i <= 4; i++) {
            await redis.xadd(s, { i }, { id: `${i}-0` });
          }
          assert.deepEqual(
            await redis.xreadgroup("g", "c1", { [s]: ">" }, { count: 2 }),
            [{
              key: s,
              messages: [
                { id: "1-0", fields: { i: "1" } },
                { id: "2-0", fields: { i: "2" } },
              ],
            }],
          );
          await redis.xreadgroup("g", "c2", [[s, ">"]], { count: 1 });
          assert.deepEqual(await redis.xpending(s, "g"), {
            count: 3,
            smallest: "1-0",
            greatest: "3-0",
            consumers: [{ name: "c1", count: 2 }, { name: "c2", count: 1 }],
          });
          const entries = await redis.xpendingRange(s, "g", "-", "+", 10);
          assert.deepEqual(
            entries.map(({ id, consumer, deliveries }) => ({
              id,
              consumer,
              deliveries,
            })),
            [
              { id: "1-0", consumer: "c1", deliveries: 1 },
              { id: "2-0", consumer: "c1", deliveries: 1 },
              { id: "3-0", consumer: "c2", deliveries: 1 },
            ],
          );
          assert.ok(entries.every((e) => typeof e.idle === "number"));
          assert.deepEqual(
            (await redis.xpendingRange(s, "g", "-", "+", 10, {
              consumer: "c2",
            })).map((e) => e.id),
            ["3-0"],
          );
          assert.deepEqual(
            await redis.xpendingRange(s, "g", "-", "+", 10, {
              idle: 3_600_000,
            }),
            [],
          );
          assert.equal(
            (await redis.xpendingRange(s, "g", "2-0", "+", 1)).length,
            1,
          );
          assert.equal(await redis.xack(s, "g", "1-0", "3-0", "9-0"), 2);
          assert.equal((await redis.xpending(s, "g")).count, 1);
          // NOACK: read, but never pending.
          assert.deepEqual(
            await redis.xreadgroup("g", "c3", { [s]: ">" }, { noack: true }),
            [{ key: s, messages: [{ id: "4-0", fields: { i: "4" } }] }],
          );
          assert.equal((await redis.xpending(s, "g")).count, 1);
          // Nothing new: null; re-reading history returns c1's pending
          // entry, and an entry deleted meanwhile with null fields.
          assert.equal(await redis.xreadgroup("g", "c1", { [s]: ">" }), null);
          await redis.xdel(s, "2-0");
          assert.deepEqual(
            await redis.xreadgroup("g", "c1", { [s]: "0" }),
            [{ key: s, messages: [{ id: "2-0", fields: null }] }],
          );
          assert.throws(() => redis.xack(s, "g"), TypeError);
        },
      );

      test(
        `Client.xreadgroup() with block waits on a lease of its own under RESP${protocol}`,
        T,
        async () => {
          const s = k("rgb");
          await redis.xgroupCreate(s, "g", "$", { mkstream: true });
          assert.equal(
            await redis.xreadgroup("g", "c", { [s]: ">" }, { block: 50 }),
            null,
          );
          const waiting = redis.xreadgroup("g", "c", { [s]: ">" }, {
            block: 10_000,
          });
          assert.equal(await redis.ping(), "PONG");
          // The entry may land before or after XREADGROUP starts blocking;
          // either way the group delivers it.
          await redis.xadd(s, { f: "v" }, { id: "1-0" });
          assert.deepEqual(await waiting, [
            { key: s, messages: [{ id: "1-0", fields: { f: "v" } }] },
          ]);
        },
      );

      test(
        `Client.xclaim() and xclaimJustId() move pending entries under RESP${protocol}`,
        T,
        async () => {
          const s = k("claim");
          await redis.xgroupCreate(s, "g", "0", { mkstream: true });
          for (let i = 1; i <= 3; i++) {
            await redis.xadd(s, { i }, { id: `${i}-0` });
          }
          await redis.xreadgroup("g", "c1", { [s]: ">" });
          assert.deepEqual(
            await redis.xclaim(s, "g", "c2", 0, ["1-0"]),
            [{ id: "1-0", fields: { i: "1" } }],
          );
          // Not idle long enough: nothing claimed.
          assert.deepEqual(
            await redis.xclaim(s, "g", "c2", 3_600_000, ["2-0"]),
            [],
          );
          assert.deepEqual(
            await redis.xclaimJustId(s, "g", "c2", 0, ["2-0", "3-0"], {
              retryCount: 7,
              idle: 5_000,
            }),
            ["2-0", "3-0"],
          );
          const pending = await redis.xpendingRange(s, "g", "-", "+", 10);
          assert.deepEqual(
            pending.map((e) => [e.id, e.consumer, e.deliveries]),
            [["1-0", "c2", 2], ["2-0", "c2", 7], ["3-0", "c2", 7]],
          );
          assert.ok(pending[1].idle >= 5_000);
          // FORCE claims an entry that is not pending.
          await redis.xadd(s, { i: 4 }, { id: "4-0" });
          assert.deepEqual(
            await redis.xclaim(s, "g", "c3", 0, ["4-0"], {
              force: true,
              time: Date.now() - 1_000,
              lastId: "4-0",
            }),
            [{ id: "4-0", fields: { i: "4" } }],
          );
          assert.equal(
            (await redis.xinfoGroups(s))[0].lastDeliveredId,
            "4-0",
          );
          assert.throws(
            () => redis.xclaim(s, "g", "c", 0, ["1-0"], { idle: 1, time: 1 }),
            TypeError,
          );
          assert.throws(() => redis.xclaim(s, "g", "c", 0, []), TypeError);
          assert.throws(
            () => redis.xclaim(s, "g", "c", -1, ["1-0"]),
            RangeError,
          );
        },
      );

      test(
        `Client.xautoclaim() and xautoclaimJustId() scan and claim idle entries under RESP${protocol}`,
        T,
        async () => {
          const s = k("auto");
          await redis.xgroupCreate(s, "g", "0", { mkstream: true });
          for (let i = 1; i <= 5; i++) {
            await redis.xadd(s, { i }, { id: `${i}-0` });
          }
          await redis.xreadgroup("g", "c1", { [s]: ">" });
          await redis.xdel(s, "3-0");
          const first = await redis.xautoclaim(s, "g", "c2", 0, "0-0", {
            count: 2,
          });
          assert.deepEqual(first, {
            next: "3-0",
            messages: [
              { id: "1-0", fields: { i: "1" } },
              { id: "2-0", fields: { i: "2" } },
            ],
            deleted: [],
          });
          const second = await redis.xautoclaim(s, "g", "c2", 0, first.next);
          assert.deepEqual(second, {
            next: "0-0",
            messages: [
              { id: "4-0", fields: { i: "4" } },
              { id: "5-0", fields: { i: "5" } },
            ],
            deleted: ["3-0"],
          });
          assert.deepEqual(
            await redis.xautoclaimJustId(s, "g", "c3", 0),
            { next: "0-0", ids: ["1-0", "2-0", "4-0", "5-0"], deleted: [] },
          );
          assert.deepEqual(
            await redis.xautoclaim(s, "g", "c4", 3_600_000),
            { next: "0-0", messages: [], deleted: [] },
          );
        },
      );

      test(
        `Client.xtrim() and xdel() remove entries under RESP${protocol}`,
        T,
        async () => {
          const s = k("xtrim");
          for (let i = 1; i <= 6; i++) {
            await redis.xadd(s, { i }, { id: `${i}-0` });
          }
          assert.equal(await redis.xdel(s, "1-0", "99-0"), 1);
          assert.equal(await redis.xtrim(s, { maxlen: 4 }), 1);
          assert.equal(await redis.xtrim(s, { minid: "4-0" }), 1);
          // Approximate: the one node holds more than maxlen, so it stays.
          assert.equal(
            await redis.xtrim(s, { maxlen: 1, approximate: true, limit: 0 }),
            0,
          );
          assert.equal(await redis.xlen(s), 3);
          assert.equal(await redis.xtrim(k("missing"), { maxlen: 0 }), 0);
          assert.equal(await redis.xdel(k("missing"), "1-0"), 0);
          assert.throws(() => redis.xtrim(s, {}), TypeError);
          assert.throws(() => redis.xdel(s), TypeError);
        },
      );

      test(
        `Client.xinfoStream(), xinfoGroups() and xinfoConsumers() return typed records under RESP${protocol}`,
        T,
        async () => {
          const s = k("info");
          await redis.xgroupCreate(s, "g", "$", { mkstream: true });
          const empty = await redis.xinfoStream(s);
          assert.equal(empty.length, 0);
          assert.equal(empty.firstEntry, null);
          assert.equal(empty.lastEntry, null);
          assert.equal(empty.lastGeneratedId, "0-0");
          await redis.xadd(s, { a: "1" }, { id: "1-0" });
          await redis.xadd(s, { b: "2" }, { id: "2-0" });
          await redis.xadd(s, { c: "3" }, { id: "3-0" });
          await redis.xdel(s, "3-0");
          assert.deepEqual(await redis.xinfoStream(s), {
            length: 2,
            radixTreeKeys: 1,
            radixTreeNodes: 2,
            groups: 1,
            lastGeneratedId: "3-0",
            maxDeletedEntryId: "3-0",
            entriesAdded: 3,
            recordedFirstEntryId: "1-0",
            firstEntry: { id: "1-0", fields: { a: "1" } },
            lastEntry: { id: "2-0", fields: { b: "2" } },
          });
          // After a deletion the server cannot tell the lag: null.
          assert.deepEqual(
            (await redis.xinfoGroups(s)).map(({ name, lag }) => ({
              name,
              lag,
            })),
            [{ name: "g", lag: null }],
          );
          const s2 = k("info2");
          await redis.xgroupCreate(s2, "g", "$", { mkstream: true });
          await redis.xadd(s2, { a: "1" }, { id: "1-0" });
          await redis.xadd(s2, { b: "2" }, { id: "2-0" });
          await redis.xreadgroup("g", "c1", { [s2]: ">" }, { count: 1 });
          await redis.xgroupCreateconsumer(s2, "g", "c2");
          assert.deepEqual(await redis.xinfoGroups(s2), [{
            name: "g",
            consumers: 2,
            pending: 1,
            lastDeliveredId: "1-0",
            entriesRead: 1,
            lag: 1,
          }]);
          const consumers = await redis.xinfoConsumers(s2, "g");
          assert.deepEqual(
            consumers.map(({ name, pending }) => ({ name, pending })),
            [{ name: "c1", pending: 1 }, { name: "c2", pending: 0 }],
          );
          assert.ok(consumers.every((c) => c.idle >= 0));
          await assert.rejects(redis.xinfoStream(k("missing")), ReplyError);
          await assert.rejects(redis.xinfoGroups(k("missing")), ReplyError);
          await assert.rejects(
            redis.xinfoConsumers(s, "nogroup"),
            ReplyError,
          );
        },
      );
    });
  }
});
