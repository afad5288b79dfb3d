import { after, before, describe, test } from "node:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import {
  type Client,
  ClosedError,
  createClient,
  type Lease,
  PoolTimeoutError,
  RedisError,
} from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";
import { forceGc, sleep, waitFor } from "./_util.ts";

const T = { timeout: 30_000 };

/** Connections the server sees from clients named `name`. */
async function serverConnections(admin: Client, name: string): Promise<number> {
  const list = await admin.send(["CLIENT", "LIST"]) as string;
  return list.split("\n").filter((line) => line.includes(` name=${name} `))
    .length;
}

describe("Pool leases against a real redis-server", () => {
  let server: RedisServer;
  let admin: Client;

  before(async () => {
    server = await startRedis();
    admin = createClient(server.url, { name: "admin" });
  });

  after(async () => {
    await admin.close();
    await server.stop();
  });

  test(
    "Lease is released by await using on normal exit and on throw",
    T,
    async () => {
      const redis = createClient(server.url, { pool: { max: 1 } });
      try {
        let leaked: Lease | undefined;
        {
          await using lease = await redis.acquire();
          leaked = lease;
          assert.equal(redis.stats().leased, 1);
          await lease.set("pool:a", "1");
        }
        assert.equal(redis.stats().leased, 0);
        assert.equal(leaked.released, true);
        await assert.rejects(async () => {
          await using lease = await redis.acquire();
          await lease.get("pool:a");
          throw new Error("boom");
        }, /boom/);
        assert.equal(redis.stats().leased, 0);
        // With max 1, a new lease can only come if the old one was released.
        await using again = await redis.acquire({ timeout: 500 });
        assert.equal(await again.get("pool:a"), "1");
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Lease throws LEASE_RELEASED when used after release, and a second release is a no-op",
    T,
    async () => {
      const redis = createClient(server.url);
      try {
        const lease = await redis.acquire();
        await lease.release();
        await lease.release();
        lease.destroy();
        const error = await lease.get("x").catch((e) => e);
        assert.ok(error instanceof RedisError);
        assert.equal(error.code, "LEASE_RELEASED");
        await assert.rejects(
          lease.send(["PING"]),
          (e: RedisError) => e.code === "LEASE_RELEASED",
        );
        assert.equal(redis.stats().leased, 0);
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Lease.release() hands the next user a clean connection after MULTI, WATCH and SELECT",
    T,
    async () => {
      const redis = createClient(server.url, { pool: { max: 1 } });
      try {
        let id: unknown;
        {
          await using lease = await redis.acquire();
          id = await lease.send(["CLIENT", "ID"]);
          await lease.send(["SELECT", 3]);
          await lease.set("pool:db3", "three");
          await lease.send(["WATCH", "pool:watched"]);
          await lease.send(["MULTI"]);
          assert.equal(await lease.send(["SET", "pool:queued", "x"]), "QUEUED");
        }
        await using lease = await redis.acquire();
        assert.equal(
          await lease.send(["CLIENT", "ID"]),
          id,
          "the same connection was reused",
        );
        // Not in MULTI any more: the command runs instead of being QUEUED.
        assert.equal(await lease.get("pool:db3"), null, "back on db 0");
        assert.equal(
          await admin.get("pool:queued"),
          null,
          "the queued SET was discarded",
        );
        const info = await lease.send(["CLIENT", "INFO"]) as string;
        assert.match(info, / db=0 /);
        assert.match(info, / flags=N /);
        // Not watching: a change by someone else does not abort the EXEC.
        await admin.set("pool:watched", "changed");
        await lease.send(["MULTI"]);
        await lease.send(["INCR", "pool:after"]);
        assert.deepEqual(await lease.send(["EXEC"]), [1]);
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Lease.release() destroys a connection left with state it cannot undo instead of reusing it",
    T,
    async () => {
      const redis = createClient(server.url, { pool: { max: 1 } });
      try {
        const first = await redis.acquire();
        const id = await first.send(["CLIENT", "ID"]);
        await first.send(["CLIENT", "NO-EVICT", "ON"]);
        await first.release();
        const second = await redis.acquire();
        assert.notEqual(await second.send(["CLIENT", "ID"]), id);
        await second.release();
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Client.acquire() never exceeds max under 200 concurrent acquirers",
    T,
    async () => {
      const max = 5;
      const redis = createClient(server.url, {
        name: "bounded",
        pool: { max, acquireTimeout: 10_000 },
      });
      try {
        let peak = 0;
        await Promise.all(Array.from({ length: 200 }, async (_, i) => {
          await using lease = await redis.acquire();
          await lease.set(`pool:c${i}`, i);
          peak = Math.max(peak, redis.stats().total);
          if (i % 20 === 0) {
            assert.ok(await serverConnections(admin, "bounded") <= max);
          }
        }));
        assert.ok(peak <= max, `peak ${peak}`);
        assert.ok(await serverConnections(admin, "bounded") <= max);
        assert.equal(redis.stats().waiting, 0);
      } finally {
        await redis.close();
      }
    },
  );

  test("Client.acquire() serves waiters in FIFO order", T, async () => {
    const redis = createClient(server.url, { pool: { max: 1 } });
    try {
      const held = await redis.acquire();
      const order: number[] = [];
      const waiters = Array.from(
        { length: 5 },
        (_, i) =>
          redis.acquire().then(async (lease) => {
            order.push(i);
            await lease.release();
          }),
      );
      await sleep(20);
      assert.equal(redis.stats().waiting, 5);
      await held.release();
      await Promise.all(waiters);
      assert.deepEqual(order, [0, 1, 2, 3, 4]);
    } finally {
      await redis.close();
    }
  });

  test(
    "Client.acquire() rejects after acquireTimeout when full, saying how long and how busy",
    T,
    async () => {
      const redis = createClient(server.url, {
        pool: { max: 3, acquireTimeout: 100 },
      });
      try {
        const a = await redis.acquire();
        const b = await redis.acquire();
        const started = Date.now();
        const error = await redis.acquire().catch((e) => e);
        const waited = Date.now() - started;
        assert.ok(error instanceof PoolTimeoutError, String(error));
        assert.equal(error.code, "POOL_TIMEOUT");
        assert.ok(waited >= 95 && waited < 2_000, `waited ${waited}`);
        assert.match(error.message, /within \d+ ms/);
        assert.match(error.message, /all 2 connections/);
        assert.match(error.message, /2 leased/);
        assert.equal(redis.stats().waiting, 0);
        const perCall = await redis.acquire({ timeout: 10 }).catch((e) => e);
        assert.ok(perCall instanceof PoolTimeoutError);
        await a.release();
        await b.release();
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Client.acquire() rejects with the signal's reason when aborted and drops the waiter",
    T,
    async () => {
      const redis = createClient(server.url, { pool: { max: 1 } });
      try {
        const held = await redis.acquire();
        const controller = new AbortController();
        const waiting = redis.acquire({ signal: controller.signal });
        await sleep(10);
        assert.equal(redis.stats().waiting, 1);
        const reason = new Error("user went away");
        controller.abort(reason);
        assert.equal(await waiting.catch((e) => e), reason);
        assert.equal(redis.stats().waiting, 0);
        const already = await redis.acquire({
          signal: AbortSignal.abort("early"),
        }).catch((e) => e);
        assert.equal(already, "early");
        // The slot goes to the next real waiter, not the aborted one.
        const next = redis.acquire();
        await held.release();
        await (await next).release();
      } finally {
        await redis.close();
      }
    },
  );

  test("Client.close() rejects waiters with ClosedError", T, async () => {
    const redis = createClient(server.url, { pool: { max: 1 } });
    const held = await redis.acquire();
    const waiting = redis.acquire();
    const closing = redis.close(1_000);
    assert.ok((await waiting.catch((e) => e)) instanceof ClosedError);
    await held.release();
    await closing;
    assert.ok((await redis.acquire().catch((e) => e)) instanceof ClosedError);
    assert.equal(redis.stats().total, 0);
  });

  for (const leakDetection of ["always", true, "sample"] as const) {
    test(
      `Pool reports, counts and reclaims 100 leaked leases with leakDetection ${
        JSON.stringify(leakDetection)
      }`,
      T,
      async () => {
        const max = 100;
        const redis = createClient(server.url, {
          pool: { max, maxLeases: max, acquireTimeout: 2_000, leakDetection },
        });
        const leaks: { stack: string; heldMs: number }[] = [];
        redis.addEventListener("leak", (event) => leaks.push(event.detail));
        try {
          assert.equal(redis.leakTracking, true);
          await leakLeases(redis, 100);
          await waitFor(async () => {
            await forceGc();
            return leaks.length === 100;
          }, 10_000);
          assert.equal(redis.stats().leaks, 100);
          assert.equal(redis.stats().leased, 0);
          let withStack = 0;
          for (const leak of leaks) {
            assert.ok(leak.heldMs >= 0);
            if (leak.stack.startsWith("acquire stack not recorded")) {
              // Not sampled, and taken before a leak without a stack was
              // reported (which makes the pool record every stack).
              assert.equal(leakDetection, "sample");
              assert.match(leak.stack, /pool\.leakDetection: "sample"/);
              continue;
            }
            withStack++;
            assert.match(leak.stack, /leakLeases/);
            assert.match(leak.stack, /pool_test\.ts/);
            // It starts at the caller: respool's own frames are left out.
            assert.doesNotMatch(leak.stack, /src[\\/](pool|client)/);
          }
          if (leakDetection === "sample") {
            // The pool's first acquire is sampled, its second is not (more
            // may carry one if a leak was reported while they were taken).
            assert.ok(withStack >= 1 && withStack < 100, `${withStack}`);
          } else assert.equal(withStack, 100);
          // Full capacity again: max leases at once.
          const leases = await Promise.all(
            Array.from(
              { length: max },
              () => redis.acquire({ timeout: 2_000 }),
            ),
          );
          assert.equal(redis.stats().leased, max);
          await Promise.all(leases.map((lease) => lease.release()));
        } finally {
          await redis.close();
        }
      },
    );
  }

  test(
    'Pool with leakDetection "sample" reports an unsampled leak without its stack, then gives the next leak from that line its stack',
    T,
    async () => {
      // maxLeases 1: a second lease can only come from a reclaimed slot.
      const redis = createClient(server.url, {
        pool: { max: 2, maxLeases: 1, acquireTimeout: 1_000 },
      });
      const leaks: { stack: string; heldMs: number }[] = [];
      redis.addEventListener("leak", (event) => leaks.push(event.detail));
      const leaked = async (count: number) => {
        await waitFor(async () => {
          await forceGc();
          return leaks.length === count;
        }, 10_000);
        assert.equal(redis.stats().leaks, count);
        assert.equal(redis.stats().leased, 0);
        // Reclaimed: the one connection leases may hold is free again.
        await (await redis.acquire()).release();
      };
      try {
        // The pool's first acquire records its stack (the sample).
        await leakOne(redis);
        await leaked(1);
        assert.match(leaks[0].stack, /leakOne/);
        // The next acquires are not sampled, and that one leaks.
        await leakOne(redis);
        await leaked(2);
        assert.match(
          leaks[1].stack,
          /^acquire stack not recorded \(pool\.leakDetection: "sample" records 1 acquire in \d+\); this pool now records every acquire's stack, so leases acquired from now on carry one when they leak$/,
        );
        assert.doesNotMatch(leaks[1].stack, /pool_test/);
        // Every acquire records its stack now: the same line leaks again.
        await leakOne(redis);
        await leaked(3);
        const site = new RegExp(
          `at (async )?leakOne \\(.*pool_test\\.ts:${LEAK_SITE}:\\d+\\)`,
        );
        assert.match(leaks[2].stack, site);
        assert.match(leaks[0].stack, site);
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Pool with leakDetection false tracks nothing: a leaked lease is neither reported nor reclaimed",
    T,
    async () => {
      const untracked = createClient(server.url, {
        pool: { leakDetection: false },
      });
      // Leaks on a tracked client at the same time show that GC ran.
      const tracked = createClient(server.url);
      const events: unknown[] = [];
      untracked.addEventListener("leak", (event) => events.push(event.detail));
      let trackedLeaks = 0;
      tracked.addEventListener("leak", () => trackedLeaks++);
      const warnings: string[] = [];
      const original = console.warn;
      console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
      try {
        assert.equal(untracked.leakTracking, false);
        await leakLeases(untracked, 2);
        await leakLeases(tracked, 2);
        await waitFor(async () => {
          await forceGc();
          return trackedLeaks === 2;
        }, 10_000);
        for (let i = 0; i < 3; i++) await forceGc();
        assert.deepEqual(events, []);
        assert.deepEqual(warnings, []);
        assert.equal(untracked.stats().leaks, 0);
        assert.equal(untracked.stats().leased, 2);
      } finally {
        console.warn = original;
        untracked.destroy();
        await tracked.close();
      }
    },
  );

  test("createClient() throws a TypeError naming pool.leakDetection for a value that is not a level", () => {
    for (const value of ["yes", "Always", "", 1, null, {}]) {
      assert.throws(
        () =>
          createClient(server.url, {
            pool: { leakDetection: value as "sample" },
          }),
        (error: Error) =>
          error instanceof TypeError &&
          /pool\.leakDetection must be "sample", "always" or false/.test(
            error.message,
          ),
        String(value),
      );
    }
  });

  test(
    "Pool warns once per acquire site on the console when nobody listens for leak",
    T,
    async () => {
      const redis = createClient(server.url, {
        pool: { max: 10, leakDetection: "always" },
      });
      const warnings: string[] = [];
      const original = console.warn;
      console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
      try {
        await leakLeases(redis, 3);
        await waitFor(async () => {
          await forceGc();
          return redis.stats().leaks === 3;
        }, 10_000);
        assert.equal(warnings.length, 1, warnings.join("\n---\n"));
        assert.match(warnings[0], /garbage-collected without release/);
        assert.match(warnings[0], /leakLeases/);
      } finally {
        console.warn = original;
        await redis.close();
      }
    },
  );

  test(
    "Pool fires longhold once for a lease held past longHoldWarning",
    T,
    async () => {
      const redis = createClient(server.url, {
        pool: { longHoldWarning: 50, leakDetection: "always" },
      });
      const events: { stack: string | undefined; heldMs: number }[] = [];
      redis.addEventListener("longhold", (event) => events.push(event.detail));
      try {
        await using lease = await redis.acquire();
        await waitFor(() => events.length > 0, 5_000);
        await sleep(100);
        assert.equal(events.length, 1);
        assert.ok(events[0].heldMs >= 50);
        assert.match(events[0].stack ?? "", /pool_test\.ts/);
        await lease.ping();
      } finally {
        await redis.close();
      }
    },
  );

  test(
    'Pool with leakDetection "sample" fires longhold without a stack for an unsampled lease, then records every stack',
    T,
    async () => {
      const redis = createClient(server.url, { pool: { longHoldWarning: 50 } });
      const events: { stack: string | undefined; heldMs: number }[] = [];
      redis.addEventListener("longhold", (event) => events.push(event.detail));
      // Holds a lease until it fires longhold, then releases it.
      const holdLong = async () => {
        const lease = await redis.acquire();
        const seen = events.length;
        await waitFor(() => events.length > seen, 5_000);
        await lease.release();
      };
      try {
        // The first acquire is the sample; the second is not.
        await (await redis.acquire()).release();
        await holdLong();
        assert.match(events[0].stack ?? "", /^acquire stack not recorded/);
        await holdLong();
        assert.match(events[1].stack ?? "", /pool_test\.ts/);
        // Held past a maintenance round, both were handed to the leak
        // tracking: released, neither is a leak once collected.
        for (let i = 0; i < 3; i++) await forceGc();
        await sleep(50);
        assert.equal(redis.stats().leaks, 0);
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Pool replaces a connection killed server-side without the caller seeing an error",
    T,
    async () => {
      const redis = createClient(server.url, {
        pool: { max: 1, healthCheckInterval: 1 },
      });
      try {
        let id: unknown;
        {
          await using lease = await redis.acquire();
          id = await lease.send(["CLIENT", "ID"]);
        }
        assert.equal(
          await admin.send(["CLIENT", "KILL", "ID", id as number]),
          1,
        );
        await sleep(20);
        await using lease = await redis.acquire();
        const newId = await lease.send(["CLIENT", "ID"]);
        assert.notEqual(newId, id);
        assert.equal(await lease.ping(), "PONG");
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Pool under 10x oversubscription keeps every waiter within its timeout and connections within max",
    T,
    async () => {
      const max = 4;
      const acquireTimeout = 300;
      const redis = createClient(server.url, {
        name: "oversub",
        pool: { max, acquireTimeout },
      });
      try {
        const deadline = Date.now() + 2_000;
        let served = 0;
        let timedOut = 0;
        let worst = 0;
        let peak = 0;
        await Promise.all(Array.from({ length: max * 10 }, async () => {
          while (Date.now() < deadline) {
            const started = Date.now();
            try {
              const lease = await redis.acquire();
              peak = Math.max(peak, redis.stats().total);
              await lease.send(["DEBUG", "SLEEP", "0.002"]);
              await lease.release();
              served++;
            } catch (error) {
              assert.ok(error instanceof PoolTimeoutError, String(error));
              timedOut++;
            }
            worst = Math.max(worst, Date.now() - started);
          }
        }));
        assert.ok(served > 0);
        assert.ok(peak <= max, `peak ${peak}`);
        assert.ok(await serverConnections(admin, "oversub") <= max);
        // A waiter never waits much past its timeout (timer slack on a busy machine).
        assert.ok(
          worst < acquireTimeout + 250,
          `worst wait ${worst} ms (served ${served}, timed out ${timedOut})`,
        );
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Pool closes idle connections above min after idleTimeout and keeps min",
    T,
    async () => {
      const redis = createClient(server.url, {
        pool: { max: 4, min: 1, idleTimeout: 50 },
      });
      try {
        const leases = await Promise.all([1, 2, 3].map(() => redis.acquire()));
        await Promise.all(leases.map((lease) => lease.release()));
        assert.equal(redis.stats().total, 3);
        await waitFor(() => redis.stats().total === 1, 5_000);
        await sleep(150);
        assert.equal(redis.stats().total, 1);
        assert.equal(await redis.ping(), "PONG");
      } finally {
        await redis.close();
      }
    },
  );

  test(
    "Several clients' pools each retire their idle connections on the shared maintenance timers, also after one of them closed",
    T,
    async () => {
      // Two with the same maintenance tick, one with another.
      const clients = [50, 50, 200].map((idleTimeout) =>
        createClient(server.url, { pool: { max: 3, min: 0, idleTimeout } })
      );
      try {
        for (const client of clients) {
          const leases = await Promise.all([
            client.acquire(),
            client.acquire(),
          ]);
          await Promise.all(leases.map((lease) => lease.release()));
          assert.equal(client.stats().total, 2);
        }
        await clients[1].close();
        await waitFor(
          () =>
            clients[0].stats().total === 0 && clients[2].stats().total === 0,
          5_000,
        );
        assert.equal(await clients[0].ping(), "PONG");
        assert.equal(clients[0].stats().total, 1);
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
    },
  );

  test(
    "Client.stats() and events report connections, leases and closing",
    T,
    async () => {
      const redis = createClient(server.url, { pool: { max: 3 } });
      const seen: string[] = [];
      for (const type of ["connect", "ready", "close"] as const) {
        redis.addEventListener(type, () => seen.push(type));
      }
      await redis.connect();
      const lease = await redis.acquire();
      const stats = redis.stats();
      assert.equal(stats.leased, 1);
      assert.ok(stats.total >= 1 && stats.total <= 3);
      assert.ok(stats.created >= 1);
      for (
        const field of [
          "total",
          "idle",
          "leased",
          "waiting",
          "inFlight",
          "created",
          "destroyed",
          "leaks",
          "timeouts",
          "reconnects",
          "retries",
        ]
      ) {
        assert.equal(
          typeof (stats as unknown as Record<string, unknown>)[field],
          "number",
          field,
        );
      }
      await lease.release();
      await redis.close();
      assert.ok(seen.includes("connect") && seen.includes("ready"));
      assert.equal(seen.at(-1), "close");
      assert.equal(redis.stats().total, 0);
      assert.equal(redis.stats().destroyed, redis.stats().created);
    },
  );

  test(
    "Client multiplexes plain commands over at most max connections",
    T,
    async () => {
      const redis = createClient(server.url, { name: "mux", pool: { max: 3 } });
      try {
        await redis.connect();
        const results = await Promise.all(
          Array.from(
            { length: 20_000 },
            (_, i) => redis.send(["ECHO", String(i)]),
          ),
        );
        results.forEach((value, i) => assert.equal(value, String(i)));
        const total = redis.stats().total;
        assert.ok(total >= 1 && total <= 3, `total ${total}`);
        assert.ok(await serverConnections(admin, "mux") <= 3);
      } finally {
        await redis.close();
      }
    },
  );
});

/** The line of the `acquire` call in {@linkcode leakOne}. */
const LEAK_SITE =
  readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n")
    .findIndex((line) => line.endsWith("// the leak site")) + 1;

/** Acquires one lease, always from the same line, and drops it. */
async function leakOne(redis: Client): Promise<void> {
  const lease = await redis.acquire(); // the leak site
  await lease.ping();
}

/** Acquires leases and drops them without release. */
async function leakLeases(redis: Client, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const lease = await redis.acquire();
    await lease.ping();
  }
}
