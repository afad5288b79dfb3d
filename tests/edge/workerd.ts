/**
 * respool on the real Cloudflare Workers runtime: Workers built from
 * `mod.ts` and from `core.ts` run on workerd (from the `miniflare` npm package) against the
 * suite's redis-server. Run by `deno task test:workerd` under Node 24:
 * miniflare is a Node library. The file is not named `*_test.ts` so that
 * `deno test tests/` and `bun test ./tests/` leave it to that task.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type Client, createClient } from "../../mod.ts";
import { freePort, type RedisServer, startRedis } from "../_redis.ts";
import { makeCerts, type TestCerts } from "../_tls.ts";
import {
  buildWorker,
  type RunningWorker,
  startWorker,
  type WorkerBuild,
} from "./_workerd.ts";
import { waitFor } from "../_util.ts";

const T = { timeout: 60_000 };
const WORKER = fileURLToPath(import.meta.resolve("./_worker.ts"));
const CORE_WORKER = fileURLToPath(import.meta.resolve("./_core_worker.ts"));

async function json(
  worker: RunningWorker,
  path: string,
): Promise<Record<string, unknown>> {
  const response = await worker.miniflare.dispatchFetch(
    `http://worker.test${path}`,
  );
  const body = await response.text();
  assert.equal(response.status, 200, `${body}\n${worker.output()}`);
  return JSON.parse(body);
}

/** Connections the server has open under `name`. */
async function serverConnections(redis: Client, name: string): Promise<number> {
  const list = await redis.send(["CLIENT", "LIST"]) as string;
  return list.split("\n").filter((line) => line.includes(` name=${name} `))
    .length;
}

/** Checks what the Worker's /tour route saw: every step of a client's life. */
function checkTour(
  report: Record<string, unknown>,
  diagnostic: (message: string) => void,
): void {
  assert.equal(report.runtime, "cloudflare");
  assert.equal(report.connected, 1);
  assert.equal(report.set, "OK");
  assert.equal(report.get, "héllo from workerd");
  assert.equal(report.missing, null);
  assert.deepEqual(report.bytes, { length: 19, first: 104 });
  if (report.pipeline === "absent") {
    diagnostic("Client.pipeline() is absent: pipeline not exercised");
  } else {
    assert.deepEqual(report.pipeline, ["OK", 42, "42"]);
  }
  assert.deepEqual(report.lease, { value: "in db 1", leasedInside: 1 });
  assert.equal(report.leasedAfter, 0);
  assert.equal(report.db0, null);
  const error = report.error as Record<string, unknown>;
  assert.equal(error.name, "ReplyError");
  assert.equal(error.code, "REPLY");
  assert.equal(error.prefix, "ERR");
  assert.match(error.message as string, /^ERR value is not an integer/);
  assert.equal(error.isRedisError, true);
  assert.equal(error.isReplyError, true);
  assert.equal(report.stillWorks, "PONG");
  const after = report.afterClose as { total: number };
  assert.equal(after.total, 0);
  const useAfterClose = report.useAfterClose as Record<string, unknown>;
  assert.equal(useAfterClose.code, "CLOSED");
  assert.equal(useAfterClose.isRedisError, true);
}

