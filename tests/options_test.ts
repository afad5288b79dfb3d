import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createClient, parseRedisUrl } from "../mod.ts";
import { resolveOptions } from "../src/options.ts";

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
      leakDetection: true,
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
