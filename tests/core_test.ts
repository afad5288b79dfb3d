/**
 * The core entry (`@respool/redis/core`) against a real redis-server:
 * `send()`, `run()` with commands built by the families, pipelines, leases
 * (leak detection included), the safety rules of the shared connections,
 * the options it refuses, stats, events and closing.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  blockingLists,
  ClosedError,
  type CoreClient,
  CoreLease,
  createClient,
  hashes,
  keys,
  LeaseReleasedError,
  lists,
  ReplyError,
  server as serverCommands,
  sets,
  sortedSets,
  strings,
  TimeoutError,
} from "../core.ts";
import * as core from "../core.ts";
import { createClient as createFullClient } from "../mod.ts";
import { commands } from "../src/commands/table.ts";
import { allCommandSpecs } from "../src/commands/registry.ts";
import { commandFacts, needsCare } from "../src/commands/_facts.ts";
import { type RedisServer, startRedis } from "./_redis.ts";
import { REDIS_VERSION } from "../src/commands/_registry_data.ts";
import {
  readServerCommands,
  renderFactsModule,
} from "../scripts/_registry_table.ts";
import { forceGc, sleep, waitFor } from "./_util.ts";

const T = { timeout: 30_000 };

describe("CoreClient against a real redis-server", () => {
  let server: RedisServer;
  let redis: CoreClient;

  before(async () => {
    server = await startRedis();
    redis = createClient(server.url);
  });

  after(async () => {
    await redis.close();
    await server.stop();
  });

  test(
    "CoreClient.send() sends any command, with bytes and flat replies",
    T,
    async () => {
      assert.equal(await redis.send(["SET", "core:a", "héllo"]), "OK");
      assert.equal(await redis.send(["GET", "core:a"]), "héllo");
      const raw = await redis.send(["GET", "core:a"], { bytes: true });
      assert.ok(raw instanceof Uint8Array);
      assert.equal(new TextDecoder().decode(raw), "héllo");
      await redis.send(["HSET", "core:h", "f", "v"]);
      assert.ok((await redis.send(["HGETALL", "core:h"])) instanceof Map);
      assert.deepEqual(
        await redis.send(["HGETALL", "core:h"], { flat: true }),
        ["f", "v"],
      );
      await assert.rejects(
        redis.send("GET" as unknown as string[]),
        (error: Error) =>
          error instanceof TypeError &&
          /args must be an array/.test(error.message),
      );
      await assert.rejects(redis.send(["NOSUCHCOMMAND"]), ReplyError);
    },
  );

  test(
    "CoreClient.run() runs commands built by the families, typed",
    T,
    async () => {
      assert.equal(await redis.run(strings.set("core:n", 41)), "OK");
      const n: number = await redis.run(strings.incr("core:n"));
      assert.equal(n, 42);
      assert.equal(await redis.run(strings.get("core:missing")), null);
      assert.equal(
        await redis.run(hashes.hset("core:user", { name: "Ada", born: 1815 })),
        2,
      );
      assert.deepEqual(await redis.run(hashes.hgetall("core:user")), {
        name: "Ada",
        born: "1815",
      });
      await redis.run(lists.rpush("core:list", "a", "b", "c"));
      assert.deepEqual(await redis.run(lists.lrange("core:list", 0, -1)), [
        "a",
        "b",
        "c",
      ]);
      assert.equal(await redis.run(sets.sadd("core:set", "x", "y", "x")), 2);
      assert.equal(await redis.run(sets.sismember("core:set", "y")), true);
      await redis.run(sortedSets.zadd("core:z", [{ member: "m", score: 1.5 }]));
      assert.equal(await redis.run(sortedSets.zscore("core:z", "m")), 1.5);
      assert.equal(await redis.run(keys.expire("core:n", 60)), true);
      assert.equal(await redis.run(serverCommands.ping()), "PONG");
      await assert.rejects(
        redis.run(strings.get("core:n"), { timeout: 0 }),
        RangeError,
      );
      // A server error rejects with the ReplyError; misuse with a TypeError.
      await redis.run(strings.set("core:text", "not a number"));
      await assert.rejects(redis.run(strings.incr("core:text")), ReplyError);
      for (
        const bad of [undefined, null, ["GET", "k"], { args: ["GET", "k"] }]
      ) {
        await assert.rejects(
          redis.run(bad as unknown as ReturnType<typeof strings.get>),
          (error: Error) =>
            error instanceof TypeError &&
            /must be built by a command family/.test(error.message),
        );
      }
      assert.throws(() => strings.incrby("k", 1.5), TypeError);
    },
  );

  test(
    "CoreClient refuses commands that change connection state on its shared connections",
    T,
    async () => {
      for (
        const args of [["SELECT", 1], ["WATCH", "k"], ["MULTI"], [
          "SUBSCRIBE",
          "c",
        ]]
      ) {
        await assert.rejects(
          redis.send(args),
          (error: Error) =>
            error instanceof TypeError &&
            /^Cannot send \w+ on the shared connections as /.test(
              error.message,
            ),
          String(args[0]),
        );
      }
      // Nothing was sent: the shared connection is still on db 0.
      assert.equal(await redis.send(["GET", "core:a"]), "héllo");
    },
  );

  test(
    "CoreClient.run() runs a blocking command on a lease of its own, with its timeout",
    T,
    async () => {
      await redis.send(["DEL", "core:jobs"]);
      const popped = redis.run(blockingLists.blpop("core:jobs", 5));
      await sleep(50);
      // The shared connections are not blocked meanwhile.
      assert.equal(await redis.run(serverCommands.ping()), "PONG");
      assert.equal(redis.stats().leased, 1);
      await redis.run(lists.rpush("core:jobs", "job-1"));
      assert.deepEqual(await popped, { key: "core:jobs", element: "job-1" });
      await waitFor(() => redis.stats().leased === 0, 2_000);
      // Its own timeout ends the wait on the server, and nothing is taken.
      const started = Date.now();
      await assert.rejects(
        redis.run(blockingLists.blpop("core:jobs", 0), { timeout: 200 }),
        TimeoutError,
      );
      assert.ok(Date.now() - started < 2_000);
      await redis.run(lists.rpush("core:jobs", "job-2"));
      assert.deepEqual(await redis.run(lists.lrange("core:jobs", 0, -1)), [
        "job-2",
      ]);
    },
  );

  test(
    "CorePipeline sends raw and typed commands in one round trip, results in order",
    T,
    async () => {
      await redis.send(["DEL", "core:p"]);
      const pipeline = redis.pipeline()
        .add(strings.set("core:p", "1"))
        .add(strings.incr("core:p"))
        .send(["INCRBY", "core:p", 10])
        .add(hashes.hincrby("core:ph", "f", 2))
        .add(strings.get("core:p"));
      assert.equal(pipeline.length, 5);
      const [ok, n, raw, f, text] = await pipeline.exec();
      assert.equal(ok, "OK");
      assert.equal(n, 2);
      assert.equal(raw, 12);
      assert.equal(f, 2);
      assert.equal(text, "12");
      // A refused command holds its ReplyError; the others their results.
      const [failed, after] = await redis.pipeline()
        .add(strings.incr("core:text"))
        .add(strings.get("core:p"))
        .exec();
      assert.ok(failed instanceof ReplyError);
      assert.equal(after, "12");
      assert.deepEqual(await redis.pipeline().exec(), []);
      // Refused when queued: connection state on the shared connections,
      // blocking commands anywhere, and a second exec().
      assert.throws(() => redis.pipeline().send(["SELECT", 1]), TypeError);
      assert.throws(
        () => redis.pipeline().add(blockingLists.blpop("core:jobs", 1)),
        /as it blocks/,
      );
      assert.throws(
        () => redis.pipeline().add({ args: "GET" } as never),
        /must be built by a command family/,
      );
      const done = redis.pipeline().send(["PING"]);
      await done.exec();
      assert.throws(() => done.exec(), TypeError);
      assert.throws(() => redis.pipeline().exec({ timeout: 0 }), RangeError);
    },
  );

  test(
    "CoreClient.acquire() lends a lease for stateful work, reset on release",
    T,
    async () => {
      {
        await using lease = await redis.acquire({ timeout: 1_000 });
        assert.ok(lease instanceof CoreLease);
        assert.equal(redis.stats().leased, 1);
        assert.equal(await lease.send(["SELECT", 3]), "OK");
        await lease.run(strings.set("core:db3", "in db 3"));
        assert.equal(await lease.run(strings.get("core:db3")), "in db 3");
        // WATCH, MULTI and EXEC on the lease: queued commands answer QUEUED.
        await lease.send(["WATCH", "core:db3"]);
        await lease.send(["MULTI"]);
        assert.equal(await lease.run(strings.incr("core:counter")), "QUEUED");
        assert.deepEqual(await lease.send(["EXEC"]), [1]);
        const [one, two] = await lease.pipeline()
          .add(strings.incr("core:counter"))
          .send(["SELECT", 4])
          .exec();
        assert.equal(one, 2);
        assert.equal(two, "OK");
        await assert.rejects(lease.send(["SUBSCRIBE", "c"]), TypeError);
      }
      assert.equal(redis.stats().leased, 0);
      // Reset to db 0 on release: the keys of db 3 are not here.
      assert.equal(await redis.run(strings.get("core:db3")), null);
      const lease = await redis.acquire();
      assert.equal(lease.protocol, 3);
      await lease.release();
      await lease.release();
      assert.equal(lease.released, true);
      await assert.rejects(lease.send(["PING"]), LeaseReleasedError);
      await assert.rejects(lease.run(strings.get("k")), LeaseReleasedError);
      lease.destroy();
    },
  );

  test(
    "CoreClient.acquire() waits for a free connection up to its timeout",
    T,
    async () => {
      await using small = createClient(server.url, {
        pool: { max: 1, acquireTimeout: 100 },
      });
      const held = await small.acquire();
      await assert.rejects(small.acquire(), { code: "POOL_TIMEOUT" });
      const waiting = small.acquire({ timeout: 2_000 });
      await held.release();
      await (await waiting).release();
    },
  );
});

describe("CoreClient leases, stats, events and options", () => {
  let server: RedisServer;

  before(async () => {
    server = await startRedis();
  });

  after(async () => {
    await server.stop();
  });

  test(
    "CoreClient reports, counts and reclaims a leaked lease with its stack",
    T,
    async () => {
      await using redis = createClient(server.url, {
        pool: { max: 3, maxLeases: 2, leakDetection: "always" },
      });
      const leaks: { stack: string; heldMs: number }[] = [];
      redis.addEventListener("leak", (event) => leaks.push(event.detail));
      assert.equal(redis.leakTracking, true);
      await leakCoreLeases(redis, 2);
      await waitFor(async () => {
        await forceGc();
        return leaks.length === 2;
      }, 10_000);
      assert.equal(redis.stats().leaks, 2);
      assert.equal(redis.stats().leased, 0);
      for (const leak of leaks) {
        assert.match(leak.stack, /leakCoreLeases/);
        assert.match(leak.stack, /core_test\.ts/);
      }
      // Both slots are free again.
      const leases = await Promise.all([redis.acquire(), redis.acquire()]);
      await Promise.all(leases.map((lease) => lease.release()));
    },
  );

  test(
    "CoreClient.stats() and events follow the pool; close() ends it",
    T,
    async () => {
      const redis = createClient(server.url, { pool: { max: 2 } });
      const events: string[] = [];
      for (const type of ["connect", "ready", "close"] as const) {
        redis.addEventListener(type, () => events.push(type));
      }
      const none = () => events.push("removed");
      redis.addEventListener("error", none);
      redis.removeEventListener("error", none);
      assert.equal(redis.stats().total, 0, "nothing opens before a command");
      await redis.connect();
      assert.equal(redis.stats().total, 1);
      await Promise.all(
        Array.from(
          { length: 20 },
          (_, i) => redis.send(["SET", `core:s${i}`, i]),
        ),
      );
      const stats = redis.stats();
      assert.equal(stats.leased, 0);
      assert.equal(stats.waiting, 0);
      assert.equal(stats.inFlight, 0);
      assert.ok(stats.created >= 1);
      await redis.close();
      assert.deepEqual(events, ["connect", "ready", "close"]);
      assert.equal(redis.stats().total, 0);
      await assert.rejects(redis.send(["PING"]), ClosedError);
      await assert.rejects(redis.acquire(), ClosedError);
      await redis.close();
      {
        await using disposed = createClient(server.url);
        await disposed.run(serverCommands.ping());
      }
      const destroyed = createClient(server.url);
      await destroyed.connect();
      destroyed.destroy();
      await assert.rejects(destroyed.send(["PING"]), ClosedError);
    },
  );

  test(
    "CoreClient works under RESP2 with the same typed replies",
    T,
    async () => {
      await using redis = createClient(server.url, { protocol: 2 });
      await redis.run(hashes.hset("core:r2", { a: "1" }));
      assert.deepEqual(await redis.run(hashes.hgetall("core:r2")), { a: "1" });
      const lease = await redis.acquire();
      assert.equal(lease.protocol, 2);
      await lease.release();
    },
  );

  test("createClient() of the core refuses the full client's options by name", () => {
    for (
      const [name, options] of [
        ["cache", { cache: true }],
        ["keyPrefix", { keyPrefix: "app:" }],
        ["tracer", { tracer: {} }],
        ["sentinel", { sentinel: { name: "m", nodes: ["redis://x"] } }],
      ] as const
    ) {
      assert.throws(
        () => createClient(server.url, options as never),
        {
          name: "TypeError",
          message:
            `Cannot create the client as ${name} is an option of the full client: import createClient from "@respool/redis" instead of "@respool/redis/core"`,
        },
      );
    }
    // An unknown key is refused with the known ones listed.
    assert.throws(
      () => createClient({ comandTimeout: 5 } as never),
      /^TypeError: Cannot create the client as comandTimeout is not an option \(known: host, port, .*, limits\)$/,
    );
    assert.throws(
      () => createClient({ pool: { size: 2 } } as never),
      /pool\.size is not an option \(known: max, /,
    );
    assert.throws(() => createClient({ port: 0 }), RangeError);
    assert.throws(() => createClient(42 as never), TypeError);
    // The full client still names the nearest option.
    assert.throws(
      () => createFullClient({ comandTimeout: 5 } as never),
      /did you mean commandTimeout\?$/,
    );
  });
});

describe("The core's command facts and families", () => {
  test(
    "renderFactsModule() reproduces the committed src/commands/_facts_data.ts",
    T,
    async () => {
      const server = await startRedis();
      try {
        await using redis = createFullClient(server.url);
        const { command, docs, version } = await readServerCommands(redis);
        assert.equal(version, REDIS_VERSION, "the test server's version");
        const committed = readFileSync(
          fileURLToPath(
            new URL("../src/commands/_facts_data.ts", import.meta.url).href,
          ),
          "utf8",
        );
        assert.equal(renderFactsModule(command, docs, version), committed);
      } finally {
        await server.stop();
      }
    },
  );

  test("commandFacts() agrees with the registry on every command", () => {
    let listed = 0;
    for (const spec of allCommandSpecs()) {
      const facts = commandFacts(spec.name.split(" "));
      if (spec.retrySafe || spec.blocking || spec.effect !== undefined) {
        listed++;
        assert.deepEqual(facts, {
          name: spec.name,
          write: spec.write,
          blocking: spec.blocking,
          retrySafe: spec.retrySafe,
          effect: spec.effect,
        }, spec.name);
      } else if (facts !== undefined) {
        // Listed without a fact: a container of subcommands that have one.
        assert.ok(!spec.name.includes(" "), spec.name);
        assert.deepEqual(
          [facts.name, facts.blocking, facts.retrySafe, facts.effect],
          [spec.name, false, false, undefined],
        );
      }
    }
    assert.ok(listed > 100, `${listed} commands with facts`);
    assert.equal(commandFacts(["NOSUCHCOMMAND"]), undefined);
    assert.equal(commandFacts(["CLIENT", "NOSUCH"]), undefined);
    assert.equal(commandFacts(["select"])?.effect, "select");
    assert.equal(
      commandFacts([new TextEncoder().encode("Client"), "reply"])?.effect,
      "replymode",
    );
  });

  test("needsCare() is true for every spelling of a command with an effect or a block, false for the others", () => {
    for (const spec of allCommandSpecs()) {
      if (spec.effect === undefined && !spec.blocking) continue;
      const [top, sub] = spec.name.split(" ");
      const mixed = top[0] + top.slice(1).toLowerCase();
      for (const name of [top, top.toLowerCase(), mixed]) {
        const args = sub === undefined ? [name] : [name, sub];
        if (name === mixed && !/[A-Z].*[a-z]/.test(mixed)) continue;
        assert.equal(needsCare(args), true, args.join(" "));
      }
      assert.equal(needsCare([new TextEncoder().encode(top)]), true);
    }
    for (const plain of ["GET", "set", "HSET", "incr", "NOSUCHCOMMAND"]) {
      assert.equal(needsCare([plain, "k"]), false, plain);
    }
    // And false for every other command: none is sent the slow way.
    const careful = new Set(
      allCommandSpecs()
        .filter((spec) => spec.effect !== undefined || spec.blocking)
        .map((spec) => spec.name.split(" ")[0]),
    );
    for (const spec of allCommandSpecs()) {
      const top = spec.name.split(" ")[0];
      if (careful.has(top)) continue;
      assert.equal(needsCare([top]), false, top);
      assert.equal(needsCare([top.toLowerCase()]), false, top);
    }
  });

  test("Each family's builders are the full client's builders", () => {
    const families = Object.entries(core).filter(([name]) =>
      /^[a-z]/.test(name) &&
      !["createClient", "constantBackoff", "exponentialBackoff", "noRetry"]
        .includes(name)
    );
    assert.equal(families.length, 21);
    const seen = new Set<string>();
    for (const [family, builders] of families) {
      const prototype = Object.getPrototypeOf(builders);
      for (const name of Object.getOwnPropertyNames(prototype)) {
        if (name === "constructor") continue;
        assert.equal(
          (builders as unknown as Record<string, unknown>)[name],
          (commands as unknown as Record<string, unknown>)[name],
          `${family}.${name}`,
        );
        seen.add(name);
      }
    }
    assert.deepEqual([...seen].sort(), Object.keys(commands).sort());
  });
});

async function leakCoreLeases(redis: CoreClient, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const lease = await redis.acquire();
    await lease.send(["PING"]);
  }
}