describe("cloudflareTransport on workerd", () => {
  let server: RedisServer;
  let tlsServer: RedisServer;
  let certs: TestCerts;
  let built: WorkerBuild;
  let worker: RunningWorker;
  let observer: Client;

  before(async () => {
    certs = makeCerts();
    [server, tlsServer, built] = await Promise.all([
      startRedis(),
      freePort().then((port) =>
        startRedis({
          port,
          tls: { cert: certs.cert, key: certs.key, ca: certs.ca },
        })
      ),
      buildWorker(WORKER),
    ]);
    worker = await startWorker(built, {
      bindings: {
        REDIS_URL: server.url,
        REDIS_HOST: server.host,
        REDIS_PORT: String(server.port),
        CLOSED_PORT: String(await freePort()),
        REDIS_TLS_URL: `rediss://127.0.0.1:${tlsServer.port}`,
      },
      durableObjects: { HOLDER: "RedisHolder" },
    });
    observer = createClient(server.url, { pool: { max: 1 } });
  });

  after(async () => {
    await observer?.close();
    await worker?.[Symbol.asyncDispose]();
    built?.remove();
    await server?.stop();
    await tlsServer?.stop();
    certs?.cleanup();
  });

  test(
    "The Worker bundle keeps node:* out of what workerd loads",
    T,
    () => {
      const loaded = built.edgeModules.flatMap((m) => m.nodeImports);
      assert.deepEqual(loaded, []);
      const sources = built.edgeModules.flatMap((m) => Object.keys(m.inputs));
      assert.ok(sources.some((s) => s.endsWith("src/transport/cloudflare.ts")));
      assert.ok(!sources.some((s) => s.endsWith("src/transport/node.ts")));
    },
  );

  test(
    "cloudflareTransport keeps writes in order and reports close once; a new client's first command shares HELLO's write",
    T,
    async () => {
      const report = await json(worker, "/transport");
      assert.equal(report.setFirst, true);
      assert.equal(report.ordered, true);
      assert.deepEqual(report.destroyCloseCalls, [null]);
      assert.deepEqual(report.serverCloseCalls, [null]);
      assert.equal(report.quitReply, "+OK\r\n");
      assert.match(
        report.refused as string,
        /^workerd could not open the socket to 127\.0\.0\.1:\d+/,
      );
      assert.equal(report.aborted, "given up");
      assert.deepEqual(
        report.firstWrites,
        new Array(3).fill(
          "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*1\r\n$4\r\nPING\r\n",
        ),
      );
    },
  );

  test(
    "createClient() on workerd connects, runs commands, a pipeline, a lease, an error reply and close()",
    T,
    async (t) => {
      const report = await json(worker, "/tour");
      checkTour(report, (message) => t.diagnostic(message));
      assert.equal(report.finalizationRegistry, "function");
      assert.equal(report.leakTracking, true);
    },
  );

  test(
    "createClient() works on a Worker without FinalizationRegistry (compatibility date 2025-01-01), with leak tracking off",
    T,
    async (t) => {
      await using old = await startWorker(built, {
        bindings: { REDIS_URL: server.url },
        durableObjects: { HOLDER: "RedisHolder" },
        compatibilityDate: "2025-01-01",
      });
      const report = await json(old, "/tour");
      assert.equal(report.finalizationRegistry, "undefined");
      assert.equal(report.weakRef, "undefined");
      checkTour(report, (message) => t.diagnostic(message));
      assert.equal(report.leakTracking, false);
    },
  );

  test(
    "The per-request pattern closes its connection before the response, every time",
    T,
    async () => {
      await observer.del("edge:hits");
      for (let i = 1; i <= 20; i++) {
        assert.deepEqual(await json(worker, "/hit"), { hits: i });
        // Closed before the response: the server already let it go.
        assert.equal(await serverConnections(observer, "edge-hit"), 0);
      }
      const parallel = await Promise.all(
        Array.from({ length: 10 }, () => json(worker, "/hit")),
      );
      const hits = parallel.map((r) => r.hits as number).sort((a, b) => a - b);
      assert.deepEqual(hits, Array.from({ length: 10 }, (_, i) => 21 + i));
      assert.equal(await serverConnections(observer, "edge-hit"), 0);
    },
  );

  test(
    "A client kept in a Worker's global scope fails the next request with a ConnectionError",
    T,
    async () => {
      await observer.del("edge:global");
      assert.deepEqual(await json(worker, "/global"), { hits: 1 });
      // workerd ties the socket to the first request: the next one cannot
      // write to it, and an INCR is not silently sent twice.
      const second = await json(worker, "/global");
      const error = second.error as Record<string, unknown>;
      assert.equal(error?.code, "CONNECTION", JSON.stringify(second));
      assert.match(error.message as string, /may or may not have been applied/);
    },
  );

  test(
    "A Durable Object keeps its pool: requests reuse one connection",
    T,
    async () => {
      const first = await json(worker, "/holder");
      const second = await json(worker, "/holder");
      const third = await json(worker, "/holder");
      assert.equal(typeof first.clientId, "number");
      assert.equal(second.clientId, first.clientId);
      assert.equal(third.clientId, first.clientId);
      assert.deepEqual(
        [first.created, second.created, third.created],
        [1, 1, 1],
      );
    },
  );

  test(
    "rediss:// on workerd does TLS and refuses a certificate no public CA signed",
    T,
    async () => {
      const report = await json(worker, "/tls-untrusted");
      const error = report.error as Record<string, unknown>;
      assert.ok(error, "the connection must fail");
      assert.equal(error.isRedisError, true, JSON.stringify(error));
      assert.equal(error.code, "CONNECTION", JSON.stringify(error));
      assert.match(error.message as string, /TLS handshake/);
      // workerd logs why: the handshake happened and the chain was refused.
      await waitFor(
        () => /certificate is not trusted/.test(worker.output()),
        5_000,
      );
      assert.ok((report.ms as number) < 3_500, `took ${report.ms} ms`);
    },
  );

  test(
    "cloudflareTransport refuses unix sockets and the TLS options workerd cannot honour",
    T,
    async () => {
      const report = await json(worker, "/refused");
      for (const name of ["ca", "noVerify", "servername", "unix"]) {
        const error = report[name] as Record<string, unknown> | null;
        assert.ok(error, `${name} must be refused`);
        const text = JSON.stringify(error);
        assert.match(text, /Cloudflare Workers/, `${name}: ${text}`);
      }
    },
  );
});

