/**
 * Memory against issue 17's goals, on one redis-server this process starts
 * on a free loopback port (and stops). Runs unchanged on Deno and Bun:
 *
 * ```sh
 * deno task bench:memory      # deno run -A --v8-flags=--expose-gc,--no-flush-bytecode bench/memory.ts
 * deno task bench:memory:bun  # BUN_JSC_forceCodeBlockToJettisonDueToOldAge=1 bun bench/memory.ts
 * ```
 *
 * Both runtimes throw
 * away compiled code that has not run for a while, on a timer of their own:
 * left alone, the peers' code compiled in one part is dropped in the middle
 * of a later one, and a reading falls by megabytes that no client freed. On
 * Deno, `--no-flush-bytecode` keeps it; on Bun, the JSC option drops it at
 * every full GC, before every reading. Either way no difference of two
 * readings holds code compiled or dropped for another part.
 *
 * Every figure is a difference of two readings of `process.memoryUsage()`,
 * each taken after yielding to the event loop (20 ms) and forcing a full GC
 * (Deno: `gc()` under `--expose-gc`; Bun: `Bun.gc(true)`) until two
 * readings in a row agree within 32 KiB:
 *
 * - **Bytes per idle connection.** Baseline, then N connections opened
 *   (`BENCH_CONNECTIONS`, 200), each of which has answered a PING (checked
 *   on the server: `INFO clients` counts exactly N more connections and
 *   `CLIENT LIST` shows `cmd=ping` on N of them; a pool that spread a
 *   tick's N PINGs over fewer connections PINGs again), then the reading
 *   again; the difference ÷ N. respool twice: N clients with the default options
 *   (each opens one connection: what the peers pay, a whole client per
 *   connection) and one client whose pool holds the N (`pool: { min: N,
 *   max: N }`: how respool holds N connections). The peers as a user makes
 *   them (the constructors and options of _clients.ts): N ioredis instances,
 *   N node-redis clients, one node-redis `createClientPool` of N, on Bun N
 *   of its `RedisClient`.
 * - **Bytes per in-flight command.** One client with one connection (respool
 *   `pool: { max: 1 }`), connected and warmed by a round trip; baseline;
 *   the server stopped with SIGSTOP (its pid from `INFO server`); M commands
 *   issued without awaiting (`BENCH_INFLIGHT`, 10,000: GETs of one key, or
 *   SETs of a 100-byte value), their promises kept in an array allocated
 *   before the baseline; 100 ms for the writes to reach the socket; the
 *   reading; the difference ÷ M. Then SIGCONT, and every reply is awaited
 *   and checked. The kernel keeps accepting bytes for the stopped server
 *   until its socket buffers fill; what it does not take stays in the
 *   client's write queue and is counted. respool's `commandTimeout` is set
 *   to 60 s (the default 10 s uses the same code path, a deadline per
 *   command and one timer per connection) so a slow machine cannot time
 *   commands out while the server is stopped; the peers have no command
 *   timeout by default.
 * - **Heap over 10M commands.** Run first, before the peers' modules are
 *   even imported (what earlier parts leave behind is freed over the next
 *   seconds and would show as a shrinking heap). A fresh respool client
 *   with the default options sends `BENCH_HEAP_TOTAL` (10,000,000) GETs from 100 concurrent
 *   callers (or, when a probe says that would take longer than
 *   `BENCH_HEAP_MAX_S`, 60 s, pipelines of 100 from 100 callers); the heap
 *   is read after every tenth of them; growth is the last reading against
 *   the one after the first tenth.
 *
 * The idle and in-flight parts run `BENCH_ROUNDS` (3) rounds, the clients
 * interleaved in an order rotated each round; each figure is the median of
 * the rounds. Three quantities per measurement: `heapUsed` (the issue's
 * measure), heap + buffers (Deno: `heapUsed + external`, as V8 keeps
 * ArrayBuffer contents outside its heap; Bun: `heapUsed`, which already
 * counts them) and RSS (noisier: pages are committed lazily and freed
 * memory is not always returned).
 *
 * The figures go to bench/memory_results.json, one entry per runtime (the
 * other runtime's entry is kept), which `deno task bench:report` (or
 * `deno task bench:report:sections`) renders into bench/RESULTS.md.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import process from "node:process";
import type { Redis as IORedis } from "ioredis";
import { type Client, createClient } from "../mod.ts";
import { type RedisServer, startRedis } from "../tests/_redis.ts";
import { median } from "./_harness.ts";
import { describePinning, pinSelf, pinServer } from "./_pin.ts";
import {
  env,
  packageVersion,
  redisVersion,
  respoolVersion,
  runMain,
  runtime,
  saveRuntimeResults,
} from "./_meta.ts";
import { GOALS, type MemoryFigure, type MemoryRun } from "./_memory_render.ts";

const RESULTS_FILE = fileURLToPath(
  new URL("./memory_results.json", import.meta.url).href,
);
const KEY = "bench:memory:key";
const VALUE = "v".repeat(100);
const CALLERS = 100;
const PIPELINE = 100;

/** The part of Bun's built-in client this bench uses. */
interface BunRedisClient {
  connect(): Promise<void>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  send(command: string, args: string[]): Promise<unknown>;
  close(): void;
}
const bun = (globalThis as {
  Bun?: {
    version: string;
    gc(full: boolean): void;
    RedisClient: new (url: string) => BunRedisClient;
  };
}).Bun;

