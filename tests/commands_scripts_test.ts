import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type Client,
  createClient,
  createScript,
  ReplyError,
  Script,
} from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };
const SHA1 = /^[0-9a-f]{40}$/;

describe("ScriptCommands against a real redis-server", () => {
  let server: RedisServer;

  before(async () => {
    server = await startRedis();
  });

  after(async () => {
    await server.stop();
  });

  test("Script.sha1 is the digest SCRIPT LOAD returns", T, async () => {
    const redis = createClient(server.url);
    try {
      for (const lua of ["return 1", "return 'héllo ✓'", ""]) {
        const script = createScript(lua);
        assert.equal(await script.sha1, await redis.scriptLoad(lua));
        assert.equal(script.sha1, script.sha1);
      }
      assert.equal(
        await new Script("return 1").sha1,
        "e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
      );
    } finally {
      await redis.close();
    }
  });

  test(
    "createScript() and Script.run() reject bad arguments with TypeError",
    T,
    async () => {
      assert.throws(() => createScript(42 as unknown as string), TypeError);
      assert.throws(
        () => new Script("return 1", {} as never),
        TypeError,
      );
      const script = createScript("return 1");
      await assert.rejects(script.run(), TypeError);
      await assert.rejects(script.run(["k"]), TypeError);
      await assert.rejects(script.run("k" as never), TypeError);
      const redis = createClient(server.url);
      try {
        await assert.rejects(
          script.run(redis, "k" as unknown as string[]),
          TypeError,
        );
        await assert.rejects(
          script.run(redis, [], [null as unknown as string]),
          TypeError,
        );
      } finally {
        await redis.close();
      }
    },
  );

  for (const protocol of [2, 3] as const) {
    describe(`RESP${protocol}`, () => {
      let redis: Client;
      const k = (name: string) => `scripts:${protocol}:${name}`;

      before(() => {
        redis = createClient(server.url, { protocol });
      });

      after(async () => {
        await redis.close();
      });

      test(
        `Client.eval() passes keys and args and returns the raw reply under RESP${protocol}`,
        T,
        async () => {
          assert.equal(await redis.eval("return 42"), 42);
          assert.equal(await redis.eval("return 'hi'"), "hi");
          assert.equal(await redis.eval("return nil"), null);
          assert.deepEqual(
            await redis.eval("return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}", [
              k("a"),
              k("b"),
            ], ["x", 7]),
            [k("a"), k("b"), "x", "7"],
          );
          assert.equal(
            await redis.eval(
              "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])",
              [k("set")],
              ["v"],
            ),
            "v",
          );
          assert.equal(await redis.get(k("set")), "v");
          await assert.rejects(
            redis.eval("return redis.error_reply('MYERR boom')"),
            (e: unknown) => e instanceof ReplyError && e.prefix === "MYERR",
          );
          await assert.rejects(redis.eval("syntax error here"), ReplyError);
          assert.throws(() => redis.eval(1 as unknown as string), TypeError);
          assert.throws(
            () => redis.eval("return 1", "k" as unknown as string[]),
            TypeError,
          );
        },
      );

      test(
        `Client.evalRo() runs read-only scripts and refuses writes under RESP${protocol}`,
        T,
        async () => {
          await redis.set(k("ro"), "1");
          assert.equal(
            await redis.evalRo("return redis.call('GET', KEYS[1])", [k("ro")]),
            "1",
          );
          await assert.rejects(
            redis.evalRo("return redis.call('SET', KEYS[1], 'x')", [k("ro")]),
            ReplyError,
          );
          assert.equal(await redis.get(k("ro")), "1");
        },
      );

      test(
        `Client.scriptLoad(), evalsha(), evalshaRo(), scriptExists() and scriptFlush() manage the cache under RESP${protocol}`,
        T,
        async () => {
          const lua = `return {ARGV[1], ${protocol}}`;
          const sha = await redis.scriptLoad(lua);
          assert.match(sha, SHA1);
          assert.deepEqual(await redis.evalsha(sha, [], ["x"]), [
            "x",
            protocol,
          ]);
          assert.deepEqual(await redis.evalshaRo(sha, [], ["y"]), [
            "y",
            protocol,
          ]);
          const missing = "0".repeat(40);
          assert.deepEqual(await redis.scriptExists(sha, missing), [
            true,
            false,
          ]);
          assert.equal(await redis.scriptFlush(), "OK");
          assert.deepEqual(await redis.scriptExists(sha), [false]);
          await assert.rejects(
            redis.evalsha(sha),
            (e: unknown) => e instanceof ReplyError && e.prefix === "NOSCRIPT",
          );
          await redis.scriptLoad(lua);
          assert.equal(await redis.scriptFlush({ async: true }), "OK");
          assert.equal(await redis.scriptFlush({ async: false }), "OK");
          assert.deepEqual(await redis.scriptExists(sha), [false]);
          assert.throws(() => redis.scriptExists(), TypeError);
        },
      );

      test(
        `Client.functionLoad(), fcall(), fcallRo(), functionDelete() and functionFlush() manage libraries under RESP${protocol}`,
        T,
        async () => {
          const lib = `lib${protocol}`;
          const code = `#!lua name=${lib}
redis.register_function('${lib}_set', function(keys, args)
  redis.call('SET', keys[1], args[1])
  return 'set ' .. args[1]
end)
redis.register_function{function_name='${lib}_get', callback=function(keys)
  return redis.call('GET', keys[1])
end, flags={'no-writes'}}`;
          assert.equal(await redis.functionLoad(code), lib);
          await assert.rejects(redis.functionLoad(code), ReplyError);
          assert.equal(await redis.functionLoad(code, { replace: true }), lib);
          assert.equal(
            await redis.fcall(`${lib}_set`, [k("fn")], ["v1"]),
            "set v1",
          );
          assert.equal(await redis.fcallRo(`${lib}_get`, [k("fn")]), "v1");
          assert.equal(await redis.fcall(`${lib}_get`, [k("fn")]), "v1");
          await assert.rejects(
            redis.fcallRo(`${lib}_set`, [k("fn")], ["v2"]),
            ReplyError,
          );
          assert.equal(await redis.functionDelete(lib), "OK");
          await assert.rejects(redis.functionDelete(lib), ReplyError);
          await assert.rejects(
            redis.fcall(`${lib}_get`, [k("fn")]),
            ReplyError,
          );
          await redis.functionLoad(code);
          assert.equal(await redis.functionFlush({ async: false }), "OK");
          await assert.rejects(
            redis.fcall(`${lib}_get`, [k("fn")]),
            ReplyError,
          );
          assert.equal(await redis.functionFlush(), "OK");
          assert.equal(await redis.functionFlush({ async: true }), "OK");
        },
      );

      test(
        `Script.run() loads the script again after SCRIPT FLUSH under RESP${protocol}`,
        T,
        async () => {
          const script = createScript(
            `return redis.call('INCRBY', KEYS[1], ARGV[1]) -- ${protocol}`,
          );
          const sha = await script.sha1;
          await redis.send(["SCRIPT", "FLUSH"]);
          // Not cached: EVALSHA answers NOSCRIPT, run() sends EVAL.
          assert.equal(await script.run(redis, [k("n")], [2]), 2);
          assert.deepEqual(await redis.scriptExists(sha), [true]);
          assert.equal(await script.run(redis, [k("n")], [3]), 5);
          await redis.send(["SCRIPT", "FLUSH"]);
          assert.equal(await script.run(redis, [k("n")], [4]), 9);
          assert.deepEqual(await redis.scriptExists(sha), [true]);
        },
      );

      test(
        `Script.run() uses a bound executor, a lease and readOnly under RESP${protocol}`,
        T,
        async () => {
          const bound = createScript(
            "return (ARGV[1] or '') .. (KEYS[1] or '')",
            redis,
          );
          assert.equal(await bound.run([k("b")], ["x"]), `x${k("b")}`);
          assert.equal(await bound.run(), "");
          const conn = await redis.acquire();
          try {
            // An executor passed at the call wins over the bound one.
            assert.equal(await bound.run(conn, [k("l")], ["y"]), `y${k("l")}`);
            await conn.send(["SCRIPT", "FLUSH"]);
            assert.equal(await bound.run(conn, [k("l")], ["z"]), `z${k("l")}`);
          } finally {
            await conn.release();
          }
          await redis.set(k("ro"), "r");
          const reader = createScript("return redis.call('GET', KEYS[1])");
          await redis.send(["SCRIPT", "FLUSH"]);
          assert.equal(
            await reader.run(redis, [k("ro")], [], { readOnly: true }),
            "r",
          );
          const writer = createScript("return redis.call('SET', KEYS[1], 'w')");
          await assert.rejects(
            writer.run(redis, [k("ro")], [], { readOnly: true }),
            ReplyError,
          );
          assert.equal(await redis.get(k("ro")), "r");
          const raw = await reader.run(redis, [k("ro")], [], { bytes: true });
          assert.deepEqual(raw, new TextEncoder().encode("r"));
        },
      );

      test(
        `Script.run() does not retry a script that fails with another error under RESP${protocol}`,
        T,
        async () => {
          const failing = createScript(
            "redis.call('INCR', KEYS[1]); return redis.error_reply('BOOM failed')",
          );
          await redis.send(["SCRIPT", "FLUSH"]);
          await assert.rejects(
            failing.run(redis, [k("once")]),
            (e: unknown) => e instanceof ReplyError && e.prefix === "BOOM",
          );
          assert.equal(await redis.get(k("once")), "1");
          await assert.rejects(failing.run(redis, [k("once")]), ReplyError);
          assert.equal(await redis.get(k("once")), "2");
        },
      );
    });
  }
});
