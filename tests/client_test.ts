import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type Client,
  ClosedError,
  createClient,
  RedisError,
  ReplyError,
  TimeoutError,
} from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";
import { makeCerts } from "./_tls.ts";
import { defaultTransport } from "../src/transport/detect.ts";
import { recordFirstWrites } from "./_recording.ts";
import { sleep } from "./_util.ts";

const T = { timeout: 30_000 };

describe("Client against a real redis-server", () => {
  let server: RedisServer;
  let redis: Client;

  before(async () => {
    server = await startRedis({ unixSocket: true });
    redis = createClient(server.url);
  });

  after(async () => {
    await redis.close();
    await server.stop();
  });

  test(
    "Client.get() and set() round-trip strings and report missing keys as null",
    T,
    async () => {
      assert.equal(await redis.set("client:a", "héllo wörld ✓"), "OK");
      assert.equal(await redis.get("client:a"), "héllo wörld ✓");
      assert.equal(await redis.get("client:missing"), null);
    },
  );

  test("Client.set() applies EX, PX, NX, XX, GET and KEEPTTL", T, async () => {
    assert.equal(await redis.set("client:ex", "1", { ex: 100 }), "OK");
    const ttl = await redis.ttl("client:ex");
    assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
    assert.equal(await redis.set("client:px", "1", { px: 50_000 }), "OK");
    assert.ok((await redis.send(["PTTL", "client:px"]) as number) > 40_000);
    assert.equal(await redis.set("client:ex", "2", { nx: true }), null);
    assert.equal(await redis.set("client:nx-new", "2", { xx: true }), null);
    assert.equal(
      await redis.set("client:ex", "3", { xx: true, keepTtl: true }),
      "OK",
    );
    assert.ok((await redis.ttl("client:ex")) > 90);
    assert.equal(await redis.set("client:ex", "4", { get: true }), "3");
    assert.equal(await redis.ttl("client:ex"), -1);
    assert.throws(() => redis.set("k", "v", { ex: 1, px: 1 }), TypeError);
    assert.throws(() => redis.set("k", "v", { nx: true, xx: true }), TypeError);
    assert.throws(() => redis.set("k", "v", { ex: 0 }), RangeError);
  });

  test(
    "Client.del(), exists(), incr(), expire(), ttl() and ping() return typed results",
    T,
    async () => {
      await redis.set("client:d1", "x");
      await redis.set("client:d2", "y");
      assert.equal(
        await redis.exists("client:d1", "client:d2", "client:none"),
        2,
      );
      assert.equal(await redis.del("client:d1", "client:d2", "client:none"), 2);
      assert.equal(await redis.exists("client:d1"), 0);
      assert.equal(await redis.incr("client:counter"), 1);
      assert.equal(await redis.incr("client:counter"), 2);
      assert.equal(await redis.expire("client:counter", 100), true);
      assert.equal(await redis.expire("client:none", 100), false);
      assert.equal(await redis.ttl("client:none"), -2);
      assert.equal(await redis.ping(), "PONG");
      assert.equal(await redis.ping("hi"), "hi");
    },
  );

  test(
    "Client.send() keeps 10,000 commands in flight in order",
    T,
    async () => {
      const count = 10_000;
      const replies = await Promise.all(
        Array.from({ length: count }, (_, i) => redis.send(["ECHO", `v${i}`])),
      );
      replies.forEach((reply, i) => assert.equal(reply, `v${i}`));
      const counts = await Promise.all(
        Array.from({ length: count }, () => redis.incr("client:ordered")),
      );
      // Spread over several connections, the INCRs interleave on the server,
      // but each caller gets its own distinct count: nothing lost or doubled.
      assert.deepEqual(
        [...counts].sort((a, b) => a - b),
        Array.from({ length: count }, (_, i) => i + 1),
      );
    },
  );

  test(
    "Client.send() round-trips binary keys and values with every byte and CRLF",
    T,
    async () => {
      const value = new Uint8Array(256 * 4);
      for (let i = 0; i < value.length; i++) value[i] = i % 256;
      const key = new Uint8Array([0, 13, 10, 255, 36, 42, 13, 10]);
      assert.equal(await redis.set(key, value), "OK");
      const back = await redis.send(["GET", key], { bytes: true });
      assert.ok(back instanceof Uint8Array);
      assert.deepEqual(back, value);
      assert.equal(await redis.send(["STRLEN", key]), value.length);
      // Strings in bytes mode, bytes in string mode.
      await redis.set("client:text", "\r\n$3\r\n*");
      assert.deepEqual(
        await redis.send(["GET", "client:text"], { bytes: true }),
        new TextEncoder().encode("\r\n$3\r\n*"),
      );
      assert.equal(await redis.get("client:text"), "\r\n$3\r\n*");
    },
  );

  test(
    "Client.get() decodes UTF-8 like TextDecoder, keeping a BOM and replacing invalid bytes",
    T,
    async () => {
      const samples = [
        "\uFEFFstarts with a BOM",
        "é✓😀".repeat(100),
        "x".repeat(300) + "é",
      ].map((text) => new TextEncoder().encode(text));
      samples.push(new Uint8Array([0x61, 0xff, 0xfe, 0x62, 0xc3]));
      const expected = new TextDecoder("utf-8", { ignoreBOM: true });
      for (const [i, bytes] of samples.entries()) {
        await redis.set(`client:utf8:${i}`, bytes);
        assert.equal(
          await redis.get(`client:utf8:${i}`),
          expected.decode(bytes),
        );
      }
    },
  );

  test(
    "Client.set() of an 8 MiB value and commands issued while it drains all arrive intact",
    T,
    async () => {
      // The socket takes the large write in parts; the connection's write
      // buffer is reused meanwhile for the commands of the next ticks.
      const big = "0123456789abcdef".repeat(1 << 19);
      const writes: Promise<unknown>[] = [redis.set("client:drain:big", big)];
      for (let tick = 0; tick < 20; tick++) {
        for (let i = 0; i < 10; i++) {
          writes.push(redis.set(`client:drain:${tick}:${i}`, `v${tick}:${i}`));
        }
        await Promise.resolve();
      }
      await Promise.all(writes);
      assert.equal(await redis.get("client:drain:big"), big);
      for (let tick = 0; tick < 20; tick++) {
        assert.deepEqual(
          await redis.mget(
            ...Array.from(
              { length: 10 },
              (_, i) => `client:drain:${tick}:${i}`,
            ),
          ),
          Array.from({ length: 10 }, (_, i) => `v${tick}:${i}`),
        );
      }
    },
  );

  test(
    "Client.set() encodes strings of every length as TextEncoder does, lone surrogates as U+FFFD",
    T,
    async () => {
      // Lengths around the encoder's switches (byte loop, the runtime's own
      // encoder, TextEncoder) with ASCII, multi-byte and broken text.
      const pieces = ["a", "é", "✓", "😀", "\ud800", "\udc00x"];
      const encoder = new TextEncoder();
      for (const length of [1, 15, 16, 17, 31, 63, 64, 65, 100, 5000]) {
        for (const [i, piece] of pieces.entries()) {
          const text = ("k".repeat(length - 1) + piece).slice(-length - 1);
          const key = `client:encode:${length}:${i}`;
          await redis.set(key, text);
          assert.deepEqual(
            await redis.send(["GET", key], { bytes: true }),
            encoder.encode(text),
            `${length} units ending in ${JSON.stringify(piece)}`,
          );
          await redis.set(text, "as a key");
          assert.equal(await redis.get(text), "as a key");
        }
      }
    },
  );

  test(
    "Client.send() returns RESP3 maps and sets as Map and Set",
    T,
    async () => {
      await redis.send(["HSET", "client:h", "f1", "v1", "f2", "v2"]);
      const map = await redis.send(["HGETALL", "client:h"]);
      assert.ok(map instanceof Map);
      assert.deepEqual([...map], [["f1", "v1"], ["f2", "v2"]]);
      await redis.send(["SADD", "client:s", "a", "b"]);
      const set = await redis.send(["SMEMBERS", "client:s"]);
      assert.ok(set instanceof Set);
      assert.deepEqual([...set].sort(), ["a", "b"]);
    },
  );

  test(
    "Client.send() rejects a server error with a ReplyError naming the command",
    T,
    async () => {
      await redis.send(["LPUSH", "client:list", "x"]);
      const error = await redis.get("client:list").catch((e) => e);
      assert.ok(error instanceof ReplyError);
      assert.equal(error.code, "REPLY");
      assert.equal(error.prefix, "WRONGTYPE");
      assert.match(error.message, /GET/);
      // The client stays usable.
      assert.equal(await redis.ping(), "PONG");
    },
  );

  test(
    "Client.send() refuses commands that change connection state",
    T,
    async () => {
      for (
        const args of [["SELECT", 1], ["MULTI"], ["WATCH", "k"], [
          "SUBSCRIBE",
          "c",
        ], ["CLIENT", "SETNAME", "x"]]
      ) {
        await assert.rejects(redis.send(args), TypeError);
      }
      assert.equal(await redis.send(["CLIENT", "GETNAME"]), null);
    },
  );

  test(
    "Client.send() rejects bad arguments with a TypeError and loses nothing",
    T,
    async () => {
      const ok = redis.set("client:before", "1");
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        redis.send(["SET", "k", null as any]),
        (e: unknown) => e instanceof TypeError && /argument 2/.test(e.message),
      );
      await assert.rejects(redis.send([]), TypeError);
      assert.throws(() => redis.get(42 as unknown as string), TypeError);
      assert.equal(await ok, "OK");
      assert.equal(await redis.get("client:before"), "1");
    },
  );

  test("createClient() connects over a unix socket URL", T, async () => {
    const unix = createClient(`unix://${server.socketPath}?db=2`);
    try {
      await unix.set("client:unix", "yes");
      assert.equal(await unix.get("client:unix"), "yes");
      // db=2 was selected: the default db does not have the key.
      assert.equal(await redis.get("client:unix"), null);
    } finally {
      await unix.close();
    }
  });

  test(
    "Client.close() rejects later commands with ClosedError",
    T,
    async () => {
      const client = createClient(server.url);
      await client.connect();
      const inFlight = client.get("client:a");
      await client.close();
      assert.equal(await inFlight, "héllo wörld ✓");
      const error = await client.get("client:a").catch((e) => e);
      assert.ok(error instanceof ClosedError);
      assert.equal(error.code, "CLOSED");
      assert.ok(error instanceof RedisError);
    },
  );

  test("Client.destroy() rejects commands in flight", T, async () => {
    const client = createClient(server.url);
    await client.connect();
    const pending = client.send(["DEBUG", "SLEEP", "0.2"]);
    client.destroy();
    await assert.rejects(pending, ClosedError);
  });

  test(
    "Client.destroy() while its connection is still opening closes the socket once it opens",
    T,
    async () => {
      /** Ids of the server's connections: new ones get higher ids. */
      const ids = async () => {
        const list = await redis.send(["CLIENT", "LIST"]) as string;
        return [...list.matchAll(/^id=(\d+) /gm)].map((m) => Number(m[1]));
      };
      const received = async () => {
        const info = (await redis.info("stats")).stats ?? {};
        return Number(info.total_connections_received);
      };
      const newestBefore = Math.max(...await ids());
      const receivedBefore = await received();
      const client = createClient(server.url);
      const pending = client.send(["PING"]);
      client.destroy();
      await assert.rejects(pending, ClosedError);
      // The socket was asked for before destroy(): it opens, and must then
      // be closed, not left connected.
      let opened: number[] = [];
      for (let i = 0; i < 100; i++) {
        await sleep(20);
        opened = (await ids()).filter((id) => id > newestBefore);
        if (await received() > receivedBefore && opened.length === 0) break;
      }
      assert.equal(await received(), receivedBefore + 1);
      assert.deepEqual(opened, []);
    },
  );

  test(
    "Client.scan(), hscan(), sscan() and zscan() iterate through the client and a lease",
    T,
    async () => {
      await Promise.all(
        Array.from({ length: 300 }, (_, i) => redis.set(`scanned:${i}`, i)),
      );
      const keys = new Set<string>();
      for await (
        const key of redis.scan({ match: "scanned:*", count: 50 })
      ) keys.add(key);
      assert.equal(keys.size, 300);
      await redis.send(["HSET", "client:hs", "a", "1", "b", "2"]);
      await redis.send(["SADD", "client:ss", "x", "y"]);
      await redis.send(["ZADD", "client:zs", "1.5", "m"]);
      await using lease = await redis.acquire();
      const fields: [string, string][] = [];
      for await (const pair of lease.hscan("client:hs")) fields.push(pair);
      assert.deepEqual(fields.sort(), [["a", "1"], ["b", "2"]]);
      const members: string[] = [];
      for await (const member of redis.sscan("client:ss")) members.push(member);
      assert.deepEqual(members.sort(), ["x", "y"]);
      let zcount = 0;
      for await (const scored of redis.zscan("client:zs")) {
        assert.deepEqual(scored, { member: "m", score: 1.5 });
        zcount++;
      }
      assert.equal(zcount, 1);
    },
  );

  test(
    "Client.script() runs a script and reloads it after SCRIPT FLUSH",
    T,
    async () => {
      const incrBy = redis.script(
        "return redis.call('INCRBY', KEYS[1], ARGV[1])",
      );
      assert.equal(await incrBy.run(["client:script"], [5]), 5);
      await redis.send(["SCRIPT", "FLUSH"]);
      assert.equal(await incrBy.run(["client:script"], [2]), 7);
    },
  );

  test(
    "createClient() makes no connection until the first command",
    T,
    async () => {
      const client = createClient({ port: server.port });
      assert.equal(client.stats().total, 0);
      assert.equal(await client.ping(), "PONG");
      assert.equal(client.stats().total, 1);
      await client.close();
    },
  );
});

