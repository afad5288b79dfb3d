import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type Client, createClient } from "../mod.ts";
import { runVariant } from "../demo/compare.ts";
import { runLeakAct } from "../demo/leak.ts";
import { serve } from "../demo/runtime.ts";
import {
  createService,
  dataKey,
  prepareUsers,
  sessionKey,
  type Variant,
} from "../demo/service.ts";
import { type RedisServer, startRedis } from "./_redis.ts";
import { startProcess, stopProcess } from "./_process.ts";

const T = { timeout: 60_000 };
/** How the test runs the demo end to end, per runtime. */
const demoCommand = "Bun" in globalThis
  ? ["demo/main.ts"]
  : "Deno" in globalThis
  ? ["task", "demo"]
  : ["--expose-gc", "demo/main.ts"];
const demoName = "Bun" in globalThis
  ? "bun demo/main.ts"
  : "Deno" in globalThis
  ? "deno task demo"
  : "node --expose-gc demo/main.ts";

/** INFO stats total_connections_received. */
async function connectionsReceived(admin: Client): Promise<number> {
  const info = await admin.info("stats");
  return Number(info.stats.total_connections_received);
}

describe("demo against a real redis-server", () => {
  let server: RedisServer;
  let admin: Client;

  before(async () => {
    server = await startRedis();
    admin = createClient(server.url, { pool: { max: 1 } });
    await admin.ping();
  });

  after(async () => {
    await admin.close();
    await server.stop();
  });

  for (const variant of ["naive", "pooled", "leased"] as Variant[]) {
    test(
      `createService("${variant}") serves /api/data cache-aside: a miss sets user_data with EX 3600, then a hit`,
      T,
      async () => {
        await prepareUsers(admin, 3);
        await admin.del(sessionKey(99), dataKey(99));
        await using service = createService({ url: server.url, variant });
        await using http = await serve(service.handle);
        const get = async (query: string) => {
          const response = await fetch(`${http.url}/api/data?${query}`);
          return { status: response.status, body: await response.json() };
        };

        const miss = await get("user=2");
        assert.equal(miss.status, 200);
        assert.equal(miss.body.source, "db");
        assert.deepEqual(miss.body.data, {
          id: 2,
          name: "user 2",
          plan: "free",
        });
        const ttl = await admin.ttl(dataKey(2));
        assert.ok(ttl > 3590 && ttl <= 3600, `TTL ${ttl} is about 3600`);
        assert.deepEqual(
          JSON.parse(await admin.get(dataKey(2)) ?? "null"),
          miss.body.data,
        );

        const hit = await get("user=2");
        assert.equal(hit.status, 200);
        assert.equal(hit.body.source, "cache");
        assert.deepEqual(hit.body.data, miss.body.data);

        const noSession = await get("user=99");
        assert.equal(noSession.status, 401);
        assert.equal(await admin.get(dataKey(99)), null);
        assert.equal((await get("user=abc")).status, 400);
      },
    );
  }

  test(
    'runVariant("naive") opens one Redis connection per request',
    T,
    async () => {
      const before = await connectionsReceived(admin);
      const result = await runVariant({
        url: server.url,
        variant: "naive",
        poolMax: 10,
        requests: 200,
        concurrency: 10,
        durationMs: 50_000,
        users: 50,
      });
      const opened = await connectionsReceived(admin) - before;
      assert.equal(result.requests, 200);
      assert.equal(result.errors, 0);
      assert.equal(result.connectionsAccepted, 200);
      // Seen from outside: the 200 plus the run's own monitoring connection.
      assert.equal(opened, 200 + 1);
      // At most one open connection per worker (10). The server counts a
      // connection until it reads the client's FIN: one a request just
      // closed may still be counted next to the one the worker's next
      // request opened.
      assert.ok(
        result.peakConnected >= 1 && result.peakConnected <= 2 * 10,
        `peak connected ${result.peakConnected}`,
      );
    },
  );

  for (const variant of ["pooled", "leased"] as Variant[]) {
    test(
      `runVariant("${variant}") never opens more than pool.max connections`,
      T,
      async () => {
        const poolMax = 3;
        const before = await connectionsReceived(admin);
        const result = await runVariant({
          url: server.url,
          variant,
          poolMax,
          requests: 1_000,
          concurrency: 200,
          durationMs: 50_000,
          users: 100,
        });
        const opened = await connectionsReceived(admin) - before;
        assert.equal(result.requests, 1_000);
        assert.equal(result.errors, 0);
        assert.ok(result.connectionsAccepted >= 1);
        assert.ok(
          result.connectionsAccepted <= poolMax,
          `${result.connectionsAccepted} connections`,
        );
        assert.ok(result.peakConnected <= poolMax);
        assert.ok(opened <= poolMax + 1, `${opened} connections seen`);
      },
    );
  }

  test(
    "runLeakAct() reports each leaked lease with its acquire stack and reclaims the slots",
    T,
    async () => {
      const lines: string[] = [];
      const result = await runLeakAct({
        url: server.url,
        monitorEveryMs: 100,
        log: (line) => lines.push(line),
      });
      assert.ok(
        result.gc,
        "GC can be forced (Deno: --v8-flags=--expose-gc, Node: --expose-gc)",
      );
      assert.equal(result.leaked, 5);
      assert.equal(result.events.length, 5);
      for (const event of result.events) {
        assert.match(event.stack, /leakyUserData/);
        assert.match(event.stack, /demo[\\/]service\.ts/);
      }
      assert.equal(result.before.leased + result.before.leaks, 5);
      assert.equal(result.after.leased, 0);
      assert.equal(result.after.leaks, 5);
      if (result.before.leaks === 0) assert.ok(result.warnings >= 1);
      const output = lines.join("\n");
      assert.match(output, /leak event x5/);
      assert.match(output, /at leakyUserData \(demo[\\/]service\.ts:\d+:\d+\)/);
      assert.match(output, /reclaimed all 5 slots/);
    },
  );
});

