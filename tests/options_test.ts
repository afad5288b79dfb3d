import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type ClientOptions,
  type ClusterOptions,
  createClient,
  parseRedisUrl,
} from "../mod.ts";
import { CLIENT_OPTION_KEYS, resolveOptions } from "../src/options.ts";
import { resolveClusterOptions } from "../src/cluster/options.ts";
import { subscribeArgs } from "../src/pubsub/types.ts";

describe("parseRedisUrl()", () => {
  test("parseRedisUrl() reads host, port, credentials and db", () => {
    assert.deepEqual(
      parseRedisUrl("redis://user:pa%3Ass%40word@cache.local:6380/3"),
      {
        username: "user",
        password: "pa:ss@word",
        host: "cache.local",
        port: 6380,
        db: 3,
      },
    );
  });

  test("parseRedisUrl() turns TLS on for rediss:// and strips IPv6 brackets", () => {
    assert.deepEqual(parseRedisUrl("rediss://[::1]:6390"), {
      tls: true,
      host: "::1",
      port: 6390,
    });
  });

  test("parseRedisUrl() reads a unix socket path and query settings", () => {
    assert.deepEqual(
      parseRedisUrl("unix:///run/redis%20x.sock?db=4&password=p%26w"),
      {
        path: "/run/redis x.sock",
        db: 4,
        password: "p&w",
      },
    );
  });

  test("parseRedisUrl() accepts a password without a user name", () => {
    assert.deepEqual(parseRedisUrl("redis://:only-pass@h"), {
      password: "only-pass",
      host: "h",
    });
  });

  test("parseRedisUrl() rejects other schemes, bad databases and bad encodings with TypeError", () => {
    assert.throws(() => parseRedisUrl("http://h"), TypeError);
    assert.throws(() => parseRedisUrl("not a url"), TypeError);
    assert.throws(() => parseRedisUrl("redis://h/abc"), TypeError);
    assert.throws(() => parseRedisUrl("redis://u:%E0%A4%A@h"), TypeError);
  });

  test("parseRedisUrl() errors never contain the password", () => {
    const error = (() => {
      try {
        parseRedisUrl("redis://u:%zzsecret@h/x");
      } catch (e) {
        return e as Error;
      }
    })();
    assert.ok(error instanceof TypeError);
    assert.ok(!error.message.includes("secret"));
  });
});