describe("Client handshake", () => {
  test(
    "Client falls back to RESP2 when the server has no HELLO",
    T,
    async () => {
      const server = await startRedis({
        args: ["--rename-command", "HELLO", ""],
      });
      const redis = createClient(server.url, { db: 1, name: "resp2-client" });
      try {
        assert.equal(await redis.set("k", "v"), "OK");
        assert.equal(await redis.get("k"), "v");
        // RESP2 gives HGETALL as a flat array.
        await redis.send(["HSET", "h", "a", "1"]);
        assert.deepEqual(await redis.send(["HGETALL", "h"]), ["a", "1"]);
        assert.equal(await redis.send(["CLIENT", "GETNAME"]), "resp2-client");
        await using lease = await redis.acquire();
        assert.equal(lease.protocol, 2);
        assert.equal(await lease.send(["GET", "k"]), "v");
        await lease.send(["SELECT", "0"]);
        assert.equal(
          await lease.get("k"),
          null,
          "db 1 was selected at handshake",
        );
        // Without SELECT or AUTH the first commands follow HELLO on the wire
        // instead of waiting for it; they must work on a HELLO-less server too.
        const eager = createClient(server.url, { name: "eager" });
        const [set, got, name] = await Promise.all([
          eager.set("eager:k", "1"),
          eager.get("k"),
          eager.send(["CLIENT", "GETNAME"]),
        ]);
        assert.deepEqual([set, got], ["OK", null]);
        assert.ok(name === null || name === "eager");
        assert.equal(await eager.send(["CLIENT", "GETNAME"]), "eager");
        await eager.close();
      } finally {
        await redis.close();
        await server.stop();
      }
    },
  );

  test(
    "A new connection's first command leaves in the same write as its HELLO",
    T,
    async () => {
      // One write, not two: workerd sends a second write a turn of its event
      // loop later, which slowed every fresh client on Workers. The
      // runtime's own transport, with each connection's writes recorded.
      const { transport, firstWrites } = recordFirstWrites(
        await defaultTransport(),
      );
      const server = await startRedis();
      try {
        for (let i = 0; i < 5; i++) {
          await using redis = createClient(server.url, { transport });
          assert.equal(await redis.ping(), "PONG");
        }
        assert.deepEqual(
          firstWrites,
          new Array(5).fill(
            "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*1\r\n$4\r\nPING\r\n",
          ),
        );
      } finally {
        await server.stop();
      }
    },
  );

  test(
    "Client authenticates an ACL user and rejects a wrong password without echoing it",
    T,
    async () => {
      const server = await startRedis({
        args: [
          "--user",
          "app",
          "on",
          ">s3cr3t-pass",
          "~*",
          "+@all",
          "--requirepass",
          "default-pass",
        ],
      });
      try {
        const app = createClient(
          `redis://app:s3cr3t-pass@127.0.0.1:${server.port}`,
        );
        assert.equal(await app.send(["ACL", "WHOAMI"]), "app");
        await app.close();

        const legacy = createClient(server.url, {
          password: "default-pass",
          protocol: 2,
        });
        assert.equal(await legacy.send(["ACL", "WHOAMI"]), "default");
        await legacy.close();

        const secret = "wr0ng-p4ssw0rd-value";
        const bad = createClient(server.url, {
          username: "app",
          password: secret,
          retry: () => undefined,
        });
        const error = await bad.ping().catch((e) => e);
        assert.ok(error instanceof RedisError, String(error));
        assert.equal(error.code, "REPLY");
        assert.match(error.message, /WRONGPASS/);
        assert.ok(!error.message.includes(secret));
        assert.ok(!String(error.stack).includes(secret));
        assert.ok(!JSON.stringify(error).includes(secret));
        await bad.close();

        const none = createClient(server.url, { retry: () => undefined });
        const noAuth = await none.ping().catch((e) => e);
        assert.ok(noAuth instanceof ReplyError);
        assert.match(noAuth.message, /NOAUTH|AUTH/);
        await none.close();
      } finally {
        await server.stop();
      }
    },
  );
});