test(
  `${demoName} --requests 200 prints the table and stops its redis-server`,
  T,
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "respool-demo-test-"));
    try {
      const out = join(dir, "chart.svg");
      const flags = ["--requests", "200", "--out", out];
      const args = [...demoCommand, ...flags];
      const demo = startProcess([process.execPath, ...args], {
        env: { NO_COLOR: "1", REDIS_URL: undefined },
      });
      const timer = setTimeout(() => stopProcess(demo), 50_000);
      const code = await demo.exited;
      clearTimeout(timer);
      const stdout = demo.output();
      assert.equal(code, 0, `exit code ${code}\n${stdout}`);
      assert.match(
        stdout,
        /^variant +requests +req\/s +p50 ms +p95 ms +p99 ms +errors +conns accepted +peak connected$/m,
      );
      assert.match(stdout, /^naive +200 +\d+ .* 0 +200 +\d+$/m);
      assert.match(stdout, /^pooled +200 +\d+ .* 0 +[1-9]\d* +\d+$/m);
      assert.match(stdout, /leak event x5/);
      assert.ok(existsSync(out), "the chart was written");
      assert.ok(stdout.includes(`chart written to ${out}`));
      const port = Number(
        stdout.match(/redis-server started on 127\.0\.0\.1:(\d+)/)?.[1],
      );
      assert.ok(port > 0, "the demo says which port its server uses");
      assert.match(
        stdout,
        new RegExp(`redis-server on 127.0.0.1:${port} stopped`),
      );
      assert.equal(await accepts(port), false, "the demo's server is gone");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  `${demoName} --cluster --requests 200 prints each node's stats and stops its cluster`,
  T,
  async () => {
    const args = [...demoCommand, "--cluster", "--requests", "200"];
    const demo = startProcess([process.execPath, ...args], {
      env: { NO_COLOR: "1", REDIS_URL: undefined },
    });
    const timer = setTimeout(() => stopProcess(demo), 50_000);
    const code = await demo.exited;
    clearTimeout(timer);
    const stdout = demo.output();
    assert.equal(code, 0, `exit code ${code}\n${stdout}`);
    const started = stdout.match(
      /^redis cluster started: 3 primaries \(no replicas\) on (.+)$/m,
    );
    assert.ok(started, `the demo says where its nodes are\n${stdout}`);
    const addresses = started[1].split(", ");
    assert.equal(addresses.length, 3);
    assert.match(
      stdout,
      /^variant +requests +req\/s +p50 ms +p95 ms +p99 ms +errors +conns accepted +peak connected$/m,
    );
    // At least one connection per request: a cluster client per request.
    const naiveRow = stdout.match(/^naive +200 +\d+ .* 0 +(\d+) +\d+$/m);
    assert.ok(naiveRow, `the naive row\n${stdout}`);
    const naiveConns = Number(naiveRow[1]);
    assert.ok(naiveConns >= 200, `${naiveConns} naive connections`);
    assert.match(stdout, /^pooled +200 +\d+ .* 0 +[1-9]\d* +\d+$/m);
    assert.match(
      stdout,
      /^node +slots +conns created +open +idle +peak in flight +GET\/SET served$/m,
    );
    const rows = [
      ...stdout.matchAll(
        /^(127\.0\.0\.1:\d+) +(\d+)-(\d+) +([1-9]\d*) +\d+ +\d+ +\d+ +(\d+)$/gm,
      ),
    ];
    assert.deepEqual(rows.map((row) => row[1]), addresses);
    assert.deepEqual(
      rows.map((row) => [Number(row[2]), Number(row[3])]),
      [[0, 5460], [5461, 10921], [10922, 16383]],
    );
    // 200 requests: 200 session GETs, plus 200 GETs or GET + SET for data.
    const served = rows.reduce((sum, row) => sum + Number(row[5]), 0);
    assert.ok(served >= 400 && served <= 600, `${served} GET/SET served`);
    assert.match(
      stdout,
      /^pooled: 1 cluster client, topology queries [1-9]\d*, redirections 0, connections created [1-9]\d*$/m,
    );
    // What the naive clients counted is what the nodes accepted.
    assert.match(
      stdout,
      new RegExp(
        `^naive: 200 cluster clients, topology queries [1-9]\\d*, redirections 0, connections created ${naiveConns}$`,
        "m",
      ),
    );
    assert.ok(
      stdout.includes(`redis cluster on ${started[1]} stopped`),
      "the demo stopped its cluster",
    );
    for (const address of addresses) {
      const port = Number(address.split(":")[1]);
      assert.equal(await accepts(port), false, `${address} is gone`);
    }
  },
);

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
