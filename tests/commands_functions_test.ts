import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient, ReplyError } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

function library(name: string): string {
  return `#!lua name=${name}
redis.register_function('${name}_set', function(keys, args)
  return redis.call('SET', keys[1], args[1])
end)
redis.register_function{function_name='${name}_get', callback=function(keys)
  return redis.call('GET', keys[1])
end, flags={'no-writes', 'allow-stale'}, description='reads a key'}`;
}

describe("FunctionCommands against a real redis-server", () => {
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

      before(async () => {
        redis = createClient(server.url, { protocol });
        // Libraries are server-wide: each protocol starts from none.
        await redis.functionFlush();
      });

      after(async () => {
        await redis.functionFlush();
        await redis.close();
      });

      test(
        `Client.functionList() describes libraries, selected by name, with their code under RESP${protocol}`,
        T,
        async () => {
          assert.deepEqual(await redis.functionList(), []);
          await redis.functionLoad(library("alpha"));
          await redis.functionLoad(library("beta"));
          const all = await redis.functionList();
          assert.deepEqual(
            all.map((lib) => lib.libraryName).sort(),
            ["alpha", "beta"],
          );
          const [alpha] = await redis.functionList({ libraryName: "alp*" });
          const byName = alpha.functions
            .map((fn) => ({ ...fn, flags: fn.flags.sort() }))
            .sort((a, b) => a.name.localeCompare(b.name));
          assert.deepEqual({ ...alpha, functions: byName }, {
            libraryName: "alpha",
            engine: "LUA",
            functions: [
              {
                name: "alpha_get",
                description: "reads a key",
                flags: ["allow-stale", "no-writes"],
              },
              { name: "alpha_set", description: null, flags: [] },
            ],
          });
          assert.equal(alpha.libraryCode, undefined);
          const [coded] = await redis.functionList({
            libraryName: "beta",
            withCode: true,
          });
          assert.equal(coded.libraryCode, library("beta"));
          assert.deepEqual(
            await redis.functionList({ libraryName: "none*" }),
            [],
          );
          assert.throws(
            () => redis.functionList({ libraryName: 1 as never }),
            /libraryName/,
          );
          await redis.functionFlush();
        },
      );

      test(
        `Client.functionDump() and functionRestore() move libraries with the append, replace and flush policies under RESP${protocol}`,
        T,
        async () => {
          await redis.functionLoad(library("gamma"));
          const payload = await redis.functionDump();
          assert.ok(payload instanceof Uint8Array && payload.length > 0);
          await redis.functionFlush();
          assert.equal(await redis.functionRestore(payload), "OK");
          assert.deepEqual(
            (await redis.functionList()).map((lib) => lib.libraryName),
            ["gamma"],
          );
          await assert.rejects(redis.functionRestore(payload), ReplyError);
          await assert.rejects(
            redis.functionRestore(payload, { policy: "append" }),
            ReplyError,
          );
          assert.equal(
            await redis.functionRestore(payload, { policy: "replace" }),
            "OK",
          );
          await redis.functionLoad(library("delta"));
          assert.equal(
            await redis.functionRestore(payload, { policy: "flush" }),
            "OK",
          );
          assert.deepEqual(
            (await redis.functionList()).map((lib) => lib.libraryName),
            ["gamma"],
          );
          assert.equal(await redis.fcall("gamma_set", ["fn:k"], ["v"]), "OK");
          assert.equal(await redis.fcallRo("gamma_get", ["fn:k"]), "v");
          await assert.rejects(
            redis.functionRestore(new Uint8Array([1, 2, 3])),
            ReplyError,
          );
          assert.throws(
            () => redis.functionRestore("payload" as never),
            /payload must be a Uint8Array/,
          );
          assert.throws(
            () => redis.functionRestore(payload, { policy: "merge" as never }),
            /policy/,
          );
        },
      );
    });
  }
});