describe("Client over TLS", () => {
  test(
    "Client connects with rediss:// and a CA, and refuses a server the CA did not sign",
    T,
    async () => {
      const certs = makeCerts();
      const server = await startRedis({
        tls: { cert: certs.cert, key: certs.key, ca: certs.ca },
      });
      const url = `rediss://127.0.0.1:${server.port}`;
      try {
        const secure = createClient(url, { tls: { ca: certs.caPem } });
        assert.equal(await secure.set("tls:k", "secret value"), "OK");
        assert.equal(await secure.get("tls:k"), "secret value");
        await using lease = await secure.acquire();
        assert.equal(await lease.ping(), "PONG");
        await lease.release();
        await secure.close();

        const wrong = createClient(url, {
          tls: { ca: certs.otherCaPem },
          retry: () => undefined,
        });
        const error = await wrong.ping().catch((e) => e);
        assert.ok(error instanceof RedisError, String(error));
        assert.equal(error.code, "CONNECTION");
        assert.match(error.message, /certificate|tls/i);
        await wrong.close();
      } finally {
        await server.stop();
        certs.cleanup();
      }
    },
  );
});

describe("Client.withOptions()", () => {
  test(
    "Client.withOptions() applies a timeout, a signal and bytes to every command of the view",
    T,
    async () => {
      const server = await startRedis();
      const redis = createClient(server.url);
      try {
        await redis.set("view:k", "v");
        const bytes = redis.withOptions({ bytes: true });
        assert.deepEqual(
          await bytes.send(["GET", "view:k"]),
          new TextEncoder().encode("v"),
        );
        const quick = redis.withOptions({ timeout: 30 });
        await assert.rejects(
          quick.send(["DEBUG", "SLEEP", "0.2"]),
          TimeoutError,
        );
        await sleep(250); // the server sleeps until then
        assert.equal(await quick.get("view:k"), "v");
        const controller = new AbortController();
        const aborted = redis.withOptions({ signal: controller.signal });
        const pending = aborted.send(["DEBUG", "SLEEP", "0.2"]);
        controller.abort(new Error("request ended"));
        await assert.rejects(pending, /request ended/);
        await assert.rejects(
          redis.withOptions({}).send(["SELECT", 1]),
          TypeError,
        );
        await using lease = await redis.acquire();
        assert.equal(
          await lease.withOptions({ timeout: 1_000 }).get("view:k"),
          "v",
        );
      } finally {
        await redis.close();
        await server.stop();
      }
    },
  );
});

