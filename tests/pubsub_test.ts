import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type Client,
  ClosedError,
  createClient,
  ReplyError,
  type Subscription,
} from "../mod.ts";
import { FaultProxy } from "./faults/_peers.ts";
import { type RedisServer, startRedis } from "./_redis.ts";
import { sleep, waitFor } from "./_util.ts";

const T = { timeout: 30_000 };

/** Takes the next `count` messages, failing after `ms`. */
async function take<M>(
  iterable: AsyncIterable<M>,
  count: number,
  ms = 5_000,
): Promise<M[]> {
  const out: M[] = [];
  const iterator = iterable[Symbol.asyncIterator]();
  const deadline = Date.now() + ms;
  while (out.length < count) {
    const timer = new Promise<"timeout">((resolve) =>
      setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()))
    );
    const next = await Promise.race([iterator.next(), timer]);
    if (next === "timeout") {
      throw new Error(`Got ${out.length} of ${count} messages`);
    }
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

for (const protocol of [2, 3] as const) {
  describe(`Pub/sub under RESP${protocol}`, () => {
    let server: RedisServer;
    let redis: Client;

    before(async () => {
      server = await startRedis();
      redis = createClient(server.url, { protocol });
    });

    after(async () => {
      await redis.close();
      await server.stop();
    });

    test(
      "Client.subscribe() delivers published messages in order",
      T,
      async () => {
        await using sub = await redis.subscribe("news", "sport");
        assert.deepEqual([...sub.channels].sort(), ["news", "sport"]);
        assert.equal(await redis.publish("news", "one"), 1);
        assert.equal(await redis.publish("sport", "two"), 1);
        assert.equal(await redis.publish("news", "thr\r\nee ✓"), 1);
        assert.deepEqual(await take(sub, 3), [
          { channel: "news", message: "one" },
          { channel: "sport", message: "two" },
          { channel: "news", message: "thr\r\nee ✓" },
        ]);
      },
    );

    test(
      "Client.psubscribe() delivers messages with the pattern that matched",
      T,
      async () => {
        await using sub = await redis.psubscribe("user.*");
        await redis.publish("user.42", "hi");
        const [message] = await take(sub, 1);
        assert.deepEqual(message, {
          pattern: "user.*",
          channel: "user.42",
          message: "hi",
        });
      },
    );

    test(
      "Subscription.subscribe() and unsubscribe() change the channels later",
      T,
      async () => {
        await using sub = await redis.subscribe("a");
        await sub.subscribe("b");
        await sub.psubscribe("c*");
        assert.equal((await redis.pubsubNumsub("a", "b"))["b"], 1);
        await sub.unsubscribe("a");
        assert.deepEqual(await redis.pubsubNumsub("a", "b"), { a: 0, b: 1 });
        assert.deepEqual([...sub.channels], ["b"]);
        await redis.publish("a", "lost");
        await redis.publish("b", "kept");
        await redis.publish("cat", "matched");
        const messages = await take(sub, 2);
        assert.deepEqual(messages.map((m) => m.message), ["kept", "matched"]);
        await sub.unsubscribe();
        assert.equal(sub.channels.size, 0);
        assert.deepEqual(await redis.pubsubChannels(), []);
      },
    );

    test(
      "Client.subscribe() with bytes delivers Uint8Array payloads",
      T,
      async () => {
        await using sub = await redis.subscribe("bin", { bytes: true });
        const payload = new Uint8Array([0, 255, 13, 10, 128]);
        await redis.publish("bin", payload);
        const [message] = await take(sub, 1);
        assert.equal(message.channel, "bin");
        assert.ok(message.message instanceof Uint8Array);
        assert.deepEqual(message.message, payload);
      },
    );

    test(
      "Subscription disposal unsubscribes and frees its connection",
      T,
      async () => {
        const before = redis.stats().total;
        {
          await using sub = await redis.subscribe("gone");
          assert.equal((await redis.pubsubNumsub("gone"))["gone"], 1);
          assert.equal(redis.stats().leased, 1);
          void sub;
        }
        await waitFor(
          async () => (await redis.pubsubNumsub("gone"))["gone"] === 0,
          5_000,
        );
        assert.equal(redis.stats().leased, 0);
        assert.ok(redis.stats().total <= before + 1);
      },
    );

    test("Subscription iteration ends when it is closed", T, async () => {
      const sub: Subscription = await redis.subscribe("end");
      const collected: string[] = [];
      const loop = (async () => {
        for await (const { message } of sub) collected.push(message);
      })();
      await redis.publish("end", "x");
      await waitFor(() => collected.length === 1, 5_000);
      await sub.close();
      await loop;
      await assert.rejects(sub.subscribe("more"), ClosedError);
    });

    test(
      "Client.subscribe() resubscribes after a server restart and gets later messages",
      T,
      async () => {
        const own = await startRedis();
        const client = createClient(own.url, { protocol, reconnect: () => 50 });
        try {
          const sub = await client.subscribe("survivor");
          await sub.psubscribe("pat.*");
          await own.kill();
          await sleep(200);
          await own.restart();
          // Publish until the resubscribed connection hears it.
          const publisher = createClient(own.url, { protocol });
          const got = take(sub, 1, 10_000);
          let heard = false;
          got.then(() => heard = true, () => {});
          for (let i = 0; i < 100 && !heard; i++) {
            await publisher.publish("survivor", "after restart");
            await sleep(50);
          }
          const [message] = await got;
          assert.equal(message.message, "after restart");
          await waitFor(
            async () => (await publisher.send(["PUBSUB", "NUMPAT"])) === 1,
            5_000,
          );
          await sub.close();
          await publisher.close();
        } finally {
          await client.close();
          await own.stop();
        }
      },
    );

    test(
      "Client.subscribe() rejects with the server's NOPERM and opens no more connections",
      T,
      async () => {
        const user = `nochannels${protocol}`;
        await redis.send([
          "ACL",
          "SETUSER",
          user,
          "on",
          ">pw",
          "+@all",
          "~*",
          "resetchannels",
        ]);
        const client = createClient(server.url, {
          protocol,
          username: user,
          password: "pw",
        });
        try {
          await assert.rejects(
            client.subscribe("secret"),
            (e: unknown) => e instanceof ReplyError && e.prefix === "NOPERM",
          );
          const created = client.stats().created;
          await sleep(500);
          assert.equal(client.stats().created, created, "no reconnect loop");
          assert.equal(client.stats().leased, 0);
          // The same client still does everything else.
          assert.equal(await client.ping(), "PONG");
        } finally {
          await client.close();
          await redis.send(["ACL", "DELUSER", user]);
        }
      },
    );

    test(
      "Subscription backs off and reports errors when the server refuses to resubscribe",
      T,
      async () => {
        const user = `revoked${protocol}`;
        await redis.send([
          "ACL",
          "SETUSER",
          user,
          "on",
          ">pw",
          "+@all",
          "~*",
          "&feed",
        ]);
        const client = createClient(server.url, {
          protocol,
          username: user,
          password: "pw",
        });
        try {
          const sub = await client.subscribe("feed");
          const errors: Error[] = [];
          sub.addEventListener("error", (e) => errors.push(e.detail.error));
          const created = client.stats().created;
          // Revoking the channel makes the server drop the subscriber; each
          // attempt to subscribe again is refused.
          await redis.send(["ACL", "SETUSER", user, "resetchannels"]);
          await sleep(1_000);
          const opened = client.stats().created - created;
          assert.ok(
            opened >= 1 && opened <= 15,
            `${opened} connections in 1 s`,
          );
          assert.ok(errors.length >= 1, "error events");
          assert.ok(errors.every((e) => e instanceof ReplyError));
          await sub.close();
        } finally {
          await client.close();
          await redis.send(["ACL", "DELUSER", user]);
        }
      },
    );

    test(
      "Subscription heartbeat finds a silently dead connection, resubscribes and says so",
      T,
      async () => {
        const proxy = await new FaultProxy(server.port).start();
        const client = createClient(proxy.url, { protocol });
        try {
          const sub = await client.subscribe("beats", {
            heartbeatInterval: 200,
          });
          const reconnects: number[] = [];
          sub.addEventListener("reconnect", (e) => {
            reconnects.push(e.detail.downtimeMs);
          });
          // The connection goes half-open: nothing arrives, nothing closes.
          proxy.halfOpenExisting();
          await waitFor(() => reconnects.length === 1, 3_000);
          assert.equal(sub.reconnects, 1);
          const got = take(sub, 1);
          await waitFor(
            async () => (await redis.publish("beats", "after")) === 1,
            3_000,
          );
          assert.equal((await got)[0].message, "after");
          await sub.close();
        } finally {
          await client.close();
          await proxy.stop();
        }
      },
    );

    test("Client.close() ends open subscriptions at once", T, async () => {
      const client = createClient(server.url, { protocol });
      const sub = await client.subscribe("quick");
      const started = Date.now();
      await client.close();
      assert.ok(
        Date.now() - started < 1_000,
        `took ${Date.now() - started} ms`,
      );
      assert.equal(sub.closed, true);
    });
  });
}
