import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type Client,
  ClosedError,
  createClient,
  type Subscription,
} from "../mod.ts";
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
  });
}
