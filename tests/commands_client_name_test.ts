import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

describe("CLIENT SETNAME and GETNAME against a real redis-server", () => {
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

      before(() => {
        redis = createClient(server.url, { protocol, pool: { max: 2 } });
      });

      after(async () => {
        await redis.close();
      });

      /** The name CLIENT LIST shows for a connection, seen from another. */
      async function nameOf(id: number): Promise<string | undefined> {
        const [info] = await redis.clientList({ id: [id] });
        return info?.name;
      }

      test(
        `Lease.clientSetname() names the leased connection and release sets it back under RESP${protocol}`,
        T,
        async () => {
          const lease = await redis.acquire();
          const id = await lease.clientId();
          try {
            assert.equal(await lease.clientGetname(), null);
            assert.equal(await lease.clientSetname(`job-${protocol}`), "OK");
            assert.equal(await lease.clientGetname(), `job-${protocol}`);
            assert.equal(await nameOf(id), `job-${protocol}`);
            assert.equal(await lease.clientSetname(""), "OK");
            assert.equal(await lease.clientGetname(), null);
            const [ok, name] = await lease.pipeline()
              .clientSetname("piped")
              .clientGetname()
              .exec();
            assert.deepEqual([ok, name], ["OK", "piped"]);
          } finally {
            await lease.release();
          }
          assert.equal(await nameOf(id), "");
        },
      );

      test(
        `Lease.clientSetname() on a named client sets the configured name back on release under RESP${protocol}`,
        T,
        async () => {
          const named = createClient(server.url, {
            protocol,
            name: "app",
            pool: { max: 2 },
          });
          try {
            let id: number;
            {
              await using lease = await named.acquire();
              id = await lease.clientId();
              assert.equal(await lease.clientGetname(), "app");
              await lease.clientSetname("batch");
              assert.equal(await nameOf(id), "batch");
            }
            assert.equal(await nameOf(id), "app");
          } finally {
            await named.close();
          }
        },
      );

      test(
        `Client.clientSetname() is refused on the shared connections, as in their pipelines and transactions under RESP${protocol}`,
        T,
        async () => {
          await assert.rejects(
            redis.clientSetname("shared"),
            (error: unknown) =>
              error instanceof TypeError &&
              /CLIENT SETNAME.*changes connection state/.test(error.message),
          );
          assert.equal(await redis.clientGetname(), null);
          assert.throws(
            () => redis.pipeline().clientSetname("shared"),
            /changes connection state/,
          );
          assert.throws(
            () => redis.multi().clientSetname("shared"),
            /changes connection state/,
          );
          const scoped = redis.withOptions({ timeout: 1_000 });
          await assert.rejects(scoped.clientSetname("shared"), TypeError);
        },
      );

      test(
        `Lease.clientSetname() refuses names the server would refuse before sending under RESP${protocol}`,
        T,
        async () => {
          await using lease = await redis.acquire();
          assert.throws(
            () => lease.clientSetname("two words"),
            /printable ASCII/,
          );
          assert.throws(() => lease.clientSetname("line\nbreak"), TypeError);
          assert.throws(() => lease.clientSetname("café"), TypeError);
          assert.throws(
            () => lease.clientSetname(42 as never),
            /name must be a string/,
          );
          assert.equal(await lease.clientGetname(), null);
        },
      );
    });
  }
});
