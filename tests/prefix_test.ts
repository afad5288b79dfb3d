/**
 * keyPrefix: every typed command that names keys is sent through a
 * recording proxy by a client with `keyPrefix: "p:"`, and the server's own
 * `COMMAND GETKEYS` over what arrived must be the keys the caller named,
 * each with the prefix. Also: pipelines, transactions, leases, scripts'
 * KEYS, scan() (prefixed pattern, keys yielded without it), pub/sub left
 * alone, and commands whose keys cannot be found refused.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { connect } from "node:net";
import { type Client, createClient } from "../mod.ts";
import { commands } from "../src/commands/table.ts";
import { SAMPLES } from "./_samples.ts";
import { type RedisServer, startRedis } from "./_redis.ts";
import { parseCommands } from "./faults/_peers.ts";

const T = { timeout: 60_000 };

/** Forwards to the server and records every command clients send. */
class RecordingProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly commands: string[][] = [];
  port = 0;

  constructor(target: number) {
    this.#server = createServer((client) => {
      const upstream = connect(target, "127.0.0.1");
      this.#sockets.add(client).add(upstream);
      let pending = new Uint8Array(0);
      client.on("data", (chunk: Uint8Array) => {
        const joined = new Uint8Array(pending.length + chunk.length);
        joined.set(pending);
        joined.set(chunk, pending.length);
        const { commands, rest } = parseCommands(joined);
        this.commands.push(...commands);
        pending = rest.slice();
        upstream.write(chunk);
      });
      upstream.on("data", (chunk: Uint8Array) => client.write(chunk));
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("close", end).on("error", end);
      upstream.on("close", end).on("error", end);
    });
  }

  start(): Promise<this> {
    return new Promise((resolve) => {
      this.#server.listen(0, "127.0.0.1", () => {
        const address = this.#server.address();
        this.port = typeof address === "object" && address ? address.port : 0;
        resolve(this);
      });
    });
  }

  stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

describe("keyPrefix", () => {
  let server: RedisServer;
  let proxy: RecordingProxy;
  let admin: Client;

  before(async () => {
    server = await startRedis();
    proxy = await new RecordingProxy(server.port).start();
    admin = createClient(server.url);
  });

  after(async () => {
    await admin?.close();
    await proxy?.stop();
    await server?.stop();
  });

  /** The keys the server finds in a command (COMMAND GETKEYS). */
  async function serverKeys(args: readonly unknown[]): Promise<string[]> {
    return await admin.send([
      "COMMAND",
      "GETKEYS",
      ...args as string[],
    ]) as string[];
  }

  test("every typed command has a sample, so none escapes the check", () => {
    const missing = Object.keys(commands).filter((name) => !(name in SAMPLES));
    assert.deepEqual(missing, [], "typed commands without a sample");
  });

  test(
    "every typed command that names keys reaches the server with each key prefixed",
    T,
    async () => {
      await using redis = createClient(`redis://127.0.0.1:${proxy.port}`, {
        keyPrefix: "p:",
        commandTimeout: 5_000,
      });
      const table = commands as unknown as Record<
        string,
        (...args: unknown[]) => { args: unknown[] }
      >;
      const methods = redis as unknown as Record<
        string,
        (...args: unknown[]) => Promise<unknown>
      >;
      let checked = 0;
      for (const [name, sample] of Object.entries(SAMPLES)) {
        if (sample === null) continue;
        const built = table[name](...sample).args;
        const command = String(built[0]).toUpperCase();
        const expected = (await serverKeys(built)).map((k) => `p:${k}`);
        assert.ok(expected.length > 0, `${name}: the sample names no key`);
        const from = proxy.commands.length;
        // The server's answer does not matter (a wrong type, a missing
        // group): what reached it does.
        await methods[name](...sample).catch(() => {});
        const sent = proxy.commands.slice(from)
          .filter((args) => args[0].toUpperCase() === command);
        assert.equal(sent.length, 1, `${name}: sent ${sent.length} times`);
        assert.deepEqual(await serverKeys(sent[0]), expected, name);
        checked++;
      }
      assert.ok(checked > 150, `${checked} commands checked`);
    },
  );

  test(
    "pipelines, transactions, leases and raw send() prefix too; channels do not",
    T,
    async () => {
      await using redis = createClient(server.url, { keyPrefix: "app:" });
      await admin.flushall();
      await redis.pipeline().set("a", "1").incr("n").exec();
      await redis.multi().set("b", "2").rpush("l", "x").exec();
      await redis.transaction((lease) => lease.multi().set("c", "3"), {
        watch: ["c"],
      });
      {
        await using lease = await redis.acquire();
        await lease.set("d", "4");
        await lease.send(["SET", "e", "5"]);
      }
      await redis.send(["MSET", "f", "6", "g", "7"]);
      await redis.eval("return redis.call('SET', KEYS[1], ARGV[1])", ["h"], [
        "8",
      ]);
      assert.deepEqual((await admin.send(["KEYS", "*"]) as string[]).sort(), [
        "app:a",
        "app:b",
        "app:c",
        "app:d",
        "app:e",
        "app:f",
        "app:g",
        "app:h",
        "app:l",
        "app:n",
      ]);
      assert.equal(await redis.get("a"), "1");
      // SORT's BY and GET patterns name keys: they get the prefix too.
      await redis.rpush("ids", "1", "2", "3");
      await redis.mset({ w_1: "3", w_2: "1", w_3: "2" });
      await redis.mset({ n_1: "a", n_2: "b", n_3: "c" });
      assert.deepEqual(await redis.sort("ids", { by: "w_*", get: ["n_*"] }), [
        "b",
        "c",
        "a",
      ]);
      await admin.del("app:ids", "app:w_1", "app:w_2", "app:w_3");
      await admin.del("app:n_1", "app:n_2", "app:n_3");
      assert.deepEqual(await redis.mget("f", "g", "zz"), ["6", "7", null]);
      // Channels are not keys.
      await using sub = await admin.subscribe("news");
      const next = sub[Symbol.asyncIterator]().next();
      assert.equal(await redis.publish("news", "hello"), 1);
      assert.equal((await next).value?.message, "hello");
    },
  );

  test(
    "scan() walks only the prefixed keys and yields them without the prefix",
    T,
    async () => {
      await admin.flushall();
      await admin.mset({ "t*1:a": "1", "t*1:b": "2", "other:c": "3" });
      await using redis = createClient(server.url, { keyPrefix: "t*1:" });
      const all: string[] = [];
      for await (const key of redis.scan({ count: 1 })) all.push(key);
      assert.deepEqual(all.sort(), ["a", "b"]);
      const matched: string[] = [];
      for await (const key of redis.scan({ match: "b*" })) matched.push(key);
      assert.deepEqual(matched, ["b"]);
      // The prefix's glob characters are escaped: "t*1:" is not a pattern.
      await admin.set("tx1:d", "4");
      const again: string[] = [];
      for await (const key of redis.scan()) again.push(key);
      assert.deepEqual(again.sort(), ["a", "b"]);
    },
  );

  test(
    "a command whose keys cannot be found is refused, not sent bare",
    T,
    async () => {
      await using redis = createClient(server.url, { keyPrefix: "p:" });
      await assert.rejects(
        redis.send(["NOSUCHCOMMAND", "k"]),
        (error: unknown) =>
          error instanceof TypeError && /keyPrefix/.test(error.message),
      );
      assert.throws(
        // @ts-expect-error: not a string
        () => createClient({ keyPrefix: 5 }),
        (error: unknown) =>
          error instanceof TypeError && /keyPrefix/.test(error.message),
      );
    },
  );
});