describe("Timeouts of different lengths on one connection", () => {
  let server: RedisServer;

  before(async () => {
    server = await startRedis();
  });

  after(async () => {
    await server.stop();
  });

  const SLEEP = ["DEBUG", "SLEEP", "0.8"];
  for (
    const { name, commandTimeout, slow, quick } of [
      {
        name:
          "a command with a shorter timeout of its own times out on time behind a slow one",
        commandTimeout: 5_000,
        slow: (redis: Client) => redis.send(SLEEP),
        quick: (redis: Client) =>
          redis.withOptions({ timeout: 100 }).send(["PING"]),
      },
      {
        name:
          "a command with the default timeout times out on time behind one with a longer timeout of its own",
        commandTimeout: 100,
        slow: (redis: Client) =>
          redis.withOptions({ timeout: 5_000 }).send(SLEEP),
        quick: (redis: Client) => redis.get("timeouts:k"),
      },
    ]
  ) {
    test(name, T, async () => {
      await using redis = createClient(server.url, {
        commandTimeout,
        pool: { max: 1 },
      });
      await redis.ping();
      // With a short commandTimeout, the PING's deadline passes: no timer
      // is armed when the slow command comes.
      await sleep(150);
      const started = Date.now();
      const slowReply = slow(redis);
      const error = await quick(redis).then(() => undefined, (e) => e);
      const ms = Date.now() - started;
      assert.ok(error instanceof TimeoutError, String(error));
      assert.ok(ms < 700, `timed out after ${ms} ms`);
      assert.equal(await slowReply, "OK");
    });
  }
});
