/**
 * The Redis Sentinel test harness itself (tests/_sentinel.ts): a real
 * master, two replicas and three sentinels start, fail over on demand, keep
 * answering with a sentinel gone, and stop.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ReplyError, send } from "./_cluster.ts";
import { type SentinelSetup, startSentinel } from "./_sentinel.ts";

/** Polls `check` every 100 ms until it is true; fails after `timeoutMs`. */
async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await check()) {
    if (Date.now() > deadline) {
      assert.fail(`${what} did not happen within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test(
  "startSentinel() starts a master, two replicas and three sentinels that fail over",
  { timeout: 60_000 },
  async () => {
    const setup: SentinelSetup = await startSentinel();
    try {
      assert.equal(setup.name, "mymaster");
      assert.equal(setup.data.length, 3);
      assert.equal(setup.sentinels.length, 3);
      assert.deepEqual(
        setup.sentinelUrls,
        setup.sentinels.map((n) => `redis://127.0.0.1:${n.port}`),
      );
      const [first, ...replicas] = setup.data;
      assert.equal(await setup.masterPort(), first.port);
      assert.equal(await setup.roleOf(first.port), "master");
      for (const replica of replicas) {
        assert.equal(await setup.roleOf(replica.port), "slave");
      }
      const view = await setup.cli(
        setup.sentinels[0].port,
        "SENTINEL",
        "MASTER",
        "mymaster",
      );
      assert.match(view, /num-other-sentinels\n2\n/);
      assert.match(view, /num-slaves\n2\n/);
      assert.equal(await setup.cli(first.port, "SET", "k", "v"), "OK");

      const { from, to } = await setup.failover();
      assert.equal(from, first.port);
      assert.ok(replicas.some((r) => r.port === to));
      assert.equal(await setup.roleOf(to), "master");
      assert.equal(await setup.masterPort(), to);
      assert.equal(await setup.cli(to, "GET", "k"), "v");
      // The sentinels turn the old master into a replica ~10 s later.
      await eventually(
        `127.0.0.1:${from} becoming a replica`,
        async () => await setup.roleOf(from) === "slave",
        30_000,
      );

      // One sentinel gone: the others still answer.
      const gone = setup.sentinels[0];
      await gone.kill();
      assert.equal(gone.pid(), undefined);
      assert.equal(await setup.masterPort(), to);
      // Back again, it rejoins with what it knew.
      await gone.restart();
      assert.equal(
        await setup.cli(
          gone.port,
          "SENTINEL",
          "GET-MASTER-ADDR-BY-NAME",
          "mymaster",
        ),
        `127.0.0.1\n${to}`,
      );
      await setup.waitStable();
    } finally {
      await setup.stop();
    }
    await setup.stop(); // Idempotent.
    for (const node of [...setup.data, ...setup.sentinels]) {
      assert.equal(node.pid(), undefined);
    }
  },
);

test(
  "startSentinel({ password }) protects the data nodes, the sentinels know it",
  { timeout: 60_000 },
  async () => {
    const setup = await startSentinel({
      name: "secured",
      password: "s3cret",
      sentinelPassword: "sentinel-pw",
    });
    try {
      const master = await setup.masterPort();
      assert.equal(master, setup.data[0].port);
      for (const node of setup.data) {
        const [reply] = await send(node.port, [["GET", "k"]]);
        assert.ok(reply instanceof ReplyError, `${node.port} needs AUTH`);
        assert.match(reply.message, /^NOAUTH/);
        const [wrong] = await send(node.port, [["AUTH", "wrong"]]);
        assert.ok(wrong instanceof ReplyError);
        assert.match(wrong.message, /^WRONGPASS/);
        assert.deepEqual(
          await send(node.port, [["AUTH", "s3cret"], ["PING"]]),
          ["OK", "PONG"],
        );
        // cli() adds the password for data nodes.
        assert.equal(await setup.cli(node.port, "PING"), "PONG");
      }
      const [sentinelReply] = await send(setup.sentinels[0].port, [["PING"]]);
      assert.ok(sentinelReply instanceof ReplyError);
      assert.match(sentinelReply.message, /^NOAUTH/);
      assert.equal(await setup.cli(setup.sentinels[0].port, "PING"), "PONG");

      // The sentinels reconfigure the protected nodes.
      const { from, to } = await setup.failover();
      assert.equal(from, master);
      assert.equal(await setup.roleOf(to), "master");
      const other = setup.data.find((n) => n.port !== from && n.port !== to)!;
      await eventually(
        `127.0.0.1:${other.port} replicating the new master`,
        async () => {
          const info = await setup.cli(other.port, "INFO", "replication");
          return info.includes(`master_port:${to}`) &&
            info.includes("master_link_status:up");
        },
        15_000,
      );
    } finally {
      await setup.stop();
    }
  },
);
