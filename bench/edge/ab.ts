/**
 * A/B on workerd: this checkout's core client against other checkouts', in
 * one Worker and one workerd, the kinds shuffled round by round, so that
 * every checkout sees the same machine (this one is shared and noisy: two
 * runs of `startup.ts` minutes apart differ by more than most changes).
 *
 * Kinds, for each checkout:
 * - `fresh`: a new core client per connection, to its first PING reply
 *   (HELLO 3, PING), as in `startup.ts`; closed after the clock stops;
 * - `request`: open, PING and close per request, as a Worker does;
 * - `seq`: one client, 10 × `--size` PINGs one after another.
 *
 * Plus `raw` (a `connect()` that writes PING and reads `+PONG`) for scale.
 * Prints the median batch mean of each kind and each other checkout's
 * median paired ratio to this one (below 1: faster than this checkout).
 *
 *     git worktree add /tmp/before <commit>
 *     deno task bench:edge:ab /tmp/before
 *
 * `--rounds N` (default 40) rounds, `--size N` (default 50) connections or
 * requests per batch.
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import process from "node:process";
import { startRedis } from "../../tests/_redis.ts";
import { median, shuffle } from "./_rounds.ts";
import { buildWorker, startWorker } from "../../tests/edge/_workerd.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: "string", default: "40" },
    size: { type: "string", default: "50" },
  },
});
if (positionals.length === 0) {
  console.error("usage: deno task bench:edge:ab <other checkout> [...]");
  process.exit(2);
}
const rounds = Number(values.rounds);
const size = Number(values.size);
const checkouts = [
  fileURLToPath(import.meta.resolve("../..")),
  ...positionals.map((path) => resolve(path)),
];

/** The Worker: one import of core.ts per checkout. */
function workerSource(): string {
  const imports = checkouts.map((dir, i) =>
    `import * as c${i} from ${JSON.stringify(join(dir, "core.ts"))};`
  ).join("\n");
  return `${imports}
const cores = [${checkouts.map((_, i) => `c${i}`).join(", ")}];
const SOCKETS = "cloudflare:" + "sockets";
const PING = new TextEncoder().encode("*1\\r\\n$4\\r\\nPING\\r\\n");

async function raw(env, connect) {
  const socket = connect({ hostname: env.REDIS_HOST, port: Number(env.REDIS_PORT) });
  const writer = socket.writable.getWriter();
  const reader = socket.readable.getReader();
  await writer.write(PING);
  let got = 0;
  while (got < 7) {
    const { done, value } = await reader.read();
    if (done) throw new Error("Cannot read PONG as the server closed");
    got += value.length;
  }
  writer.releaseLock();
  reader.releaseLock();
  return socket;
}

async function fresh(env, core) {
  const client = core.createClient({ host: env.REDIS_HOST, port: Number(env.REDIS_PORT) });
  const reply = await client.run(core.server.ping());
  if (reply !== "PONG") throw new Error("Expected PONG, got " + reply);
  return client;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const kind = url.searchParams.get("kind");
    const size = Number(url.searchParams.get("size"));
    const { connect } = await import(SOCKETS);
    const [what, which] = kind.split(":");
    const core = cores[Number(which)];
    try {
      const open = [];
      let started = performance.now();
      let count = size;
      if (what === "raw") {
        for (let i = 0; i < size; i++) open.push(await raw(env, connect));
      } else if (what === "fresh") {
        for (let i = 0; i < size; i++) open.push(await fresh(env, core));
      } else if (what === "request") {
        for (let i = 0; i < size; i++) await (await fresh(env, core)).close();
      } else {
        const client = await fresh(env, core);
        const ping = core.server.ping();
        count = size * 10;
        started = performance.now();
        for (let i = 0; i < count; i++) await client.run(ping);
        open.push(client);
      }
      const ms = (performance.now() - started) / count;
      await Promise.all(open.map((o) => o.close()));
      return Response.json({ ms });
    } catch (error) {
      return Response.json({ error: String(error?.stack ?? error) });
    }
  },
};
`;
}

const dir = mkdtempSync(join(tmpdir(), "respool-edge-ab-"));
const entry = join(dir, "worker.js");
writeFileSync(entry, workerSource());
const server = await startRedis({ args: ["--maxclients", "10000"] });
const built = await buildWorker(entry, { minify: true });
try {
  await using worker = await startWorker(built, {
    bindings: { REDIS_HOST: server.host, REDIS_PORT: String(server.port) },
  });
  const measure = async (kind: string): Promise<number> => {
    const response = await worker.miniflare.dispatchFetch(
      `http://ab.test/?kind=${kind}&size=${size}`,
    );
    const body = await response.json() as { ms?: number; error?: string };
    if (body.ms === undefined) throw new Error(`${kind}: ${body.error}`);
    return body.ms;
  };
  const kinds = [
    "raw",
    ...["fresh", "request", "seq"].flatMap((what) =>
      checkouts.map((_, i) => `${what}:${i}`)
    ),
  ];
  for (const kind of kinds) await measure(kind); // warm-up
  const times = new Map(kinds.map((kind) => [kind, [] as number[]]));
  for (let round = 0; round < rounds; round++) {
    for (const kind of shuffle([...kinds])) {
      times.get(kind)!.push(await measure(kind));
    }
  }
  console.log(
    `workerd A/B: ${rounds} rounds, batches of ${size}, medians of batch means in ms`,
  );
  console.log(
    `  raw connect() + PING: ${median(times.get("raw")!).toFixed(3)}`,
  );
  for (const what of ["fresh", "request", "seq"]) {
    const base = times.get(`${what}:0`)!;
    console.log(`  ${what}: this checkout ${median(base).toFixed(3)}`);
    for (let i = 1; i < checkouts.length; i++) {
      const other = times.get(`${what}:${i}`)!;
      const paired = median(other.map((ms, round) => ms / base[round]));
      console.log(
        `  ${what}: ${checkouts[i]} ${median(other).toFixed(3)} (paired ${
          paired.toFixed(3)
        }x this checkout)`,
      );
    }
  }
} finally {
  built.remove();
  rmSync(dir, { recursive: true, force: true });
  await server.stop();
}