describe("resolveOptions()", () => {
  test("resolveOptions() fills the documented defaults", () => {
    const o = resolveOptions(undefined, {});
    assert.equal(o.host, "127.0.0.1");
    assert.equal(o.port, 6379);
    assert.equal(o.db, 0);
    assert.equal(o.protocol, 3);
    assert.equal(o.connectTimeout, 5_000);
    assert.equal(o.commandTimeout, 10_000);
    assert.equal(o.maxQueued, 10_000);
    assert.deepEqual(o.pool, {
      max: 10,
      min: 0,
      maxLeases: 9,
      acquireTimeout: 5_000,
      idleTimeout: 30_000,
      maxLifetime: 0,
      healthCheckInterval: 30_000,
      leakDetection: "sample",
      longHoldWarning: 60_000,
    });
  });

  test("resolveOptions() lets options win over the URL", () => {
    const o = resolveOptions("redis://u:p@h:1/2", {
      host: "other",
      db: 5,
      password: "q",
    });
    assert.equal(o.host, "other");
    assert.equal(o.port, 1);
    assert.equal(o.db, 5);
    assert.equal(o.username, "u");
    assert.equal(o.password, "q");
  });

  test("createClient() throws RangeError or TypeError naming the bad option", () => {
    assert.throws(
      () => createClient({ port: 70_000 }),
      (e: Error) => e instanceof RangeError && /port/.test(e.message),
    );
    assert.throws(
      () => createClient({ pool: { max: 0 } }),
      (e: Error) => e instanceof RangeError && /pool\.max/.test(e.message),
    );
    assert.throws(
      () => createClient({ pool: { max: 2, min: 3 } }),
      (e: Error) => e instanceof RangeError && /pool\.min/.test(e.message),
    );
    assert.throws(
      () => createClient({ commandTimeout: 1.5 }),
      (e: Error) => e instanceof TypeError && /commandTimeout/.test(e.message),
    );
    assert.throws(
      () => createClient({ protocol: 4 as 3 }),
      (e: Error) => e instanceof RangeError && /protocol/.test(e.message),
    );
    assert.throws(
      () => createClient({ retry: 5 as unknown as () => undefined }),
      (e: Error) => e instanceof TypeError && /retry/.test(e.message),
    );
    assert.throws(() => createClient(42 as unknown as string), TypeError);
  });

  test("resolveOptions() reserves a connection for plain commands: maxLeases is max - 1, at least 1", () => {
    assert.equal(
      resolveOptions(undefined, { pool: { max: 4 } }).pool.maxLeases,
      3,
    );
    assert.equal(
      resolveOptions(undefined, { pool: { max: 1 } }).pool.maxLeases,
      1,
    );
    assert.equal(
      resolveOptions(undefined, { pool: { max: 4, maxLeases: 4 } }).pool
        .maxLeases,
      4,
    );
    assert.throws(
      () => createClient({ pool: { max: 4, maxLeases: 5 } }),
      (e: Error) =>
        e instanceof RangeError && /pool\.maxLeases/.test(e.message),
    );
    assert.throws(
      () => createClient({ pool: { maxLeases: 0 } }),
      (e: Error) =>
        e instanceof RangeError && /pool\.maxLeases/.test(e.message),
    );
  });

  test("resolveOptions() refuses 0 for a timeout, takes Infinity for none, and 0 for maxQueued", () => {
    for (const name of ["acquireTimeout"] as const) {
      assert.throws(
        () => createClient({ pool: { [name]: 0 } }),
        (e: Error) =>
          e instanceof RangeError &&
          new RegExp(`pool\\.${name}`).test(e.message),
      );
      assert.equal(
        resolveOptions(undefined, { pool: { [name]: Infinity } }).pool[name],
        Infinity,
      );
    }
    for (const name of ["commandTimeout", "connectTimeout"] as const) {
      assert.throws(
        () => createClient({ [name]: 0 }),
        (e: Error) =>
          e instanceof RangeError && new RegExp(name).test(e.message),
      );
    }
    assert.equal(
      resolveOptions(undefined, { commandTimeout: Infinity }).commandTimeout,
      Infinity,
    );
    assert.equal(resolveOptions(undefined, { maxQueued: 0 }).maxQueued, 0);
  });

  test("createClient() refuses a user name without a password, naming the user", () => {
    assert.throws(
      () => createClient("redis://alice@127.0.0.1:6379"),
      (e: Error) =>
        e instanceof TypeError &&
        /user "alice" has no password/.test(e.message),
    );
    assert.throws(
      () => createClient({ username: "bob" }),
      (e: Error) => e instanceof TypeError && /"bob"/.test(e.message),
    );
    // An ACL user with nopass takes any password, the empty one included.
    assert.equal(
      resolveOptions(undefined, { username: "carol", password: "" }).password,
      "",
    );
  });

  test("createClient() refuses tls with a unix socket path", () => {
    assert.throws(
      () => createClient({ path: "/tmp/redis.sock", tls: true }),
      (e: Error) => e instanceof TypeError && /unix socket/.test(e.message),
    );
    assert.throws(
      () => createClient("unix:///tmp/redis.sock", { tls: {} }),
      (e: Error) => e instanceof TypeError && /tls/.test(e.message),
    );
  });
});

/** The message of the error `fn` throws, checked to be a TypeError. */
function typeErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TypeError, String(error));
    return error.message;
  }
  assert.fail("expected a TypeError");
}

