import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type Client,
  ClosedError,
  createClient,
  Pipeline,
  RedisError,
  ReplyError,
  type RespValue,
  TimeoutError,
  Transaction,
  type Transport,
} from "../mod.ts";
import { defaultTransport } from "../src/transport/detect.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };

/** Compile-time equality of two types. */
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends
  (<X>() => X extends B ? 1 : 2) ? true : false;
function assertType<_ extends true>(): void {}

/** The real transport, recording every write the client makes. */
function recordingTransport(writes: Uint8Array[]): Transport {
  return {
    name: "recording",
    async connect(options, handlers) {
      const socket = await (await defaultTransport()).connect(
        options,
        handlers,
      );
      return {
        write(bytes) {
          writes.push(bytes.slice());
          socket.write(bytes);
        },
        destroy: () => socket.destroy(),
      };
    },
  };
}

const text = new TextDecoder();

let server: RedisServer;

before(async () => {
  server = await startRedis();
});

after(async () => {
  await server.stop();
});

for (const protocol of [2, 3] as const) {
  describe(`Pipeline and Transaction under RESP${protocol}`, () => {
    const p = `pipe${protocol}:`;
    let redis: Client;
    let other: Client;

    before(() => {
      redis = createClient(server.url, { protocol });
      other = createClient(server.url, { protocol });
    });

    after(async () => {
      await redis.close();
      await other.close();
    });

    test("Pipeline.exec() resolves typed results in order", T, async () => {
      const pipeline = redis.pipeline()
        .set(`${p}a`, "1")
        .incr(`${p}n`)
        .get(`${p}a`)
        .send(["STRLEN", `${p}a`]);
      assert.ok(pipeline instanceof Pipeline);
      assert.equal(pipeline.length, 4);
      const results = await pipeline.exec();
      assertType<
        Equal<
          typeof results,
          [
            string | null | Error,
            number | Error,
            string | null | Error,
            RespValue | Error,
          ]
        >
      >();
      assert.deepEqual(results, ["OK", 1, "1", 1]);
    });

    test(
      "Pipeline.exec() leaves a failed command's ReplyError in its slot and the other results intact",
      T,
      async () => {
        await redis.send(["RPUSH", `${p}list`, "x"]);
        const [a, b, c, d, e] = await redis.pipeline()
          .set(`${p}s`, "not a number")
          .incr(`${p}s`)
          .get(`${p}list`)
          .send(["NOSUCHCOMMAND"])
          .get(`${p}s`)
          .exec();
        assert.equal(a, "OK");
        assert.ok(b instanceof ReplyError, String(b));
        assert.equal(b.prefix, "ERR");
        assert.match(b.message, /INCR/);
        assert.ok(c instanceof ReplyError, String(c));
        assert.equal(c.prefix, "WRONGTYPE");
        assert.ok(d instanceof ReplyError, String(d));
        assert.equal(e, "not a number");
      },
    );

    test(
      "Pipeline.exec() on an empty pipeline resolves to [] without sending",
      T,
      async () => {
        const pipeline = redis.pipeline();
        assert.equal(pipeline.length, 0);
        const results = await pipeline.exec();
        assertType<Equal<typeof results, []>>();
        assert.deepEqual(results, []);
      },
    );

    test(
      "Pipeline.exec() throws TypeError when called twice and the pipeline refuses more commands",
      T,
      async () => {
        const pipeline = redis.pipeline().ping();
        assert.deepEqual(await pipeline.exec(), ["PONG"]);
        assert.throws(() => pipeline.exec(), TypeError);
        assert.throws(() => pipeline.ping(), TypeError);
        const empty = redis.pipeline();
        await empty.exec();
        assert.throws(() => empty.exec(), TypeError);
      },
    );

    test(
      "Pipeline.send() throws TypeError for arguments that cannot be encoded",
      T,
      () => {
        const pipeline = redis.pipeline();
        assert.throws(() => pipeline.send([]), TypeError);
        assert.throws(
          () => pipeline.send("GET" as unknown as string[]),
          TypeError,
        );
        assert.throws(
          () => pipeline.send(["SET", "k", {} as unknown as string]),
          TypeError,
        );
        assert.throws(() => pipeline.send(["SET", "k", NaN]), TypeError);
        assert.equal(pipeline.length, 0);
      },
    );

    test(
      "Client.pipeline() refuses commands that change connection state or block",
      T,
      () => {
        assert.throws(
          () => redis.pipeline().send(["SELECT", 1]),
          TypeError,
        );
        assert.throws(() => redis.pipeline().send(["WATCH", "k"]), TypeError);
        assert.throws(() => redis.pipeline().send(["MULTI"]), TypeError);
        assert.throws(
          () => redis.pipeline().send(["BLPOP", `${p}q`, 0]),
          TypeError,
        );
        assert.throws(
          () =>
            redis.pipeline().send([
              "XREAD",
              "BLOCK",
              0,
              "STREAMS",
              "s",
              "$",
            ]),
          TypeError,
        );
        // Reads of CLIENT are fine on the shared connections.
        assert.equal(
          redis.pipeline().send(["CLIENT", "ID"]).length,
          1,
        );
      },
    );

    test(
      "Pipeline.exec() sends all commands in one write",
      T,
      async () => {
        const writes: Uint8Array[] = [];
        await using client = createClient(server.url, {
          protocol,
          transport: recordingTransport(writes),
        });
        await client.connect();
        const before = writes.length;
        const results = await client.pipeline()
          .set(`${p}w1`, "a")
          .set(`${p}w2`, "b")
          .get(`${p}w1`)
          .get(`${p}w2`)
          .del(`${p}w1`, `${p}w2`)
          .exec();
        assert.deepEqual(results, ["OK", "OK", "a", "b", 2]);
        assert.equal(writes.length - before, 1);
        const written = text.decode(writes[before]);
        assert.equal(written.match(/\*\d+\r\n/g)?.length, 5);

        const before2 = writes.length;
        const tx = await client.multi().incr(`${p}w3`).incr(`${p}w3`).exec();
        assert.deepEqual(tx, [1, 2]);
        assert.equal(writes.length - before2, 1);
        const block = text.decode(writes[before2]);
        assert.ok(block.startsWith("*1\r\n$5\r\nMULTI\r\n"), block);
        assert.ok(block.endsWith("*1\r\n$4\r\nEXEC\r\n"), block);
      },
    );

    test(
      "Pipeline.exec() puts the TimeoutError in every slot when the pipeline times out as a unit",
      T,
      async () => {
        await using lease = await redis.acquire();
        // The server itself is slow (DEBUG SLEEP holds it 300 ms): the
        // pipeline's one deadline passes before any reply.
        const results = await lease.pipeline()
          .send(["DEBUG", "SLEEP", "0.3"])
          .get(`${p}a`)
          .exec({ timeout: 100 });
        assert.equal(results.length, 2);
        for (const slot of results) {
          assert.ok(slot instanceof TimeoutError, String(slot));
          assert.equal(slot.code, "TIMEOUT");
        }
        // The late replies were read and dropped: the lease is in step.
        assert.equal(await lease.echo("in step"), "in step");
      },
    );

    test(
      "Pipeline refuses a blocking command on a lease too, whose wait a pipeline could not cancel",
      T,
      async () => {
        await using lease = await redis.acquire();
        assert.throws(
          () => lease.pipeline().send(["BLPOP", `${p}never`, 0]),
          (e: unknown) =>
            e instanceof TypeError &&
            /Cannot queue BLPOP in a pipeline as it blocks/.test(e.message),
        );
        assert.throws(
          () => lease.pipeline().blpop(`${p}never`, 0),
          TypeError,
        );
        assert.throws(
          () => lease.pipeline().xread({ [`${p}s`]: "$" }, { block: 100 }),
          TypeError,
        );
        // Without BLOCK, XREAD does not block and may be pipelined.
        assert.equal(lease.pipeline().xread({ [`${p}s`]: "0" }).length, 1);
      },
    );

    test(
      "Pipeline.exec() puts the error in every slot when no connection takes the batch",
      T,
      async () => {
        const closed = createClient(server.url, { protocol });
        await closed.close();
        const results = await closed.pipeline().ping().get(`${p}a`).exec();
        assert.equal(results.length, 2);
        for (const slot of results) {
          assert.ok(slot instanceof ClosedError, String(slot));
        }
      },
    );

    test(
      "Pipeline.exec() rejects with the signal's reason when aborted",
      T,
      async () => {
        await using lease = await redis.acquire();
        const controller = new AbortController();
        const reason = new Error("stop waiting");
        setTimeout(() => controller.abort(reason), 50);
        await assert.rejects(
          lease.pipeline()
            .send(["DEBUG", "SLEEP", "0.3"])
            .exec({ signal: controller.signal }),
          (error) => error === reason,
        );
      },
    );

    test(
      "Lease.pipeline() runs stateful commands on the leased connection",
      T,
      async () => {
        {
          await using lease = await redis.acquire();
          const results = await lease.pipeline()
            .send(["SELECT", 5])
            .set(`${p}db5`, "five")
            .get(`${p}db5`)
            .exec();
          assert.deepEqual(results, ["OK", "OK", "five"]);
          assert.equal(await lease.get(`${p}db5`), "five");
        }
        assert.equal(redis.stats().leased, 0);
        assert.equal(await redis.get(`${p}db5`), null);
        await using lease = await redis.acquire();
        await lease.send(["SELECT", 5]);
        assert.equal(await lease.del(`${p}db5`), 1);
      },
    );

    test(
      "Pipeline.send() with bytes returns that command's bulk strings as Uint8Array",
      T,
      async () => {
        await redis.set(`${p}bytes`, "héllo");
        const [raw, str, dumped] = await redis.pipeline()
          .send(["GET", `${p}bytes`], { bytes: true })
          .get(`${p}bytes`)
          .dump(`${p}bytes`)
          .exec();
        assert.ok(raw instanceof Uint8Array);
        assert.equal(text.decode(raw), "héllo");
        assert.equal(str, "héllo");
        assert.ok(dumped instanceof Uint8Array);
      },
    );

    test(
      "Transaction.exec() resolves the typed tuple of EXEC's replies",
      T,
      async () => {
        const transaction = redis.multi()
          .set(`${p}t`, "10")
          .incr(`${p}t`)
          .get(`${p}t`)
          .exists(`${p}t`, `${p}none`);
        assert.ok(transaction instanceof Transaction);
        assert.equal(transaction.length, 4);
        const results = await transaction.exec();
        assertType<
          Equal<
            typeof results,
            | [
              string | null | Error,
              number | Error,
              string | null | Error,
              number | Error,
            ]
            | null
          >
        >();
        assert.deepEqual(results, ["OK", 11, "11", 1]);
        assert.deepEqual(await redis.multi().exec(), []);
      },
    );

    test(
      "Transaction.exec() leaves a command's run-time ReplyError in its slot",
      T,
      async () => {
        const results = await redis.multi()
          .set(`${p}tx-s`, "x")
          .incr(`${p}tx-s`)
          .get(`${p}tx-s`)
          .exec();
        assert.ok(results !== null);
        assert.equal(results[0], "OK");
        assert.ok(results[1] instanceof ReplyError, String(results[1]));
        assert.match(results[1].message, /INCR/);
        assert.equal(results[2], "x");
      },
    );

    test(
      "Transaction.exec() rejects with EXECABORT when the server refuses a queued command",
      T,
      async () => {
        await assert.rejects(
          redis.multi()
            .set(`${p}aborted`, "1")
            .send(["GET"])
            .exec(),
          (error) => {
            assert.ok(error instanceof ReplyError);
            assert.equal(error.prefix, "EXECABORT");
            // The command the server refused is the cause.
            assert.ok(error.cause instanceof ReplyError);
            assert.match(error.cause.message, /wrong number of arguments/);
            return true;
          },
        );
        assert.equal(await redis.get(`${p}aborted`), null);
        // The shared connection is usable afterwards.
        assert.equal(await redis.ping(), "PONG");
      },
    );

    test(
      "Transaction.exec() reads bytes for commands that asked for them and text for the others",
      T,
      async () => {
        await redis.set(`${p}tb`, "héllo");
        const results = await redis.multi()
          .send(["GET", `${p}tb`], { bytes: true })
          .get(`${p}tb`)
          .send(["CONFIG", "GET", "maxmemory-policy"])
          .dump(`${p}tb`)
          .exec();
        assert.ok(results !== null);
        const [raw, str, config, dumped] = results;
        assert.ok(raw instanceof Uint8Array);
        assert.equal(text.decode(raw), "héllo");
        assert.equal(str, "héllo");
        if (config instanceof Map) {
          assert.equal(config.get("maxmemory-policy"), "noeviction");
        } else assert.deepEqual(config, ["maxmemory-policy", "noeviction"]);
        assert.ok(dumped instanceof Uint8Array);
      },
    );

    test(
      "Client.multi() refuses commands that change connection state",
      T,
      () => {
        assert.throws(() => redis.multi().send(["SELECT", 1]), TypeError);
        assert.throws(() => redis.multi().send(["WATCH", "k"]), TypeError);
        assert.throws(() => redis.multi().send(["EXEC"]), TypeError);
        // Blocking commands do not block inside MULTI.
        assert.equal(redis.multi().send(["BLPOP", "k", 0]).length, 1);
      },
    );

    test(
      "Transaction.exec() throws TypeError when called twice or after discard()",
      T,
      async () => {
        const transaction = redis.multi().ping();
        assert.deepEqual(await transaction.exec(), ["PONG"]);
        assert.throws(() => transaction.exec(), TypeError);
        assert.throws(() => transaction.discard(), TypeError);
        assert.throws(() => transaction.ping(), TypeError);

        const dropped = redis.multi().set(`${p}discarded`, "1");
        dropped.discard();
        dropped.discard();
        assert.equal(dropped.length, 0);
        assert.throws(() => dropped.exec(), TypeError);
        assert.throws(() => dropped.ping(), TypeError);
        assert.equal(await redis.get(`${p}discarded`), null);
      },
    );

    test(
      "Client.multi() keeps MULTI ... EXEC contiguous among concurrent commands on one connection",
      T,
      async () => {
        await using shared = createClient(server.url, {
          protocol,
          pool: { max: 1 },
        });
        await shared.set(`${p}plain`, "plain");
        // Interleave: 20 plain GETs issued in the same tick around each
        // transaction, so any gap in a MULTI ... EXEC block would let one in
        // (and it would read "QUEUED").
        const transactions: Promise<unknown>[] = [];
        const gets: Promise<string | null>[] = [];
        for (let i = 0; i < 50; i++) {
          for (let j = 0; j < 10; j++) gets.push(shared.get(`${p}plain`));
          transactions.push(
            shared.multi()
              .incr(`${p}c${i}`)
              .incr(`${p}c${i}`)
              .get(`${p}c${i}`)
              .exec(),
          );
          for (let j = 0; j < 10; j++) gets.push(shared.get(`${p}plain`));
        }
        assert.equal(gets.length, 1_000);
        const [txResults, getResults] = await Promise.all([
          Promise.all(transactions),
          Promise.all(gets),
        ]);
        txResults.forEach((result) => assert.deepEqual(result, [1, 2, "2"]));
        for (const value of getResults) assert.equal(value, "plain");
        assert.equal(shared.stats().total, 1);
      },
    );

    test(
      "Lease.multi() resolves to null when a WATCHed key changed",
      T,
      async () => {
        await redis.set(`${p}watched`, "1");
        await using lease = await redis.acquire();
        await lease.send(["WATCH", `${p}watched`]);
        await other.set(`${p}watched`, "2");
        const results = await lease.multi().set(`${p}watched`, "3").exec();
        assertType<Equal<typeof results, [string | null | Error] | null>>();
        assert.equal(results, null);
        assert.equal(await lease.get(`${p}watched`), "2");
        // Without a conflict the next one runs.
        await lease.send(["WATCH", `${p}watched`]);
        assert.deepEqual(
          await lease.multi().set(`${p}watched`, "4").exec(),
          ["OK"],
        );
        const [ok, value] = await lease.pipeline().ping().get(`${p}watched`)
          .exec();
        assert.equal(ok, "PONG");
        assert.equal(value, "4");
      },
    );

    test(
      "Client.transaction() retries after a WATCH conflict and ends with the right value",
      T,
      async () => {
        await redis.set(`${p}k`, "1");
        let attempts = 0;
        const results = await redis.transaction(async (lease) => {
          attempts++;
          const v = Number(await lease.get(`${p}k`));
          if (attempts === 1) await other.set(`${p}k`, "100");
          return lease.multi().set(`${p}k`, String(v + 1)).get(`${p}k`);
        }, { watch: [`${p}k`] });
        assertType<
          Equal<
            typeof results,
            [string | null | Error, string | null | Error] | null
          >
        >();
        assert.deepEqual(results, ["OK", "101"]);
        assert.equal(attempts, 2);
        assert.equal(await redis.get(`${p}k`), "101");
        assert.equal(redis.stats().leased, 0);
      },
    );

    test(
      "Client.transaction() resolves to null after the retries are exhausted",
      T,
      async () => {
        await redis.set(`${p}hot`, "0");
        let attempts = 0;
        const results = await redis.transaction(async (lease) => {
          attempts++;
          await lease.get(`${p}hot`);
          await other.incr(`${p}hot`);
          return lease.multi().set(`${p}hot`, "mine");
        }, { watch: [`${p}hot`], retries: 2 });
        assert.equal(results, null);
        assert.equal(attempts, 3);
        assert.equal(await redis.get(`${p}hot`), "3");
        assert.equal(redis.stats().leased, 0);
      },
    );

    test(
      "Client.transaction() releases the lease and clears WATCH when fn throws",
      T,
      async () => {
        await using solo = createClient(server.url, {
          protocol,
          pool: { max: 1 },
        });
        const failure = new Error("fn failed");
        await assert.rejects(
          solo.transaction(async (lease) => {
            await lease.get(`${p}thrown`);
            throw failure;
          }, { watch: [`${p}thrown`] }),
          (error) => error === failure,
        );
        assert.equal(solo.stats().leased, 0);
        // The one connection is not left watching: a change by another
        // client does not abort the next transaction on it.
        await using lease = await solo.acquire();
        await other.set(`${p}thrown`, "changed");
        await lease.send(["MULTI"]);
        await lease.send(["SET", `${p}thrown`, "mine"]);
        assert.deepEqual(await lease.send(["EXEC"]), ["OK"]);
      },
    );

    test(
      "Client.transaction() without watch runs once and returns the results",
      T,
      async () => {
        const results = await redis.transaction((lease) =>
          lease.multi().incr(`${p}once`)
        );
        assert.deepEqual(results, [1]);
        assert.equal(redis.stats().leased, 0);
      },
    );

    test(
      "Client.transaction() rejects with TypeError when fn does not return a transaction on its lease",
      T,
      async () => {
        await assert.rejects(
          redis.transaction(() => redis.multi().ping()),
          TypeError,
        );
        await assert.rejects(
          redis.transaction(
            (() => undefined) as unknown as () => Transaction<[]>,
          ),
          TypeError,
        );
        await assert.rejects(
          redis.transaction((lease) => lease.multi(), { retries: -1 }),
          RangeError,
        );
        await assert.rejects(
          redis.transaction((lease) => lease.multi(), {
            watch: [{} as unknown as string],
          }),
          TypeError,
        );
        assert.equal(redis.stats().leased, 0);
      },
    );

    test(
      "Client.transaction() rejects with EXECABORT and releases the lease",
      T,
      async () => {
        await assert.rejects(
          redis.transaction((lease) => lease.multi().send(["INCR"]), {
            watch: [`${p}x`],
          }),
          (error) => error instanceof RedisError && error.code === "REPLY",
        );
        assert.equal(redis.stats().leased, 0);
      },
    );
  });
}
