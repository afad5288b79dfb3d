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
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { type Client, createClient } from "../../mod.ts";
import { freePort, type RedisServer, startRedis } from "../_redis.ts";
import { buildWorker, startWorker } from "./_workerd.ts";

const T = { timeout: 120_000 };
const examples = (name: string) =>
  fileURLToPath(import.meta.resolve(`../../examples/${name}`));

/** The command that runs `tool` here: on PATH, else through npx. */
function runner(tool: "deno" | "bun", version: string): string[] {
  const found = spawnSync(tool, ["--version"], { stdio: "ignore" });
  return found.status === 0 ? [tool] : ["npx", "-y", `${tool}@${version}`];
}

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
}

/** Starts a server example and waits for its "listening on" line. */
function startServer(
  command: string[],
  env: Record<string, string>,
): Promise<Started> {
  const [program, ...args] = command;
  const child = spawn(program, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command.join(" ")} did not start:\n${output}`));
    }, 60_000);
    const onData = (chunk: Uint8Array) => {
      output += new TextDecoder().decode(chunk);
      const match = output.match(/listening on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1], output: () => output });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(
        new Error(`${command.join(" ")} exited with ${code}:\n${output}`),
      );
    });
  });
}

/** Sends SIGTERM and waits for the example to exit by itself. */
function stopServer(started: Started): Promise<number | null> {
  const { child } = started;
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill("SIGTERM");
  });
}

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
        ...runner("deno", "2.9.6"),
        "run",
        "--allow-net",
        "--allow-env",
        examples("deno.ts"),
      ],
    ],
    ["bun", "bun.ts", () => [...runner("bun", "1.4.5"), examples("bun.ts")]],
    ["node", "node.ts", () => [process.execPath, examples("node.ts")]],
  ];
  for (const [runtime, file, command] of servers) {
    test(
      `examples/${file} answers a request with the hit count and stops on SIGTERM`,
      T,
      async () => {
        const started = await startServer(command(), {
          REDIS_URL: server.url,
          PORT: String(await freePort()),
        });
        try {
          const response = await fetch(started.url);
          const body = await response.json();
          assert.equal(body.runtime, runtime, started.output());
          assert.equal(body.hits, Number(await redis.get("example:hits")));
        } finally {
          const code = await stopServer(started);
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
});