/**
 * On Bun, JSC throws away the compiled code of functions that have not run
 * for a while (10–30 s), at a time of its choosing: the heap falls by up to
 * a megabyte in the middle of a measurement. With this option it does so at
 * every full GC instead, so that every reading is taken without code that
 * is not running.
 */
const BUN_JSC_OPTION = "BUN_JSC_forceCodeBlockToJettisonDueToOldAge";

function forceGc(): void {
  if (bun) {
    if (process.env[BUN_JSC_OPTION] !== "1") {
      throw new Error(
        `Cannot measure on Bun without ${BUN_JSC_OPTION}=1 (deno task bench:memory:bun)`,
      );
    }
    return bun.gc(true);
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    throw new Error(
      "Cannot force a GC: run Deno with --v8-flags=--expose-gc,--no-flush-bytecode (deno task bench:memory)",
    );
  }
  gc();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One reading, after yielding and full GCs. */
interface Reading {
  heap: number;
  external: number;
  rss: number;
  /** What the engine reserved for its heap (`heapTotal`). */
  total: number;
}

async function collect(): Promise<Reading> {
  await sleep(20);
  forceGc();
  const m = process.memoryUsage();
  return {
    heap: m.heapUsed,
    external: m.external,
    rss: m.rss,
    total: m.heapTotal,
  };
}

/** Bytes two readings may differ by and still count as the same. */
const STABLE = 32 * 1024;

/**
 * A reading once the heap holds still: yield and GC until two readings in
 * a row agree within {@linkcode STABLE} (at most 20 times). Sockets closed
 * just before (and their clients) are let go over a few turns of the event
 * loop; a single GC would count them in one reading and not the next.
 */
async function reading(): Promise<Reading> {
  let last = await collect();
  for (let i = 0; i < 20; i++) {
    const next = await collect();
    if (
      Math.abs(next.heap - last.heap) < STABLE &&
      Math.abs(next.external - last.external) < STABLE
    ) return next;
    last = next;
  }
  return last;
}

/**
 * Waits (up to 8 s) until the heap is back within 256 KiB of `target`, the
 * reading before an in-flight measurement. A client may hold memory for
 * seconds after it closed (on Deno, about 5 MB after node-redis's in-flight
 * runs, freed 4–5 s later); freed in the middle of the next measurement, it
 * would read as a negative cost there. (Not after the idle measurements,
 * which on Deno leave about 1 MB until later work replaces it, nor in the
 * warm-up, whose first runs grow the heap for good: compiled code.)
 */
async function backTo(target: Reading | undefined, what: string) {
  if (target === undefined) return;
  const deadline = performance.now() + 8_000;
  let heap = 0;
  while (performance.now() < deadline) {
    heap = (await collect()).heap;
    if (heap <= target.heap + 256 * 1024) return;
    await sleep(80);
  }
  console.log(
    `  (after ${what}, the heap stayed ${
      ((heap - target.heap) / 1024).toFixed(0)
    } KiB above its reading before)`,
  );
}

/** Per-unit difference: heap, heap + buffers, RSS. */
function perUnit(before: Reading, after: Reading, units: number) {
  const heap = (after.heap - before.heap) / units;
  // Bun's heapUsed already counts ArrayBuffer contents; V8's does not.
  const buffers = bun
    ? heap
    : heap + (after.external - before.external) / units;
  return { heap, buffers, rss: (after.rss - before.rss) / units };
}

type Sample = ReturnType<typeof perUnit>;

/** N open connections, each of which has answered a PING. */
interface Fleet {
  pingAll(): Promise<unknown>;
  close(): Promise<unknown>;
}

/** One client on one connection. */
interface Single {
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  close(): Promise<unknown>;
}

/** A client of the table: how it opens N idle connections, or one. */
interface Kind {
  readonly id: string;
  readonly label: string;
  /** An ioredis or node-redis configuration: a candidate best peer. */
  readonly peer: boolean;
  readonly fleet?: (url: string, n: number) => Promise<Fleet>;
  readonly single?: (url: string) => Promise<Single>;
}

async function many<T>(n: number, make: () => Promise<T>): Promise<T[]> {
  return await Promise.all(Array.from({ length: n }, make));
}

/** The peers' modules, imported once the heap run is over. */
interface PeerModules {
  IORedis: typeof import("ioredis").Redis;
  createNodeRedis: typeof import("redis").createClient;
  createNodeRedisPool: typeof import("redis").createClientPool;
}

function nodeRedisClient(
  { createNodeRedis }: PeerModules,
  url: string,
) {
  const client = createNodeRedis({ url });
  client.on("error", () => {});
  return client;
}

function kinds(modules: PeerModules): Kind[] {
  const { IORedis, createNodeRedisPool } = modules;
  const list: Kind[] = [
    {
      id: "respool",
      label: "respool",
      peer: false,
      fleet: async (url, n) => {
        const clients = await many(n, async () => {
          const client = createClient(url);
          await client.connect();
          return client;
        });
        return {
          pingAll: () => Promise.all(clients.map((c) => c.send(["PING"]))),
          close: () => Promise.all(clients.map((c) => c.close())),
        };
      },
      single: async (url) => {
        const client = createClient(url, {
          pool: { max: 1 },
          commandTimeout: 60_000,
        });
        await client.connect();
        return client;
      },
    },
    {
      id: "respool-pool",
      label: "respool, one pool of N",
      peer: false,
      fleet: async (url, n) => {
        const client: Client = createClient(url, { pool: { min: n, max: n } });
        await client.connect();
        return {
          pingAll: () => many(n, () => client.send(["PING"])),
          close: () => client.close(),
        };
      },
    },
    {
      id: "ioredis",
      label: "ioredis",
      peer: true,
      fleet: async (url, n) => {
        const clients = await many(n, async () => {
          const client = new IORedis(url, { lazyConnect: true });
          await client.connect();
          return client;
        });
        return {
          pingAll: () => Promise.all(clients.map((c) => c.ping())),
          close: () => Promise.all(clients.map((c) => c.quit())),
        };
      },
      single: async (url) => {
        const client = new IORedis(url, { lazyConnect: true });
        await client.connect();
        return ioredisSingle(client);
      },
    },
    {
      id: "ioredis-auto",
      label: "ioredis (auto-pipelining)",
      peer: true,
      single: async (url) => {
        const client = new IORedis(url, {
          lazyConnect: true,
          enableAutoPipelining: true,
        });
        await client.connect();
        return ioredisSingle(client);
      },
    },
    {
      id: "node-redis",
      label: "node-redis",
      peer: true,
      fleet: async (url, n) => {
        const clients = await many(n, async () => {
          const client = nodeRedisClient(modules, url);
          await client.connect();
          return client;
        });
        return {
          pingAll: () => Promise.all(clients.map((c) => c.ping())),
          close: () => Promise.all(clients.map((c) => c.close())),
        };
      },
      single: async (url) => {
        const client = nodeRedisClient(modules, url);
        await client.connect();
        return {
          get: (key) => client.get(key),
          set: (key, value) => client.set(key, value),
          close: () => client.close(),
        };
      },
    },
    {
      id: "node-redis-pool",
      label: "node-redis, one createClientPool of N",
      peer: true,
      fleet: async (url, n) => {
        const pool = createNodeRedisPool({ url }, { minimum: n, maximum: n });
        pool.on("error", () => {});
        await pool.connect();
        return {
          pingAll: () => many(n, () => pool.ping()),
          close: () => pool.close(),
        };
      },
    },
  ];
  if (bun) {
    const Bun = bun;
    list.push({
      id: "bun",
      label: "Bun RedisClient (native)",
      peer: false,
      fleet: async (url, n) => {
        const clients = await many(n, async () => {
          const client = new Bun.RedisClient(url);
          await client.connect();
          return client;
        });
        return {
          pingAll: () => Promise.all(clients.map((c) => c.send("PING", []))),
          close: () => Promise.resolve(clients.forEach((c) => c.close())),
        };
      },
      single: async (url) => {
        const client = new Bun.RedisClient(url);
        await client.connect();
        return {
          get: (key) => client.get(key),
          set: (key, value) => client.set(key, value),
          close: () => Promise.resolve(client.close()),
        };
      },
    });
  }
  return list;
}

function ioredisSingle(client: IORedis): Single {
  return {
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    close: () => client.quit(),
  };
}

/** The server side: counts connections, stops and continues the process. */
class Server {
  readonly url: string;
  readonly #control: Client;
  #pid = 0;
  #stopped = false;

  constructor(server: RedisServer) {
    this.url = server.url;
    this.#control = createClient(server.url, { pool: { max: 1 } });
  }

  async start(): Promise<void> {
    const info = await this.#control.send(["INFO", "server"]);
    this.#pid = Number(/process_id:(\d+)/.exec(String(info))?.[1]);
    if (!(this.#pid > 0)) throw new Error("Cannot find redis-server's pid");
  }

  /** Connections other than the control one. */
  async connections(): Promise<number> {
    const info = String(await this.#control.send(["INFO", "clients"]));
    return Number(/connected_clients:(\d+)/.exec(info)?.[1]) - 1;
  }

  /** Connections whose last command was PING. */
  async pinged(): Promise<number> {
    const list = String(await this.#control.send(["CLIENT", "LIST"]));
    return list.split("\n").filter((line) => / cmd=ping /.test(line)).length;
  }

  /** Waits until only the control connection is left. */
  async settled(): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if (await this.connections() === 0) return;
      await sleep(10);
    }
    throw new Error(
      `Cannot go on as ${await this.connections()} connections stay open`,
    );
  }

  stop(): void {
    process.kill(this.#pid, "SIGSTOP");
    this.#stopped = true;
  }

  resume(): void {
    if (!this.#stopped) return;
    process.kill(this.#pid, "SIGCONT");
    this.#stopped = false;
  }

  send(args: string[]): Promise<unknown> {
    return this.#control.send(args);
  }

  close(): Promise<void> {
    this.resume();
    return this.#control.close();
  }
}

async function measureIdle(
  server: Server,
  kind: Kind,
  n: number,
): Promise<Sample> {
  const before = await reading();
  const fleet = await kind.fleet!(server.url, n);
  try {
    // Every connection must have answered a command. respool's pool
    // spreads a tick's PINGs over the least busy connections, which may
    // leave one out: PING again until the server has seen one on each. (The
    // control connection's buffers are sized by the uncounted warm-up, at
    // the same N, so these checks add nothing to the reading.)
    let pinged = 0;
    for (let i = 0; i < 20 && pinged < n; i++) {
      await fleet.pingAll();
      pinged = await server.pinged();
    }
    const open = await server.connections();
    if (open !== n || pinged !== n) {
      throw new Error(
        `Cannot measure ${kind.id}: the server sees ${open} connections, ${pinged} of them PINGed, not ${n}`,
      );
    }
    const after = await reading();
    return perUnit(before, after, n);
  } finally {
    await fleet.close();
    await server.settled();
  }
}

/** Where the in-flight promises go: allocated before any baseline. */
let slots: unknown[] = [];

async function measureInFlight(
  server: Server,
  kind: Kind,
  command: "get" | "set",
  m: number,
  counted = true,
): Promise<Sample> {
  const start = counted ? await reading() : undefined;
  const client = await kind.single!(server.url);
  try {
    if (await client.get(KEY) !== VALUE) {
      throw new Error(`Cannot measure ${kind.id}: ${KEY} reads wrong`);
    }
    await client.set(KEY, VALUE);
    if (await server.connections() !== 1) {
      throw new Error(`Cannot measure ${kind.id}: more than one connection`);
    }
    const before = await reading();
    let after: Reading;
    server.stop();
    try {
      if (command === "get") {
        for (let i = 0; i < m; i++) slots[i] = client.get(KEY);
      } else {
        for (let i = 0; i < m; i++) slots[i] = client.set(KEY, VALUE);
      }
      await sleep(100);
      after = await reading();
    } finally {
      server.resume();
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const replies = await Promise.race([
      Promise.all(m === slots.length ? slots : slots.slice(0, m)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${kind.id}: replies did not come in 60 s`)),
          60_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    const expected = command === "get" ? VALUE : "OK";
    for (const reply of replies) {
      if (reply !== expected) {
        throw new Error(`Cannot measure ${kind.id}: a reply was ${reply}`);
      }
    }
    // A stale reference to the array (JSC scans the stack conservatively)
    // must not keep 10,000 replies alive into the next measurement.
    replies.length = 0;
    return perUnit(before, after, m);
  } finally {
    slots.fill(null);
    await client.close();
    await server.settled();
    if (counted) await backTo(start, `in flight ${command} ${kind.id}`);
  }
}

/** `count` GETs (or pipelines of GETs) from `CALLERS` callers. */
async function drive(
  client: Client,
  count: number,
  pipelined: boolean,
): Promise<void> {
  let left = count;
  const step = pipelined ? PIPELINE : 1;
  const caller = async () => {
    while (left > 0) {
      left -= step;
      if (pipelined) {
        const p = client.pipeline();
        for (let i = 0; i < PIPELINE; i++) p.get(KEY);
        const replies = await p.exec();
        if (replies[PIPELINE - 1] !== VALUE) throw new Error("wrong reply");
      } else if (await client.get(KEY) !== VALUE) {
        throw new Error("wrong reply");
      }
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, caller));
}

async function heapRun(url: string, total: number, maxSeconds: number) {
  // The probe decides the mode: plain GETs unless they would take too long.
  const probe = createClient(url);
  const probeCount = 200_000;
  let start = 0;
  let probeRate = 0;
  // Twice: the first also compiles the code.
  for (let i = 0; i < 2; i++) {
    start = performance.now();
    await drive(probe, probeCount, false);
    const rate = probeCount / ((performance.now() - start) / 1000);
    probeRate = Math.max(probeRate, rate);
  }
  await probe.close();
  const pipelined = total / probeRate > maxSeconds;

  // Let the heap settle before the run (what the probe left is freed).
  for (let i = 0; i < 10; i++) {
    await sleep(50);
    forceGc();
  }
  const client = createClient(url);
  await client.connect();
  const tenth = Math.round(total / 10);
  const samples: {
    commands: number;
    heap: number;
    heapTotal: number;
    rss: number;
  }[] = [];
  start = performance.now();
  let busyMs = 0;
  try {
    for (let done = 0; done < total;) {
      const t = performance.now();
      await drive(client, tenth, pipelined);
      busyMs += performance.now() - t;
      done += tenth;
      const r = await reading();
      samples.push({
        commands: done,
        heap: r.heap,
        heapTotal: r.total,
        rss: r.rss,
      });
      console.log(
        `  ${(done / 1e6).toFixed(1)}M GETs: heap ${mib(r.heap)} (of ${
          mib(r.total)
        }), rss ${mib(r.rss)}`,
      );
    }
  } finally {
    await client.close();
  }
  const first = samples[0].heap;
  const last = samples[samples.length - 1].heap;
  const growthPct = ((last - first) / first) * 100;
  const maxDeviationPct = Math.max(
    ...samples.map((s) => Math.abs(s.heap - first) / first * 100),
  );
  return {
    total,
    callers: CALLERS,
    mode: pipelined
      ? `${CALLERS} callers, pipelines of ${PIPELINE} GETs`
      : `${CALLERS} callers, one awaited GET at a time`,
    probeGetsPerSec: Math.round(probeRate),
    getsPerSec: Math.round(total / (busyMs / 1000)),
    seconds: Number(((performance.now() - start) / 1000).toFixed(1)),
    samples,
    growthPct: Number(growthPct.toFixed(2)),
    maxDeviationPct: Number(maxDeviationPct.toFixed(2)),
    meetsGoal: Math.abs(growthPct) <= GOALS.heapGrowthPct,
  };
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(2)} MiB`;
const round1 = (n: number) => Number(n.toFixed(1));

function summarize(
  label: string,
  samples: Sample[],
): MemoryFigure {
  return {
    label,
    heap: round1(median(samples.map((s) => s.heap))),
    buffers: round1(median(samples.map((s) => s.buffers))),
    rss: round1(median(samples.map((s) => s.rss))),
    perRound: {
      heap: samples.map((s) => round1(s.heap)),
      buffers: samples.map((s) => round1(s.buffers)),
      rss: samples.map((s) => round1(s.rss)),
    },
  };
}

async function main(): Promise<void> {
  const { name: runtimeName, version } = runtime();
  const rounds = Math.round(env("BENCH_ROUNDS", 3));
  const n = Math.round(env("BENCH_CONNECTIONS", 200));
  const m = Math.round(env("BENCH_INFLIGHT", 10_000));
  const heapTotal = Math.round(env("BENCH_HEAP_TOTAL", 10_000_000));
  const heapMaxS = env("BENCH_HEAP_MAX_S", 60);
  forceGc();

  const redis = await startRedis({ args: ["--maxclients", "10000"] });
  const server = new Server(redis);
  let stopping: Promise<void> | undefined;
  const stop = () => stopping ??= server.close().finally(() => redis.stop());
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    process.once(name, () => {
      console.error(`\n${name}: stopping redis-server`);
      stop().finally(() => process.exit(130));
    });
  }
  try {
    await server.start();
    await server.send(["SET", KEY, VALUE]);
    const pinned = pinServer(redis.port) && pinSelf();
    console.log(
      `${version}: memory bench, ${rounds} rounds, ${n} idle connections, ${m} commands in flight; redis-server on ${redis.url}${
        pinned ? `; pinning: ${describePinning()}` : ""
      }`,
    );
    // respool's heap run first, in a process that has run nothing else
    // yet: what earlier parts leave behind (the peers' code and caches) is
    // freed over the following seconds and would show as a shrinking heap.
    console.log(`heap over ${heapTotal.toLocaleString("en")} GETs (respool):`);
    const heap = await heapRun(redis.url, heapTotal, heapMaxS);
    console.log(
      `  growth ${heap.growthPct}% (max deviation ${heap.maxDeviationPct}%), ${heap.mode}, ${
        (heap.getsPerSec / 1000).toFixed(0)
      }k GET/s`,
    );

    const { Redis: IORedis } = await import("ioredis");
    const { createClient: createNodeRedis, createClientPool } = await import(
      "redis"
    );
    const list = kinds({
      IORedis,
      createNodeRedis,
      createNodeRedisPool: createClientPool,
    });
    slots = new Array(m).fill(null);
    const idle = new Map<string, Sample[]>();
    const get = new Map<string, Sample[]>();
    const set = new Map<string, Sample[]>();
    const push = (map: Map<string, Sample[]>, id: string, s: Sample) => {
      map.set(id, [...map.get(id) ?? [], s]);
    };
    const show = (s: Sample) =>
      `heap ${s.heap.toFixed(0)} B, heap+buffers ${
        s.buffers.toFixed(0)
      } B, rss ${s.rss.toFixed(0)} B`;
    // An uncounted warm-up of every path, so that code compiled on first
    // use is not counted in the first round.
    for (const kind of list) {
      if (kind.fleet) await measureIdle(server, kind, n);
      if (kind.single) await measureInFlight(server, kind, "get", 1000, false);
      if (kind.single) await measureInFlight(server, kind, "set", 1000, false);
    }
    await sleep(6_000); // what node-redis holds after closing (see backTo)
    for (let r = 0; r < rounds; r++) {
      const order = list.map((_, i) => list[(i + r) % list.length]);
      console.log(`round ${r + 1}: ${order.map((k) => k.id).join(", ")}`);
      for (const kind of order) {
        if (!kind.fleet) continue;
        const s = await measureIdle(server, kind, n);
        push(idle, kind.id, s);
        console.log(`  idle ${kind.id}: ${show(s)} per connection`);
      }
      for (const kind of order) {
        if (!kind.single) continue;
        for (
          const command of r % 2
            ? ["set", "get"] as const
            : ["get", "set"] as const
        ) {
          const s = await measureInFlight(server, kind, command, m);
          push(command === "get" ? get : set, kind.id, s);
          console.log(
            `  in flight ${command.toUpperCase()} ${kind.id}: ${
              show(s)
            } per command`,
          );
        }
      }
    }

    const figures = (map: Map<string, Sample[]>) =>
      Object.fromEntries(
        list.filter((k) => map.has(k.id)).map((
          k,
        ) => [k.id, summarize(k.label, map.get(k.id)!)]),
      );
    const entry: MemoryRun = {
      generated: new Date().toISOString(),
      runtime: runtimeName,
      version,
      versions: {
        respool: respoolVersion(),
        "redis-server": redisVersion(),
        ioredis: packageVersion("ioredis"),
        "node-redis (redis)": packageVersion("redis"),
      },
      command: runtimeName === "bun"
        ? "deno task bench:memory:bun"
        : "deno task bench:memory",
      settings: {
        rounds,
        connections: n,
        inFlight: m,
        valueBytes: VALUE.length,
        pinning: pinned ? describePinning() : "none",
        heapMeasure: bun
          ? "process.memoryUsage().heapUsed (JSC; counts ArrayBuffer contents)"
          : "process.memoryUsage().heapUsed (V8; ArrayBuffer contents are in external)",
      },
      peers: list.filter((k) => k.peer).map((k) => k.id),
      goals: GOALS,
      idle: figures(idle),
      inFlight: { get: figures(get), set: figures(set) },
      heap,
    };
    saveRuntimeResults(RESULTS_FILE, runtimeName, entry);
  } finally {
    await stop();
  }
}

await runMain(main);
