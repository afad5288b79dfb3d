import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient, ReplyError } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

describe("KeyCommands against a real redis-server", () => {
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
      const k = (name: string) => `keys:${protocol}:${name}`;

      before(() => {
        redis = createClient(server.url, { protocol });
      });

      after(async () => {
        await redis.close();
      });

      test(
        `Client.unlink() and touch() count existing keys under RESP${protocol}`,
        T,
        async () => {
          await redis.set(k("unlink:a"), "1");
          await redis.set(k("unlink:b"), "2");
          assert.equal(
            await redis.touch(k("unlink:a"), k("unlink:b"), k("unlink:none")),
            2,
          );
          assert.equal(
            await redis.unlink(k("unlink:a"), k("unlink:b"), k("unlink:none")),
            2,
          );
          assert.equal(await redis.exists(k("unlink:a"), k("unlink:b")), 0);
          assert.equal(await redis.touch(k("unlink:a")), 0);
          assert.throws(() => redis.unlink(), TypeError);
          assert.throws(() => redis.touch(), TypeError);
        },
      );

      test(
        `Client.expire() applies the nx, xx, gt and lt conditions under RESP${protocol}`,
        T,
        async () => {
          const key = k("expire");
          await redis.set(key, "v");
          assert.equal(await redis.expire(key, 100, { xx: true }), false);
          assert.equal(await redis.expire(key, 100, { gt: true }), false);
          assert.equal(await redis.expire(key, 100, { nx: true }), true);
          assert.equal(await redis.expire(key, 200, { nx: true }), false);
          assert.equal(await redis.expire(key, 50, { gt: true }), false);
          assert.equal(await redis.expire(key, 300, { gt: true }), true);
          assert.equal(await redis.expire(key, 400, { lt: true }), false);
          assert.equal(
            await redis.expire(key, 150, { xx: true, lt: true }),
            true,
          );
          const ttl = await redis.ttl(key);
          assert.ok(ttl > 140 && ttl <= 150, `ttl ${ttl}`);
          assert.equal(await redis.expire(k("expire:none"), 10), false);
          assert.throws(
            () => redis.expire(key, 1, { nx: true, xx: true }),
            TypeError,
          );
          assert.throws(
            () => redis.expire(key, 1, { nx: true, gt: true }),
            TypeError,
          );
          assert.throws(
            () => redis.expire(key, 1, { gt: true, lt: true }),
            TypeError,
          );
          assert.throws(() => redis.expire(key, 1.5), TypeError);
        },
      );

      test(
        `Client.pexpire() and pttl() work in milliseconds under RESP${protocol}`,
        T,
        async () => {
          const key = k("pexpire");
          assert.equal(await redis.pttl(key), -2);
          await redis.set(key, "v");
          assert.equal(await redis.pttl(key), -1);
          assert.equal(await redis.pexpire(key, 50_000), true);
          const pttl = await redis.pttl(key);
          assert.ok(pttl > 40_000 && pttl <= 50_000, `pttl ${pttl}`);
          assert.equal(await redis.pexpire(key, 60_000, { lt: true }), false);
          assert.equal(await redis.pexpire(key, 60_000, { gt: true }), true);
          assert.equal(await redis.pexpire(k("pexpire:none"), 1_000), false);
        },
      );

      test(
        `Client.expiretime() and pexpiretime() read absolute expiries under RESP${protocol}`,
        T,
        async () => {
          const key = k("expiretime");
          assert.equal(await redis.expiretime(key), -2);
          assert.equal(await redis.pexpiretime(key), -2);
          await redis.set(key, "v");
          assert.equal(await redis.expiretime(key), -1);
          assert.equal(await redis.pexpiretime(key), -1);
          const at = Date.now() + 100_000;
          await redis.pexpireat(key, at);
          assert.equal(await redis.pexpiretime(key), at);
          assert.equal(await redis.expiretime(key), Math.round(at / 1000));
          assert.throws(() => redis.expiretime(42 as never), TypeError);
          assert.throws(() => redis.pexpiretime(null as never), TypeError);
        },
      );

      test(
        `Client.expireat() and pexpireat() set absolute expiries under RESP${protocol}`,
        T,
        async () => {
          const key = k("expireat");
          await redis.set(key, "v");
          const now = Math.floor(Date.now() / 1000);
          assert.equal(await redis.expireat(key, now + 100), true);
          const ttl = await redis.ttl(key);
          assert.ok(ttl > 90 && ttl <= 101, `ttl ${ttl}`);
          assert.equal(
            await redis.expireat(key, now + 50, { gt: true }),
            false,
          );
          assert.equal(
            await redis.pexpireat(key, Date.now() + 200_000, { gt: true }),
            true,
          );
          assert.ok((await redis.ttl(key)) > 190);
          assert.equal(await redis.expireat(key, now - 10), true);
          assert.equal(await redis.exists(key), 0);
          assert.equal(await redis.expireat(key, now + 100), false);
          assert.throws(
            () => redis.pexpireat(key, 1, { gt: true, lt: true }),
            TypeError,
          );
        },
      );

      test(
        `Client.persist() removes an expiry and reports it under RESP${protocol}`,
        T,
        async () => {
          const key = k("persist");
          await redis.set(key, "v", { ex: 100 });
          assert.equal(await redis.persist(key), true);
          assert.equal(await redis.ttl(key), -1);
          assert.equal(await redis.persist(key), false);
          assert.equal(await redis.persist(k("persist:none")), false);
        },
      );

      test(
        `Client.type() names each value type under RESP${protocol}`,
        T,
        async () => {
          await redis.set(k("type:string"), "v");
          await redis.send(["RPUSH", k("type:list"), "a"]);
          await redis.send(["SADD", k("type:set"), "a"]);
          await redis.send(["ZADD", k("type:zset"), 1, "a"]);
          await redis.send(["HSET", k("type:hash"), "f", "v"]);
          await redis.send(["XADD", k("type:stream"), "*", "f", "v"]);
          for (
            const type of ["string", "list", "set", "zset", "hash", "stream"]
          ) {
            assert.equal(await redis.type(k(`type:${type}`)), type);
          }
          assert.equal(await redis.type(k("type:none")), "none");
        },
      );

      test(
        `Client.rename() and renamenx() move keys under RESP${protocol}`,
        T,
        async () => {
          await redis.set(k("rename:a"), "1");
          await redis.set(k("rename:b"), "2");
          assert.equal(await redis.rename(k("rename:a"), k("rename:c")), "OK");
          assert.equal(await redis.get(k("rename:c")), "1");
          assert.equal(await redis.exists(k("rename:a")), 0);
          assert.equal(
            await redis.renamenx(k("rename:c"), k("rename:b")),
            false,
          );
          assert.equal(
            await redis.renamenx(k("rename:c"), k("rename:d")),
            true,
          );
          assert.equal(await redis.get(k("rename:d")), "1");
          await assert.rejects(
            redis.rename(k("rename:none"), k("rename:e")),
            ReplyError,
          );
          await assert.rejects(
            redis.renamenx(k("rename:none"), k("rename:e")),
            ReplyError,
          );
        },
      );

      test(
        `Client.copy() copies, replaces and copies into another database under RESP${protocol}`,
        T,
        async () => {
          await redis.set(k("copy:src"), "v1");
          await redis.set(k("copy:dst"), "old");
          assert.equal(await redis.copy(k("copy:src"), k("copy:new")), true);
          assert.equal(await redis.get(k("copy:new")), "v1");
          assert.equal(await redis.copy(k("copy:src"), k("copy:dst")), false);
          assert.equal(await redis.get(k("copy:dst")), "old");
          assert.equal(
            await redis.copy(k("copy:src"), k("copy:dst"), { replace: true }),
            true,
          );
          assert.equal(await redis.get(k("copy:dst")), "v1");
          assert.equal(await redis.copy(k("copy:none"), k("copy:x")), false);
          const db = protocol === 2 ? 4 : 5;
          assert.equal(
            await redis.copy(k("copy:src"), k("copy:other"), { db }),
            true,
          );
          assert.equal(await redis.exists(k("copy:other")), 0);
          {
            const lease = await redis.acquire();
            try {
              await lease.send(["SELECT", db]);
              assert.equal(await lease.get(k("copy:other")), "v1");
              await lease.send(["FLUSHDB"]);
            } finally {
              await lease.release();
            }
          }
          assert.throws(
            () => redis.copy(k("copy:src"), k("copy:x"), { db: -1 }),
            RangeError,
          );
        },
      );

      test(
        `Client.dump() returns bytes that restore() accepts under RESP${protocol}`,
        T,
        async () => {
          const bytes = new Uint8Array([0, 255, 128, 10, 13, 65]);
          await redis.set(k("dump:src"), bytes);
          const payload = await redis.dump(k("dump:src"));
          assert.ok(payload instanceof Uint8Array);
          assert.ok(payload.length > bytes.length);
          assert.equal(await redis.dump(k("dump:none")), null);

          assert.equal(await redis.restore(k("dump:copy"), 0, payload), "OK");
          assert.deepEqual(
            await redis.send(["GET", k("dump:copy")], { bytes: true }),
            bytes,
          );
          assert.equal(await redis.ttl(k("dump:copy")), -1);
          await assert.rejects(
            redis.restore(k("dump:copy"), 0, payload),
            (error: unknown) =>
              error instanceof ReplyError && error.prefix === "BUSYKEY",
          );
          assert.equal(
            await redis.restore(k("dump:copy"), 100_000, payload, {
              replace: true,
            }),
            "OK",
          );
          const pttl = await redis.pttl(k("dump:copy"));
          assert.ok(pttl > 90_000 && pttl <= 100_000, `pttl ${pttl}`);
          assert.equal(
            await redis.restore(k("dump:abs"), Date.now() + 200_000, payload, {
              absttl: true,
              idletime: 10,
            }),
            "OK",
          );
          assert.ok((await redis.ttl(k("dump:abs"))) > 190);
          assert.equal(
            await redis.send(["OBJECT", "IDLETIME", k("dump:abs")]),
            10,
          );
          await assert.rejects(
            redis.restore(k("dump:bad"), 0, new Uint8Array([1, 2, 3])),
            ReplyError,
          );
          assert.throws(
            () =>
              redis.restore(k("dump:x"), 0, payload, { idletime: 1, freq: 1 }),
            TypeError,
          );
          assert.throws(
            () => redis.restore(k("dump:x"), 0, payload, { freq: 256 }),
            RangeError,
          );
          assert.throws(
            () => redis.restore(k("dump:x"), -1, payload),
            RangeError,
          );
          assert.throws(
            () => redis.restore(k("dump:x"), 0, "x" as unknown as Uint8Array),
            TypeError,
          );
        },
      );

      test(
        `Client.randomkey() returns a key, or null in an empty database under RESP${protocol}`,
        T,
        async () => {
          const lease = await redis.acquire();
          try {
            await lease.send(["SELECT", protocol === 2 ? 6 : 7]);
            await lease.send(["FLUSHDB"]);
            assert.equal(await lease.randomkey(), null);
            await lease.set(k("random"), "v");
            assert.equal(await lease.randomkey(), k("random"));
            await lease.send(["FLUSHDB"]);
          } finally {
            await lease.release();
          }
          await redis.set(k("random:db0"), "v");
          assert.equal(typeof await redis.randomkey(), "string");
        },
      );
    });
  }
});
