import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type Client,
  type ClientKillFilter,
  createClient,
  ReplyError,
} from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

describe("ServerCommands against a real redis-server", () => {
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
      const k = (name: string) => `server:${protocol}:${name}`;
      // A database of its own per protocol, for commands that see them all.
      const db = protocol === 2 ? 2 : 3;

      before(() => {
        redis = createClient(server.url, { protocol });
      });

      after(async () => {
        await redis.close();
      });

      /**
       * Opens a second client and leases one of its connections, kills it
       * with the filter `makeFilter` builds from that connection's CLIENT
       * LIST entry, and returns the count CLIENT KILL replied.
       */
      async function killVictim(
        makeFilter: (victim: Record<string, string>) => ClientKillFilter,
      ): Promise<number> {
        const other = createClient(server.url, { protocol });
        try {
          const lease = await other.acquire();
          try {
            const id = await lease.clientId();
            const [victim] = await redis.clientList({ id: [id] });
            const killed = await redis.clientKill(makeFilter(victim));
            if (killed === 1) {
              await assert.rejects(lease.ping());
            } else {
              assert.equal(await lease.ping(), "PONG");
            }
            return killed;
          } finally {
            lease.destroy();
          }
        } finally {
          other.destroy();
          await other.close();
        }
      }

      test(
        `Client.echo() returns the message under RESP${protocol}`,
        T,
        async () => {
          assert.equal(await redis.echo("héllo ✓"), "héllo ✓");
          assert.equal(await redis.echo(42), "42");
          assert.equal(await redis.echo(""), "");
        },
      );

      test(
        `Client.info() parses sections into records under RESP${protocol}`,
        T,
        async () => {
          await redis.set(k("info"), "v");
          const all = await redis.info();
          for (const section of ["server", "clients", "memory", "keyspace"]) {
            assert.equal(typeof all[section], "object", section);
          }
          assert.match(all.server.redis_version, /^\d+\.\d+\.\d+$/);
          assert.equal(all.server.tcp_port, String(server.port));
          assert.match(all.keyspace.db0, /^keys=\d+,expires=\d+/);
          assert.ok(Number(all.memory.used_memory) > 0);

          const only = await redis.info("server");
          assert.deepEqual(Object.keys(only), ["server"]);
          assert.equal(only.server.redis_version, all.server.redis_version);
          const two = await redis.info("server", "clients");
          assert.deepEqual(Object.keys(two).sort(), ["clients", "server"]);
          assert.ok(Number(two.clients.connected_clients) >= 1);
          assert.deepEqual(await redis.info("nosuchsection"), {});
          assert.throws(
            () => redis.info(1 as unknown as string),
            TypeError,
          );
        },
      );

      test(
        `Client.dbsize(), flushdb() and flushall() count and clear keys under RESP${protocol}`,
        T,
        async () => {
          const lease = await redis.acquire();
          try {
            await lease.send(["SELECT", db]);
            assert.equal(await lease.flushdb(), "OK");
            assert.equal(await lease.dbsize(), 0);
            await lease.set(k("a"), "1");
            await lease.set(k("b"), "2");
            assert.equal(await lease.dbsize(), 2);
            assert.equal(await lease.flushdb({ async: true }), "OK");
            assert.equal(await lease.dbsize(), 0);
            await lease.set(k("c"), "3");
            assert.equal(await lease.flushdb({ sync: true }), "OK");
            assert.equal(await lease.dbsize(), 0);
          } finally {
            await lease.release();
          }
          await redis.set(k("flushall:0"), "1");
          assert.equal(await redis.flushall(), "OK");
          assert.equal(await redis.dbsize(), 0);
          await redis.set(k("flushall:1"), "1");
          assert.equal(await redis.flushall({ async: true }), "OK");
          assert.equal(await redis.exists(k("flushall:1")), 0);
          assert.throws(
            () => redis.flushdb({ async: true, sync: true }),
            TypeError,
          );
          assert.throws(
            () => redis.flushall({ async: true, sync: true }),
            TypeError,
          );
        },
      );

      test(
        `Client.time() returns seconds and microseconds as numbers under RESP${protocol}`,
        T,
        async () => {
          const time = await redis.time();
          assert.equal(typeof time.seconds, "number");
          assert.equal(typeof time.microseconds, "number");
          assert.ok(Math.abs(time.seconds - Date.now() / 1000) < 10);
          assert.ok(time.microseconds >= 0 && time.microseconds < 1_000_000);
        },
      );

      test(
        `Client.clientId() and clientGetname() describe the connection under RESP${protocol}`,
        T,
        async () => {
          const id = await redis.clientId();
          assert.ok(Number.isInteger(id) && id > 0);
          assert.equal(await redis.clientGetname(), null);
          const lease = await redis.acquire();
          try {
            const leaseId = await lease.clientId();
            assert.equal(await lease.clientId(), leaseId);
            await lease.send(["CLIENT", "SETNAME", `respool-${protocol}`]);
            assert.equal(await lease.clientGetname(), `respool-${protocol}`);
          } finally {
            lease.destroy();
          }
          const named = createClient(server.url, {
            protocol,
            name: "named-pool",
          });
          try {
            assert.equal(await named.clientGetname(), "named-pool");
          } finally {
            await named.close();
          }
        },
      );

      test(
        `Client.clientList() parses every connection under RESP${protocol}`,
        T,
        async () => {
          const lease = await redis.acquire();
          try {
            const id = await lease.clientId();
            const all = await redis.clientList();
            assert.ok(all.length >= 2);
            const mine = all.find((c) => c.id === String(id));
            assert.ok(mine, `connection ${id} listed`);
            assert.match(mine.addr, /^127\.0\.0\.1:\d+$/);
            assert.equal(mine.laddr, `127.0.0.1:${server.port}`);
            assert.equal(mine.user, "default");
            assert.equal(mine.resp, String(protocol));
            assert.equal(mine.name, "");

            const byId = await redis.clientList({ id: [id] });
            assert.equal(byId.length, 1);
            assert.equal(byId[0].id, String(id));
            assert.equal(byId[0].cmd, "client|id");
            const normal = await redis.clientList({ type: "normal" });
            assert.ok(normal.some((c) => c.id === String(id)));
            assert.deepEqual(await redis.clientList({ type: "pubsub" }), []);
            assert.deepEqual(await redis.clientList({ id: [999_999] }), []);
          } finally {
            await lease.release();
          }
          assert.throws(
            () => redis.clientList({ type: "normal", id: [1] }),
            TypeError,
          );
          assert.throws(() => redis.clientList({ id: [] }), TypeError);
          assert.throws(
            () =>
              redis.clientList({
                type: "slave" as unknown as "replica",
              }),
            TypeError,
          );
        },
      );

      test(
        `Client.clientKill() closes connections by id, addr, laddr and user under RESP${protocol}`,
        T,
        async () => {
          assert.equal(await killVictim((v) => ({ id: Number(v.id) })), 1);
          assert.equal(await killVictim((v) => ({ addr: v.addr })), 1);
          assert.equal(
            await killVictim((v) => ({ laddr: v.laddr, id: Number(v.id) })),
            1,
          );
          assert.equal(
            await killVictim((v) => ({ user: v.user, addr: v.addr })),
            1,
          );
          await assert.rejects(
            redis.clientKill({ user: "nobody" }),
            ReplyError,
          );
          assert.equal(
            await killVictim((v) => ({ type: "pubsub", id: Number(v.id) })),
            0,
          );
          assert.equal(await redis.clientKill({ addr: "10.0.0.1:1" }), 0);
          assert.throws(() => redis.clientKill({}), TypeError);
          assert.throws(() => redis.clientKill({ skipme: false }), TypeError);
        },
      );

      test(
        `Client.clientKill() spares its own connection unless skipme is false under RESP${protocol}`,
        T,
        async () => {
          const lease = await redis.acquire();
          try {
            const id = await lease.clientId();
            assert.equal(await lease.clientKill({ id }), 0);
            assert.equal(await lease.clientKill({ id, skipme: true }), 0);
            assert.equal(await lease.ping(), "PONG");
            assert.equal(await lease.clientKill({ id, skipme: false }), 1);
            await assert.rejects(lease.ping());
          } finally {
            lease.destroy();
          }
          assert.equal(await redis.ping(), "PONG");
        },
      );

      test(
        `Client.configGet() returns a record of parameters under RESP${protocol}`,
        T,
        async () => {
          assert.deepEqual(await redis.configGet("maxmemory"), {
            maxmemory: "0",
          });
          const many = await redis.configGet("maxmemory*", "port");
          assert.equal(many.port, String(server.port));
          assert.equal(many["maxmemory-policy"], "noeviction");
          assert.ok(Object.keys(many).length > 3);
          assert.deepEqual(await redis.configGet("no-such-parameter"), {});
          assert.throws(() => redis.configGet(), TypeError);
        },
      );

      test(
        `Client.configSet() sets one or many parameters under RESP${protocol}`,
        T,
        async () => {
          try {
            assert.equal(await redis.configSet("maxmemory-samples", 7), "OK");
            assert.deepEqual(await redis.configGet("maxmemory-samples"), {
              "maxmemory-samples": "7",
            });
            assert.equal(
              await redis.configSet({ "maxmemory-samples": "9", hz: 20 }),
              "OK",
            );
            assert.deepEqual(await redis.configGet("maxmemory-samples", "hz"), {
              "maxmemory-samples": "9",
              hz: "20",
            });
            assert.equal(
              await redis.configSet(new Map([["hz", "15"]])),
              "OK",
            );
            assert.equal((await redis.configGet("hz")).hz, "15");
            await assert.rejects(
              redis.configSet("no-such-parameter", "1"),
              ReplyError,
            );
            await assert.rejects(
              redis.configSet({ hz: "12", "maxmemory-samples": "nope" }),
              ReplyError,
            );
            assert.equal((await redis.configGet("hz")).hz, "15");
            assert.throws(() => redis.configSet({}), TypeError);
          } finally {
            await redis.configSet({ "maxmemory-samples": 5, hz: 10 });
          }
        },
      );

      test(
        `Client.memoryUsage() returns bytes or null under RESP${protocol}`,
        T,
        async () => {
          await redis.set(k("memory"), "x".repeat(1000));
          const bytes = await redis.memoryUsage(k("memory"));
          assert.ok(bytes !== null && bytes >= 1000, `bytes ${bytes}`);
          await redis.send(["RPUSH", k("memory:list"), "a", "b", "c"]);
          const sampled = await redis.memoryUsage(k("memory:list"), {
            samples: 0,
          });
          assert.ok(sampled !== null && sampled > 0);
          assert.equal(await redis.memoryUsage(k("memory:none")), null);
          assert.throws(
            () => redis.memoryUsage(k("memory"), { samples: -1 }),
            RangeError,
          );
        },
      );

      test(
        `Client.objectEncoding() names the encoding or returns null under RESP${protocol}`,
        T,
        async () => {
          await redis.set(k("enc:int"), "12345");
          await redis.set(k("enc:short"), "hello");
          await redis.set(k("enc:long"), "x".repeat(100));
          await redis.hset(k("enc:hash"), "f", "v");
          assert.equal(await redis.objectEncoding(k("enc:int")), "int");
          assert.equal(await redis.objectEncoding(k("enc:short")), "embstr");
          assert.equal(await redis.objectEncoding(k("enc:long")), "raw");
          assert.equal(await redis.objectEncoding(k("enc:hash")), "listpack");
          assert.equal(await redis.objectEncoding(k("enc:none")), null);
        },
      );

      test(
        `Client.objectIdletime(), objectFreq() and objectRefcount() read a key's statistics or null under RESP${protocol}`,
        T,
        async () => {
          const key = k("obj");
          await redis.set(key, "hello");
          const payload = (await redis.dump(key))!;
          await redis.restore(key, 0, payload, {
            replace: true,
            idletime: 1_000,
          });
          const idle = await redis.objectIdletime(key);
          assert.ok(idle !== null && idle >= 1_000 && idle < 1_010, `${idle}`);
          assert.equal(await redis.objectIdletime(k("obj:none")), null);
          assert.equal(await redis.objectRefcount(key), 1);
          assert.equal(await redis.objectRefcount(k("obj:none")), null);
          await assert.rejects(redis.objectFreq(key), ReplyError);
          const { "maxmemory-policy": policy } = await redis.configGet(
            "maxmemory-policy",
          );
          await redis.configSet("maxmemory-policy", "allkeys-lfu");
          try {
            await redis.restore(key, 0, payload, { replace: true, freq: 42 });
            assert.equal(await redis.objectFreq(key), 42);
            assert.equal(await redis.objectFreq(k("obj:none")), null);
            await assert.rejects(redis.objectIdletime(key), ReplyError);
          } finally {
            await redis.configSet("maxmemory-policy", policy);
          }
          assert.throws(() => redis.objectFreq(1 as never), TypeError);
        },
      );

      test(
        `Lease.wait() answers for the lease's own writes; Client.wait() is refused, under RESP${protocol}`,
        T,
        async () => {
          // WAIT counts replicas that acknowledged *this connection's*
          // writes: on the shared connections, or a fresh lease, its answer
          // would mean nothing.
          await assert.rejects(
            redis.wait(0, 0),
            (e: unknown) =>
              e instanceof TypeError &&
              /Cannot send WAIT on the shared connections as it answers about the connection's own writes/
                .test(e.message) &&
              /on a lease/.test(e.message),
          );
          await assert.rejects(redis.send(["WAIT", 0, 0]), TypeError);
          const lease = await redis.acquire();
          try {
            await lease.set(k("wait"), "w");
            assert.equal(await lease.wait(0, 100), 0);
            const started = Date.now();
            const waiting = lease.wait(1, 300);
            // Other commands are not stuck behind the blocked connection.
            assert.equal(await redis.ping(), "PONG");
            assert.equal(await waiting, 0);
            assert.ok(Date.now() - started >= 250, "waited for the timeout");
          } finally {
            await lease.release();
          }
          assert.throws(() => redis.wait(-1, 0), RangeError);
          assert.throws(() => redis.wait(0, -1), RangeError);
        },
      );
    });
  }
});
