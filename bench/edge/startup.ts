/**
 * Start-up on workerd: time from request start to the first PING reply with
 * a fresh respool client (the full one from mod.ts and the core one from
 * core.ts), against a raw `connect()` that writes PING and reads `+PONG`.
 * Targets: the full client at most 1.2 times the raw socket, the core
 * client at most 1.5 times. The `per request` rows time what a Worker's
 * request does with a connection, closing included: open, PING, close.
 *
 * Run with `deno task bench:edge` (Node 24 runs it: miniflare is a Node
 * library). `--rounds N` (default 40) batches per kind, `--size N`
 * (default 50) connections per batch.
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { startRedis } from "../../tests/_redis.ts";
import { quantile, shuffle } from "./_rounds.ts";
import {
  buildWorker,
  type RunningWorker,
  startWorker,
  type WorkerBuild,
} from "../../tests/edge/_workerd.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "40" },
    size: { type: "string", default: "50" },
    cold: { type: "string", default: "5" },
  },
});
const rounds = Number(values.rounds);
const size = Number(values.size);
const coldRuns = Number(values.cold);
const KINDS = [
  "raw",
  "transport",
  "resp3",
  "resp2",
  "core",
  "core2",
  "request-raw",
  "request-core",
] as const;
type Kind = typeof KINDS[number];
const LABELS: Record<Kind, string> = {
  raw: "raw connect() + PING",
  transport: "cloudflareTransport alone + PING",
  resp3: "createClient() + ping() (default: HELLO 3, then PING)",
  resp2: "createClient({ protocol: 2 }) + ping() (no handshake)",
  core: "core createClient() + run(server.ping()) (HELLO 3, PING)",
  core2: "core createClient({ protocol: 2 }) + run(server.ping())",
  "request-raw": "per request: raw connect(), PING, await close()",
  "request-core": "per request: core client, run(server.ping()), await using",
};
const perKind = () =>
  Object.fromEntries(KINDS.map((kind) => [kind, [] as number[]])) as Record<
    Kind,
    number[]
  >;

async function measure(
  worker: RunningWorker,
  kind: Kind,
  batchSize: number,
): Promise<number> {
  const response = await worker.miniflare.dispatchFetch(
    `http://bench.test/?kind=${kind}&size=${batchSize}`,
  );
  const body = await response.json() as { ms?: number; error?: string };
  if (body.ms === undefined) {
    throw new Error(`${kind}: ${body.error}\n${worker.output()}`);
  }
  return body.ms;
}

const server = await startRedis({ args: ["--maxclients", "10000"] });
let built: WorkerBuild | undefined;
try {
  built = await buildWorker(
    fileURLToPath(import.meta.resolve("./_startup_worker.ts")),
    { minify: true },
  );
  const bindings = {
    REDIS_HOST: server.host,
    REDIS_PORT: String(server.port),
  };

  // Cold: a fresh workerd per sample, one connection, the first request.
  // Its clock has whole-millisecond steps, so these are rough.
  const cold = perKind();
  for (let run = 0; run < coldRuns; run++) {
    for (const kind of KINDS) {
      await using worker = await startWorker(built, { bindings });
      cold[kind].push(await measure(worker, kind, 1));
    }
  }

  await using worker = await startWorker(built, { bindings });
  for (const kind of KINDS) {
    for (let i = 0; i < 5; i++) await measure(worker, kind, size);
  }
  const warm = perKind();
  for (let round = 0; round < rounds; round++) {
    for (const kind of shuffle([...KINDS])) {
      warm[kind].push(await measure(worker, kind, size));
    }
  }

  const median = Object.fromEntries(KINDS.map((kind) => [kind, 0])) as Record<
    Kind,
    number
  >;
  console.log(
    `workerd start-up to first PING reply: ${rounds} batches of ${size} fresh connections per kind, batch means in ms`,
  );
  for (const kind of KINDS) {
    const sorted = warm[kind].sort((a, b) => a - b);
    median[kind] = quantile(sorted, 0.5);
    const coldSorted = cold[kind].sort((a, b) => a - b);
    console.log(
      `  ${LABELS[kind].padEnd(56)} median ${median[kind].toFixed(3)}  p10 ${
        quantile(sorted, 0.1).toFixed(3)
      }  p90 ${quantile(sorted, 0.9).toFixed(3)}  cold first request median ${
        coldSorted.length ? quantile(coldSorted, 0.5).toFixed(0) : "-"
      } ms`,
    );
  }
  const ratio = median.resp3 / median.raw;
  const ratio2 = median.resp2 / median.raw;
  console.log(
    `ratio (client / raw, medians): default RESP3 ${
      ratio.toFixed(2)
    }x, protocol 2 ${ratio2.toFixed(2)}x (target <= 1.2x)`,
  );
  console.log(
    `ratio (core client / raw, medians): default RESP3 ${
      (median.core / median.raw).toFixed(2)
    }x, protocol 2 ${(median.core2 / median.raw).toFixed(2)}x (target <= 1.5x)`,
  );
  console.log(
    `ratio (per request, core client / raw, medians): ${
      (median["request-core"] / median["request-raw"]).toFixed(2)
    }x`,
  );
} finally {
  built?.remove();
  await server.stop();
}
