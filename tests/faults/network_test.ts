/**
 * Fault suite, part 1: silent and half-open peers, garbage, truncated and
 * dripped replies, resets mid-reply, a server that is down, and a paused
 * server. Every test bounds its own time; every promise must settle.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import {
  ConnectionError,
  createClient,
  ProtocolError,
  QueueFullError,
  TimeoutError,
} from "../../mod.ts";
import { freePort, type RedisServer, startRedis } from "../_redis.ts";
import { sleep, waitFor } from "../_util.ts";
import { bulk, FaultProxy, ScriptedServer } from "./_peers.ts";

const T = { timeout: 30_000 };

function noRetryOptions() {
  return { retry: () => undefined, reconnect: () => 20 };
}

describe("Faults between client and server", () => {
  let server: RedisServer;

  before(async () => {
    server = await startRedis();
  });

  after(async () => {
    await server.stop();
  });

  for (const mode of ["silent", "blackhole"] as const) {
    test(
      `Client rejects with TimeoutError when the proxy goes ${mode}, then replaces the connection`,
      T,
      async () => {
        const proxy = await new FaultProxy(server.port).start();
        const redis = createClient(proxy.url, {
          commandTimeout: 300,
          ...noRetryOptions(),
        });
        try {
          await redis.set("fault:k", "v");
          proxy.mode = mode;
          const started = Date.now();
          const results = await Promise.allSettled([
            redis.get("fault:k"),
            redis.set("fault:k2", "x"),
            redis.incr("fault:n"),
          ]);
          const elapsed = Date.now() - started;
          for (const result of results) {
            assert.equal(result.status, "rejected");
            const error = (result as PromiseRejectedResult).reason;
            assert.ok(
              error instanceof TimeoutError || error instanceof ConnectionError,
              String(error),
            );
          }
          assert.ok(
            (results[0] as PromiseRejectedResult).reason instanceof
              TimeoutError,
          );
          assert.ok(elapsed < 300 + 500, `took ${elapsed} ms`);
          // The silent connection is declared dead and dropped.
          await waitFor(() => redis.stats().destroyed >= 1, 5_000);
          proxy.mode = "pass";
          assert.equal(await redis.get("fault:k"), "v");
          assert.ok(proxy.accepted >= 2, "a new connection was opened");
        } finally {
          await redis.close(500);
          await proxy.stop();
        }
      },
    );
  }

  test(
    "Pool health check replaces a half-open idle connection before leasing it, unseen by the caller",
    T,
    async () => {
      const proxy = await new FaultProxy(server.port).start();
      const redis = createClient(proxy.url, {
        connectTimeout: 300,
        pool: { max: 1, healthCheckInterval: 50 },
      });
      try {
        let first: unknown;
        {
          await using lease = await redis.acquire();
          first = await lease.send(["CLIENT", "ID"]);
        }
        await sleep(100); // idle longer than healthCheckInterval
        proxy.halfOpenExisting(); // dead, but no FIN: only a PING can tell
        const started = Date.now();
        await using lease = await redis.acquire({ timeout: 3_000 });
        assert.notEqual(await lease.send(["CLIENT", "ID"]), first);
        assert.ok(Date.now() - started < 2_000);
        assert.equal(redis.stats().destroyed, 1);
        assert.equal(proxy.accepted, 2);
      } finally {
        await redis.close(500);
        await proxy.stop();
      }
    },
  );

  test(
    "Pool replaces a connection older than maxLifetime when it is leased again",
    T,
    async () => {
      const redis = createClient(server.url, {
        pool: { max: 1, maxLifetime: 100 },
      });
      try {
        let first: unknown;
        {
          await using lease = await redis.acquire();
          first = await lease.send(["CLIENT", "ID"]);
        }
        {
          await using lease = await redis.acquire();
          assert.equal(
            await lease.send(["CLIENT", "ID"]),
            first,
            "young: reused",
          );
        }
        await sleep(200);
        {
          await using lease = await redis.acquire();
          assert.notEqual(await lease.send(["CLIENT", "ID"]), first);
        }
        assert.equal(await redis.ping(), "PONG");
      } finally {
        await redis.close(500);
      }
    },
  );

  test(
    "Client connect rejects with TimeoutError within connectTimeout when the server never answers the handshake",
    T,
    async () => {
      const proxy = await new FaultProxy(server.port).start();
      proxy.mode = "blackhole";
      const redis = createClient(proxy.url, {
        connectTimeout: 200,
        retry: () => undefined,
        reconnect: () => undefined,
      });
      try {
        const started = Date.now();
        const error = await redis.ping().catch((e) => e);
        assert.ok(
          error instanceof ConnectionError || error instanceof TimeoutError,
          String(error),
        );
        assert.match(String(error.message), /within 200 ms/);
        assert.ok(Date.now() - started < 1_500);
      } finally {
        await redis.close(200);
        await proxy.stop();
      }
    },
  );

  test(
    "Client rejects commands in flight with ConnectionError when the proxy drops the connection",
    T,
    async () => {
      const proxy = await new FaultProxy(server.port).start();
      const redis = createClient(proxy.url, { retry: () => undefined });
      try {
        await redis.ping();
        proxy.mode = "silent";
        const pending = redis.incr("fault:dropped");
        await sleep(20);
        proxy.dropAll();
        const error = await pending.catch((e) => e);
        assert.ok(error instanceof ConnectionError, String(error));
        assert.equal(error.mayHaveBeenApplied, true);
        assert.match(error.message, /may or may not have been applied/);
        proxy.mode = "pass";
        assert.equal(await redis.ping(), "PONG");
      } finally {
        await redis.close(500);
        await proxy.stop();
      }
    },
  );

  test(
    "Client retries a read-only command after a connection loss, but never a write",
    T,
    async () => {
      const proxy = await new FaultProxy(server.port).start();
      const redis = createClient(proxy.url, { retry: () => 20 });
      try {
        await redis.set("fault:r", "value");
        await redis.set("fault:w", "0");
        proxy.mode = "silent";
        const read = redis.get("fault:r");
        const write = redis.incr("fault:w").catch((e) => e);
        await sleep(20);
        proxy.mode = "pass";
        proxy.dropAll();
        assert.equal(await read, "value");
        const error = await write;
        assert.ok(error instanceof ConnectionError && error.mayHaveBeenApplied);
        // The INCR reached the server once (the proxy forwarded it) and was
        // not sent again.
        assert.equal(await redis.get("fault:w"), "1");
        assert.ok(redis.stats().retries >= 1);
      } finally {
        await redis.close(500);
        await proxy.stop();
      }
    },
  );

  test(
    "Client reports the first command within connectTimeout plus backoff when the server is down",
    T,
    async () => {
      const port = await freePort();
      const redis = createClient({
        port,
        connectTimeout: 500,
        reconnect: () => 50,
      });
      try {
        const started = Date.now();
        const error = await redis.get("x").catch((e) => e);
        const elapsed = Date.now() - started;
        assert.ok(error instanceof ConnectionError, String(error));
        assert.match(error.message, /connecting to 127\.0\.0\.1:\d+ failed/);
        assert.ok(elapsed < 500 + 3 * 2_000, `took ${elapsed} ms`);
        assert.ok(redis.stats().reconnects >= 1);
      } finally {
        await redis.close(200);
      }
    },
  );

  test(
    "Client enforces maxQueued while no connection is usable",
    T,
    async () => {
      const port = await freePort();
      const redis = createClient({
        port,
        maxQueued: 10,
        commandTimeout: 300,
        reconnect: () => 100,
      });
      try {
        const results = await Promise.allSettled(
          Array.from({ length: 25 }, (_, i) => redis.get(`q${i}`)),
        );
        const full = results.filter((r) =>
          r.status === "rejected" && r.reason instanceof QueueFullError
        );
        assert.equal(full.length, 15);
        assert.ok(results.every((r) => r.status === "rejected"));
        assert.match(
          (full[0] as PromiseRejectedResult).reason.message,
          /10 commands already wait/,
        );
      } finally {
        await redis.close(200);
      }
    },
  );

  test(
    "Client drops late replies after a timeout while the server is paused, and replies stay in step",
    T,
    async () => {
      const admin = createClient(server.url);
      const redis = createClient(server.url, { commandTimeout: 5_000 });
      try {
        await redis.set("pause:a", "A");
        await redis.set("pause:b", "B");
        await admin.send(["CLIENT", "PAUSE", "400", "ALL"]);
        // Without a per-call timeout, GET waits the pause out.
        assert.equal(await redis.get("pause:a"), "A");
        await admin.send(["CLIENT", "PAUSE", "400", "ALL"]);
        const late = redis.send(["GET", "pause:a"], { timeout: 50 });
        assert.ok((await late.catch((e) => e)) instanceof TimeoutError);
        assert.equal(
          await redis.get("pause:b"),
          "B",
          "the next command gets its own reply",
        );
        assert.equal(await redis.get("pause:a"), "A");
        assert.ok(redis.stats().timeouts >= 1);
      } finally {
        await admin.close();
        await redis.close();
      }
    },
  );

  test(
    "Client declares a connection dead when the server is paused longer than commandTimeout",
    T,
    async () => {
      const admin = createClient(server.url);
      const redis = createClient(server.url, {
        commandTimeout: 200,
        retry: () => undefined,
      });
      try {
        await redis.set("pause:c", "C");
        await admin.send(["CLIENT", "PAUSE", "700", "ALL"]);
        const results = await Promise.allSettled([
          redis.get("pause:c"),
          redis.incr("pause:n"),
        ]);
        assert.ok(results.every((r) => r.status === "rejected"));
        assert.ok(
          (results[0] as PromiseRejectedResult).reason instanceof TimeoutError,
        );
        await waitFor(() => redis.stats().destroyed >= 1, 5_000);
        await sleep(600);
        assert.equal(await redis.get("pause:c"), "C");
        // The INCR may have run after the pause: it was written before.
        const n = Number(await redis.get("pause:n") ?? 0);
        assert.ok(n === 0 || n === 1);
      } finally {
        await admin.close();
        await redis.close();
      }
    },
  );
});

describe("Faults from a scripted server", () => {
  for (
    const [when, connectTimeout, commandTimeout] of [
      ["while the connection attempt is still under way", 3_000, 150],
      ["after the connection attempt timed out", 100, 400],
    ] as const
  ) {
    test(
      `Commands waiting for a first connection time out at their own deadline ${when}`,
      T,
      async () => {
        // Silent after refusing HELLO: the AUTH of the handshake never gets
        // a reply, so no connection ever becomes ready.
        const fake = await new ScriptedServer(() => undefined).start();
        const redis = createClient(fake.url, {
          password: "secret",
          connectTimeout,
          commandTimeout,
          reconnect: () => 20,
        });
        try {
          const started = Date.now();
          const error = await redis.get("k").then(() => undefined, (e) => e);
          const ms = Date.now() - started;
          assert.ok(error instanceof TimeoutError, String(error));
          assert.match(error.message, /no connection .* became usable/);
          assert.ok(
            ms >= commandTimeout - 20 && ms < commandTimeout + 1_000,
            `rejected after ${ms} ms`,
          );
        } finally {
          redis.destroy();
          await fake.stop();
        }
      },
    );
  }

  test(
    "Client rejects garbage with ProtocolError, destroys that connection and carries on",
    T,
    async () => {
      const fake = await new ScriptedServer((args) =>
        args[0] === "GET" ? "?garbage\r\n" : "+PONG\r\n"
      ).start();
      const redis = createClient(fake.url, noRetryOptions());
      try {
        assert.equal(await redis.ping(), "PONG");
        const [bad, queued] = await Promise.allSettled([
          redis.get("k"),
          redis.ping(),
        ]);
        assert.ok(
          bad.status === "rejected" && bad.reason instanceof ProtocolError,
          String((bad as PromiseRejectedResult).reason),
        );
        assert.ok(queued.status === "rejected");
        assert.equal(await redis.ping(), "PONG");
        assert.ok(
          fake.connections >= 2,
          "a fresh connection replaced the broken one",
        );
      } finally {
        await redis.close(200);
        await fake.stop();
      }
    },
  );

  test(
    "close() waits for the replies in flight, then closes with a FIN and sends no QUIT",
    T,
    async () => {
      const seen: string[] = [];
      let answer: (() => void) | undefined;
      const fake = await new ScriptedServer((args, socket) => {
        seen.push(args[0].toUpperCase());
        if (args[0] !== "GET") return "+PONG\r\n";
        answer = () => socket.write(bulk("late"));
        return undefined;
      }).start();
      const redis = createClient(fake.url, noRetryOptions());
      try {
        assert.equal(await redis.ping(), "PONG");
        const get = redis.get("k");
        await waitFor(() => answer !== undefined, 5_000);
        let closed = false;
        const closing = redis.close().then(() => closed = true);
        await sleep(50);
        assert.equal(closed, false, "close() waits for the GET in flight");
        answer!();
        assert.equal(await get, "late");
        await closing;
        await waitFor(() => fake.ends.length === 1, 5_000);
        assert.deepEqual(fake.ends, ["fin"]);
        assert.deepEqual(seen, ["PING", "GET"]);
      } finally {
        await redis.close(200);
        await fake.stop();
      }
    },
  );

  test("Client reads replies dripped one byte at a time", T, async () => {
    const value = "drip-" + "é".repeat(20);
    const fake = await new ScriptedServer((args, socket) => {
      const reply = args[0] === "GET" ? bulk(value) : "+PONG\r\n";
      const bytes = new TextEncoder().encode(reply);
      void (async () => {
        for (const byte of bytes) {
          if (socket.destroyed) return;
          socket.write(new Uint8Array([byte]));
          await sleep(1);
        }
      })();
      return undefined;
    }).start();
    const redis = createClient(fake.url, noRetryOptions());
    try {
      assert.equal(await redis.get("k"), value);
      assert.equal(await redis.ping(), "PONG");
    } finally {
      await redis.close(500);
      await fake.stop();
    }
  });

  test(
    "Client retries a GET whose reply was truncated by a close, and rejects an INCR as maybe applied",
    T,
    async () => {
      const fake = await new ScriptedServer((args, socket, connection) => {
        if (connection === 1 && args[0] !== "PING") {
          socket.end("$10\r\nhel");
          return undefined;
        }
        return args[0] === "GET"
          ? bulk("hello1234!")
          : args[0] === "INCR"
          ? ":1\r\n"
          : "+PONG\r\n";
      }).start();
      const redis = createClient(fake.url, { retry: () => 10 });
      try {
        await redis.ping();
        assert.equal(await redis.get("k"), "hello1234!");
      } finally {
        await redis.close(500);
        await fake.stop();
      }
      const fake2 = await new ScriptedServer((args, socket) => {
        if (args[0] === "INCR") {
          socket.end(":");
          return undefined;
        }
        return "+PONG\r\n";
      }).start();
      const redis2 = createClient(fake2.url, { retry: () => 10 });
      try {
        await redis2.ping();
        const error = await redis2.incr("n").catch((e) => e);
        assert.ok(
          error instanceof ConnectionError && error.mayHaveBeenApplied,
          String(error),
        );
        assert.equal(fake2.connections, 1, "the INCR was not sent again");
      } finally {
        await redis2.close(500);
        await fake2.stop();
      }
    },
  );

  test(
    "Client survives a reset in the middle of a bulk string",
    T,
    async () => {
      let resets = 0;
      const fake = await new ScriptedServer((args, socket) => {
        if (args[0] === "GET" && resets === 0) {
          resets++;
          socket.write("$1000\r\n" + "x".repeat(500));
          setTimeout(() => {
            const s = socket as unknown as { resetAndDestroy?: () => void };
            if (typeof s.resetAndDestroy === "function") s.resetAndDestroy();
            else socket.destroy();
          }, 10);
          return undefined;
        }
        return args[0] === "GET" ? bulk("y".repeat(1000)) : "+PONG\r\n";
      }).start();
      const redis = createClient(fake.url, { retry: () => 10 });
      try {
        assert.equal(await redis.get("k"), "y".repeat(1000));
        assert.equal(resets, 1);
      } finally {
        await redis.close(500);
        await fake.stop();
      }
    },
  );

  test(
    "Client with commandTimeout: Infinity waits for a slow reply without arming a timer per millisecond",
    T,
    async () => {
      // The server answers GET 400 ms late. Before the fix the reply queue
      // armed setTimeout(fn, Infinity), which runtimes run at once (with a
      // TimeoutOverflowWarning on Node and Bun), again and again.
      const fake = await new ScriptedServer((args, socket) => {
        if (args[0] !== "GET") return "+PONG\r\n";
        setTimeout(() => socket.write(bulk("late")), 400);
      }).start();
      const warnings: string[] = [];
      const onWarning = (warning: Error) => warnings.push(warning.name);
      process.on("warning", onWarning);
      const redis = createClient(fake.url, {
        commandTimeout: Infinity,
        ...noRetryOptions(),
      });
      try {
        assert.equal(await redis.ping(), "PONG");
        const started = Date.now();
        assert.equal(await redis.get("k"), "late");
        assert.ok(Date.now() - started >= 350, "the reply came late");
        await sleep(20);
        assert.deepEqual(
          warnings.filter((name) => name === "TimeoutOverflowWarning"),
          [],
        );
      } finally {
        process.off("warning", onWarning);
        await redis.close(200);
        await fake.stop();
      }
    },
  );
});
