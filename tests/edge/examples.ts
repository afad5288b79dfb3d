/**
 * Runs each example in `examples/` against the suite's redis-server: the
 * Deno, Bun and Node servers as child processes on a free port, the Worker
 * and the Durable Object on workerd. One HTTP request each, checked, then
 * stopped. Run by `deno task test:examples` under Node 24; not named
 * `*_test.ts` so that `deno test tests/` and `bun test ./tests/` leave it to
 * that task.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { type Client, createClient } from "../../mod.ts";
import { freePort, type RedisServer, startRedis } from "../_redis.ts";
import {
  devRuntime,
  startProcess,
  stopProcess,
  waitForOutput,
} from "../_process.ts";
import { readmeBlocks, writeBlock } from "../_readme.ts";
import { buildWorker, startWorker } from "./_workerd.ts";

const T = { timeout: 120_000 };
const examples = (name: string) =>
  fileURLToPath(import.meta.resolve(`../../examples/${name}`));

describe("examples/ against a real redis-server", () => {
  let server: RedisServer;
  let redis: Client;

  before(async () => {
    server = await startRedis();
    redis = createClient(server.url);
  });

  after(async () => {
    await redis?.close();
    await server?.stop();
  });

  const servers: [string, string, () => string[]][] = [
    [
      "deno",
      "deno.ts",
      () => [
        devRuntime("deno"),
        "run",
        "--allow-net",
        "--allow-env",
        examples("deno.ts"),
      ],
    ],
    ["bun", "bun.ts", () => [devRuntime("bun"), examples("bun.ts")]],
    ["node", "node.ts", () => [process.execPath, examples("node.ts")]],
  ];
  for (const [runtime, file, command] of servers) {
    test(
      `examples/${file} answers a request with the hit count and stops on SIGTERM`,
      T,
      async () => {
        const started = startProcess(command(), {
          env: { REDIS_URL: server.url, PORT: String(await freePort()) },
        });
        try {
          const [, url] = await waitForOutput(
            started,
            /listening on (http:\/\/\S+)\r?\n/,
            60_000,
          );
          const response = await fetch(url);
          const body = await response.json();
          assert.equal(body.runtime, runtime, started.output());
          assert.equal(body.hits, Number(await redis.get("example:hits")));
        } finally {
          const code = await stopProcess(started);
          // The examples close their pool and exit on their own.
          assert.equal(code, 0, started.output());
        }
      },
    );
  }

  test(
    "examples/worker.ts answers on workerd with a client per request",
    T,
    async () => {
      const built = await buildWorker(examples("worker.ts"));
      try {
        await using worker = await startWorker(built, {
          bindings: { REDIS_URL: server.url },
        });
        const response = await worker.miniflare.dispatchFetch("http://w.test/");
        const body = await response.json() as Record<string, unknown>;
        assert.equal(body.runtime, "cloudflare", worker.output());
        assert.equal(body.hits, Number(await redis.get("example:hits")));
      } finally {
        built.remove();
      }
    },
  );

  test(
    "examples/durable_object.ts keeps one connection across requests",
    T,
    async () => {
      const built = await buildWorker(examples("durable_object.ts"));
      try {
        await using worker = await startWorker(built, {
          bindings: { REDIS_URL: server.url },
          durableObjects: { COUNTER: "RedisCounter" },
        });
        const first = await (await worker.miniflare.dispatchFetch(
          "http://w.test/",
        )).json() as Record<string, number>;
        const second = await (await worker.miniflare.dispatchFetch(
          "http://w.test/",
        )).json() as Record<string, number>;
        assert.equal(second.hits, first.hits + 1, worker.output());
        assert.equal(first.connectionsCreated, 1);
        assert.equal(second.connectionsCreated, 1);
        assert.equal(second.connectionsOpen, 1);
      } finally {
        built.remove();
      }
    },
  );

  // The README's Worker and Durable Object blocks, as the README shows them.
  for (const block of readmeBlocks()) {
    const mode = block.mode;
    if (
      mode.kind === "process" || mode.kind === "cluster" ||
      mode.kind === "sentinel"
    ) continue;
    test(
      `README block ${block.index} (${block.section}, line ${block.line}) answers on workerd`,
      T,
      async () => {
        const module = writeBlock(block, server.url);
        let entry = module.file;
        if (mode.kind === "durable-object") {
          // A Worker in front of the class: every request to one instance.
          entry = join(dirname(module.file), "entry.ts");
          writeFileSync(
            entry,
            `export { ${mode.className} } from ${JSON.stringify(module.file)};
export default {
  fetch(request: Request, env: { OBJECT: { idFromName(n: string): unknown; get(id: unknown): { fetch(r: Request): Promise<Response> } } }) {
    return env.OBJECT.get(env.OBJECT.idFromName("one")).fetch(request);
  },
};
`,
          );
        }
        const built = await buildWorker(entry);
        try {
          await using worker = await startWorker(built, {
            bindings: { REDIS_URL: server.url },
            durableObjects: mode.kind === "durable-object"
              ? { OBJECT: mode.className }
              : undefined,
          });
          const before = Number(await redis.get("hits"));
          for (let i = 1; i <= 2; i++) {
            const response = await worker.miniflare.dispatchFetch(
              "http://w.test/",
            );
            const body = await response.json() as Record<string, unknown>;
            assert.deepEqual(body, { hits: before + i }, worker.output());
          }
        } finally {
          built.remove();
          module.remove();
        }
      },
    );
  }
});
