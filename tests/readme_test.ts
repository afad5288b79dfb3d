/**
 * Runs the README's code blocks against a real redis-server, so that an
 * example in the README cannot break unnoticed. Blocks marked for workerd
 * run in tests/edge/examples.ts.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient } from "../mod.ts";
import { type RedisServer, startRedis } from "./_redis.ts";
import { type ReadmeBlock, readmeBlocks, writeBlock } from "./_readme.ts";
import { type RedisCluster, startCluster } from "./_cluster.ts";
import { type SentinelSetup, startSentinel } from "./_sentinel.ts";
import { waitFor } from "./_util.ts";

const T = { timeout: 30_000 };

describe("README code blocks against a real redis-server", () => {
  let server: RedisServer;
  let admin: Client;

  before(async () => {
    server = await startRedis();
    admin = createClient(server.url);
  });

  after(async () => {
    await admin?.close();
    await server?.stop();
  });

  const blocks = readmeBlocks();

  test("README.md has TypeScript blocks, each run by a test", () => {
    assert.ok(blocks.length >= 5, `found ${blocks.length} blocks`);
    for (const block of blocks) {
      assert.ok(
        ["process", "workerd", "durable-object", "cluster", "sentinel"]
          .includes(
            block.mode.kind,
          ),
        `README.md:${block.line}`,
      );
    }
  });

  for (const block of blocks) {
    if (block.mode.kind !== "process") continue;
    test(
      `README block ${block.index} (${block.section}, line ${block.line}) runs`,
      T,
      async () => {
        await admin.send(["FLUSHALL"]);
        await runBlock(block, server.url);
        // Every block closes what it opened (await using): the server is
        // left with only the admin connection.
        let clients = "";
        await waitFor(async () => {
          clients = await admin.send(["CLIENT", "LIST"]) as string;
          return clients.trim().split("\n").length === 1;
        }, 2_000).catch(() => {
          assert.fail(
            `README.md:${block.line} left connections open:\n${clients}`,
          );
        });
      },
    );
  }
});

describe("README cluster blocks against a real Redis Cluster", () => {
  const blocks = readmeBlocks().filter((b) => b.mode.kind === "cluster");
  let cluster: RedisCluster;

  before(async () => {
    if (blocks.length > 0) cluster = await startCluster({ nodeTimeout: 5_000 });
  }, { timeout: 60_000 });

  after(async () => {
    await cluster?.stop();
  }, { timeout: 60_000 });

  for (const block of blocks) {
    test(
      `README cluster block ${block.index} (${block.section}, line ${block.line}) runs`,
      T,
      async () => {
        for (const node of cluster.nodes) {
          await cluster.cli(node.port, "FLUSHALL").catch(() => {});
        }
        await runBlock(block, cluster.seeds[0]);
        // Every block closes what it opened: each node is left with no
        // client but the cluster bus.
        await waitFor(async () => {
          for (const node of cluster.nodes) {
            const list = await cluster.cli(
              node.port,
              "CLIENT",
              "LIST",
              "TYPE",
              "normal",
            );
            // redis-cli's own connection is the only one.
            if (list.trim().split("\n").length > 1) return false;
          }
          return true;
        }, 5_000).catch(() => {
          assert.fail(`README.md:${block.line} left connections open`);
        });
      },
    );
  }
});

describe("README sentinel blocks against a real Sentinel setup", () => {
  const blocks = readmeBlocks().filter((b) => b.mode.kind === "sentinel");
  let setup: SentinelSetup;

  before(async () => {
    if (blocks.length > 0) setup = await startSentinel();
  }, { timeout: 60_000 });

  after(async () => {
    await setup?.stop();
  }, { timeout: 60_000 });

  for (const block of blocks) {
    test(
      `README sentinel block ${block.index} (${block.section}, line ${block.line}) runs`,
      T,
      async () => {
        await runBlock(block, setup.sentinelUrls[0]);
        // Every block closes what it opened: no connection but the
        // sentinels' own (named sentinel-...) and redis-cli's is left.
        const ports = [...setup.data, ...setup.sentinels].map((n) => n.port);
        await waitFor(async () => {
          for (const port of ports) {
            const list = [
              await setup.cli(port, "CLIENT", "LIST", "TYPE", "normal"),
              await setup.cli(port, "CLIENT", "LIST", "TYPE", "pubsub"),
            ].join("\n");
            const others = list.trim().split("\n").filter((line) =>
              line !== "" && !line.includes("name=sentinel-") &&
              !line.includes("cmd=client|list")
            );
            if (others.length > 0) return false;
          }
          return true;
        }, 5_000).catch(() => {
          assert.fail(`README.md:${block.line} left connections open`);
        });
      },
    );
  }
});

/** Imports a block as a module; its output is shown only when it fails. */
async function runBlock(block: ReadmeBlock, url: string): Promise<void> {
  const module = writeBlock(block, url);
  // The block's own console output would clutter the test report: keep
  // it, and show it only when the block fails.
  const printed: string[] = [];
  const log = console.log;
  const warn = console.warn;
  console.log = console.warn = (...args: unknown[]) => {
    printed.push(args.map(String).join(" "));
  };
  try {
    await import(module.url);
  } catch (error) {
    throw new Error(
      `README.md:${block.line} failed: ${
        (error as Error)?.stack ?? error
      }\nIt printed:\n${printed.join("\n")}`,
      { cause: error },
    );
  } finally {
    console.log = log;
    console.warn = warn;
    module.remove();
  }
}