describe("The core entry on workerd", () => {
  let server: RedisServer;
  let built: WorkerBuild;
  let worker: RunningWorker;
  let observer: Client;

  before(async () => {
    [server, built] = await Promise.all([
      startRedis(),
      buildWorker(CORE_WORKER, { minify: true }),
    ]);
    worker = await startWorker(built, {
      bindings: { REDIS_URL: server.url },
    });
    observer = createClient(server.url, { pool: { max: 1 } });
  });

  after(async () => {
    await observer?.close();
    await worker?.[Symbol.asyncDispose]();
    built?.remove();
    await server?.stop();
  });

  test(
    "The core Worker bundle leaves out node:*, the typed methods, Sentinel, the cache, tracing and the key specs",
    T,
    () => {
      const loaded = built.edgeModules.flatMap((m) => m.nodeImports);
      assert.deepEqual(loaded, []);
      const sources = new Map<string, number>();
      for (const m of built.edgeModules) {
        for (const [input, bytes] of Object.entries(m.inputs)) {
          sources.set(input, (sources.get(input) ?? 0) + bytes);
        }
      }
      const present = (pattern: RegExp) =>
        [...sources].filter(([input, bytes]) =>
          pattern.test(input) && bytes > 100
        ).map(([input]) => input);
      assert.deepEqual(
        present(
          /src\/(redis_commands|client|lease|_prefix|_client_base)\.ts$|src\/(sentinel|cache|tracing|pubsub|cluster)\/|src\/commands\/(table|_install|registry|lists|sets|streams)\.ts$|src\/batch\/(pipeline|transaction)\.ts$/,
        ),
        [],
      );
      // The command facts come without the rest of the registry's table
      // (only its list of connection effects).
      assert.ok(
        (sources.get("src/commands/_registry_data.ts") ?? 0) < 200,
        `${sources.get("src/commands/_registry_data.ts")} B of registry data`,
      );
      assert.ok(present(/src\/commands\/_facts_data\.ts$/).length === 1);
      assert.ok(present(/src\/transport\/cloudflare\.ts$/).length === 1);
      assert.ok(present(/src\/core\/client\.ts$/).length === 1);
    },
  );

  test(
    "CoreClient on workerd runs typed commands, a pipeline, a lease, the guards, an error reply and close()",
    T,
    async () => {
      const report = await json(worker, "/tour");
      assert.equal(report.runtime, "cloudflare");
      assert.equal(report.leakTracking, true);
      assert.equal(report.set, "OK");
      assert.equal(report.incr, 42);
      assert.equal(report.hset, 1);
      assert.deepEqual(report.hgetall, { a: "1" });
      assert.equal(report.raw, 2);
      assert.deepEqual(report.pipeline, [43, true, "43"]);
      assert.deepEqual(report.lease, { value: "in db 1", leased: 1 });
      assert.equal(report.leasedAfter, 0);
      assert.equal(report.db0, null);
      const select = (report.select as { error: Record<string, unknown> })
        .error;
      assert.equal(select.name, "TypeError");
      assert.match(select.message as string, /changes connection state/);
      const blocking = (report.blocking as { error: Record<string, unknown> })
        .error;
      assert.equal(blocking.code, "TIMEOUT", JSON.stringify(blocking));
      const reply = (report.replyError as { error: Record<string, unknown> })
        .error;
      assert.equal(reply.code, "REPLY");
      assert.equal(reply.isReplyError, true);
      assert.equal(report.stillWorks, "PONG");
      const refused = (report.refusedOption as {
        error: Record<string, unknown>;
      }).error;
      assert.equal(refused.name, "TypeError");
      assert.match(
        refused.message as string,
        /import createClient from "@respool\/redis"/,
      );
      assert.equal(report.afterClose, 0);
      const useAfterClose = (report.useAfterClose as {
        error: Record<string, unknown>;
      }).error;
      assert.equal(useAfterClose.code, "CLOSED");
    },
  );

  test(
    "The core per-request pattern closes its connection before the response, every time",
    T,
    async () => {
      await observer.del("core-edge:hits");
      for (let i = 1; i <= 10; i++) {
        assert.deepEqual(await json(worker, "/hit"), { hits: i });
        assert.equal(await serverConnections(observer, "core-edge-hit"), 0);
      }
    },
  );
});