describe("unknown options", () => {
  test("createClient() refuses a mistyped option, suggesting the nearest one", () => {
    assert.equal(
      // @ts-expect-error: a typo
      typeErrorOf(() => createClient({ comandTimeout: 5_000 })),
      "Cannot create the client as comandTimeout is not an option: did you mean commandTimeout?",
    );
    // A swap of two letters and a difference of case are near too.
    assert.match(
      // @ts-expect-error: a typo
      typeErrorOf(() => createClient("redis://h", { connectTiemout: 1 })),
      /connectTiemout is not an option: did you mean connectTimeout\?$/,
    );
    assert.match(
      // @ts-expect-error: a typo
      typeErrorOf(() => createClient({ MaxQueued: 1 })),
      /did you mean maxQueued\?$/,
    );
    // A name that a known one starts with, or that starts with a known one.
    assert.match(
      // @ts-expect-error: a typo
      typeErrorOf(() => createClient({ poolSize: 4 })),
      /poolSize is not an option: did you mean pool\?$/,
    );
  });

  test("createClient() refuses a mistyped option whose value is undefined", () => {
    assert.match(
      // @ts-expect-error: a typo
      typeErrorOf(() => createClient({ sentinal: undefined })),
      /sentinal is not an option: did you mean sentinel\?$/,
    );
  });

  test("createClient() lists the options when no known one is near", () => {
    assert.equal(
      // @ts-expect-error: not an option
      typeErrorOf(() => createClient({ x: 1 })),
      `Cannot create the client as x is not an option (known: ${
        Object.keys(CLIENT_OPTION_KEYS).join(", ")
      })`,
    );
    assert.match(
      // @ts-expect-error: not an option
      typeErrorOf(() => createClient({ pool: { connections: 1 } })),
      /pool\.connections is not an option \(known: max, min, maxLeases, /,
    );
    assert.match(
      // @ts-expect-error: not an option
      typeErrorOf(() => createClient({ "bad key": 1 })),
      /as \["bad key"\] is not an option \(known: /,
    );
  });

  test("createClient() refuses mistyped keys in pool, tls, limits and cache, naming their path", () => {
    const cases: [object, string, string][] = [
      [{ pool: { maxx: 2 } }, "pool.maxx", "pool.max"],
      [{ pool: { idleTimout: 1 } }, "pool.idleTimout", "pool.idleTimeout"],
      [{ tls: { servrname: "a" } }, "tls.servrname", "tls.servername"],
      [
        { tls: { rejectUnauthorised: false } },
        "tls.rejectUnauthorised",
        "tls.rejectUnauthorized",
      ],
      [{ limits: { maxDept: 8 } }, "limits.maxDept", "limits.maxDepth"],
      [{ cache: { maxEntrys: 10 } }, "cache.maxEntrys", "cache.maxEntries"],
    ];
    for (const [options, path, near] of cases) {
      assert.equal(
        typeErrorOf(() => createClient(options as ClientOptions)),
        `Cannot create the client as ${path} is not an option: did you mean ${near}?`,
      );
    }
  });

  test("createClient() refuses pool, tls and limits that are not objects", () => {
    for (
      const [name, value] of [["pool", 4], ["tls", "yes"], ["limits", null]]
    ) {
      assert.match(
        typeErrorOf(() => createClient({ [name as string]: value })),
        new RegExp(`as ${name} must be an object`),
      );
    }
    assert.throws(
      () => createClient("redis://h", 5 as unknown as ClientOptions),
      /options must be an object, got number/,
    );
  });

  test("createClient() refuses mistyped sentinel options, naming their path", () => {
    const nodes = ["127.0.0.1:26379"];
    assert.equal(
      typeErrorOf(() =>
        // @ts-expect-error: a typo
        createClient({ sentinel: { name: "m", nodes, rol: "replica" } })
      ),
      "Cannot create the client as sentinel.rol is not an option: did you mean sentinel.role?",
    );
    assert.match(
      typeErrorOf(() =>
        createClient({
          // @ts-expect-error: a typo
          sentinel: { name: "m", nodes, tls: { ca: "x", cas: ["y"] } },
        })
      ),
      /as sentinel\.tls\.cas is not an option: did you mean sentinel\.tls\.ca\?$/,
    );
  });

  test("unknown-option errors never contain a password", () => {
    const secret = "s3cret-value";
    const messages = [
      // @ts-expect-error: a typo
      typeErrorOf(() => createClient({ passwrd: secret })),
      typeErrorOf(() =>
        // @ts-expect-error: a typo
        createClient(`redis://u:${secret}@h`, { password: secret, dbb: 1 })
      ),
      typeErrorOf(() =>
        createClient({
          // @ts-expect-error: a typo
          sentinel: { name: "m", nodes: ["h:1"], pasword: secret },
        })
      ),
      typeErrorOf(() =>
        // @ts-expect-error: a typo
        resolveClusterOptions(["h:1"], { passWord: secret })
      ),
    ];
    for (const message of messages) {
      assert.match(message, /is not an option/);
      assert.ok(!message.includes(secret), message);
    }
  });

  test("resolveOptions() takes every documented option", () => {
    // host, port and path are not given with sentinel: they are below. (That
    // no declared option is missing from the known ones is checked by the
    // type checker, where they are listed.)
    const all: ClientOptions = {
      sentinel: {
        name: "m",
        nodes: ["127.0.0.1:26379"],
        username: "s",
        password: "p",
        tls: { ca: "x", servername: "s", rejectUnauthorized: true },
        role: "replica",
      },
      username: "u",
      password: "p",
      db: 1,
      tls: { ca: ["x"], servername: "s", rejectUnauthorized: false },
      protocol: 3,
      name: "n",
      connectTimeout: 1_000,
      commandTimeout: 1_000,
      maxQueued: 10,
      pool: {
        max: 4,
        min: 1,
        maxLeases: 2,
        acquireTimeout: 100,
        idleTimeout: 100,
        maxLifetime: 100,
        healthCheckInterval: 100,
        leakDetection: false,
        longHoldWarning: 100,
      },
      retry: () => undefined,
      reconnect: () => 10,
      transport: { name: "none", connect: () => Promise.reject(new Error()) },
      limits: {
        maxBulkLength: 10,
        maxDepth: 4,
        maxAggregateLength: 10,
        maxLineLength: 10,
      },
      cache: { maxEntries: 10, maxBytes: 1_000, ttl: 100 },
      keyPrefix: "app:",
    };
    const o = resolveOptions(undefined, all);
    assert.equal(o.sentinel?.role, "replica");
    assert.equal(o.pool.maxLeases, 2);
    assert.equal(o.limits.maxDepth, 4);
    assert.equal(o.cache?.ttl, 100);
    assert.equal(
      resolveOptions(undefined, { host: "h", port: 1, tls: true }).port,
      1,
    );
    assert.equal(
      resolveOptions(undefined, { path: "/s.sock" }).path,
      "/s.sock",
    );
  });
});

describe("unknown cluster options", () => {
  test("resolveClusterOptions() refuses mistyped options, naming their path", () => {
    const cases: [object, string][] = [
      [
        { readFrm: "replica" },
        "readFrm is not an option: did you mean readFrom?",
      ],
      [
        { refresh: { intervall: 1 } },
        "refresh.intervall is not an option: did you mean refresh.interval?",
      ],
      [{ pool: { mn: 1 } }, "pool.mn is not an option: did you mean pool.min?"],
      [
        { commandTimeuot: 1 },
        "commandTimeuot is not an option: did you mean commandTimeout?",
      ],
      [
        { tls: { servername: "a", ca_: "b" } },
        "tls.ca_ is not an option: did you mean tls.ca?",
      ],
    ];
    for (const [options, message] of cases) {
      assert.equal(
        typeErrorOf(() =>
          resolveClusterOptions(["h:1"], options as ClusterOptions)
        ),
        `Cannot create the cluster as ${message}`,
      );
    }
    // A cluster's node addresses come from its seeds: hots is no near miss.
    assert.match(
      // @ts-expect-error: not an option
      typeErrorOf(() => resolveClusterOptions(["h:1"], { hots: "h" })),
      /hots is not an option \(known: username, password, tls, /,
    );
  });

  test("resolveClusterOptions() leaves addressMap's keys free and takes every option", () => {
    const o = resolveClusterOptions(["h:1"], {
      readFrom: "replica",
      addressMap: { "10.0.0.1:6379": "127.0.0.1:7000", anything: "x:1" },
      maxRedirections: 3,
      refresh: { minInterval: 10, interval: 100, nodes: 2 },
      pool: { max: 2 },
      commandTimeout: 100,
    });
    assert.equal(o.addressMap("10.0.0.1:6379"), "127.0.0.1:7000");
    assert.equal(o.refreshNodes, 2);
    assert.equal(o.node.pool.max, 2);
  });
});

describe("unknown subscription and command options", () => {
  test("subscribeArgs() refuses a mistyped subscription option", () => {
    assert.equal(
      typeErrorOf(() =>
        subscribeArgs("subscribe", ["ch", { maxBufferd: 1 } as never])
      ),
      "Cannot subscribe as maxBufferd is not an option: did you mean maxBuffered?",
    );
    assert.match(
      typeErrorOf(() =>
        subscribeArgs("psubscribe", ["p*", { heartbeat: 5 } as never])
      ),
      /Cannot psubscribe as heartbeat is not an option: did you mean heartbeatInterval\?$/,
    );
    assert.deepEqual(
      subscribeArgs("subscribe", [
        "ch",
        { bytes: true, maxBuffered: 1, heartbeatInterval: 5 },
      ]).options,
      { bytes: true, maxBuffered: 1, heartbeatInterval: 5 },
    );
  });

  test("Client.subscribe() and withOptions() refuse mistyped options before any I/O", async () => {
    await using redis = createClient("redis://127.0.0.1:1", {
      retry: () => undefined,
    });
    await assert.rejects(
      // @ts-expect-error: a typo
      redis.subscribe("ch", { byts: true }),
      (error: Error) =>
        error instanceof TypeError &&
        error.message ===
          "Cannot subscribe as byts is not an option: did you mean bytes?",
    );
    assert.equal(
      // @ts-expect-error: a typo
      typeErrorOf(() => redis.withOptions({ timout: 100 })),
      "Cannot make the view as timout is not an option: did you mean timeout?",
    );
    const controller = new AbortController();
    redis.withOptions({
      timeout: 100,
      signal: controller.signal,
      bytes: true,
    });
  });
});
