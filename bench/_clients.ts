/**
 * The clients the comparison benchmarks drive, each behind one small
 * interface ({@linkcode Peer}) so every workload runs the same code for
 * every client. Runtime-neutral: the same file serves Deno (bench and
 * runner) and Bun; Bun's own `RedisClient` is added in compare_bun.ts.
 *
 * Every client is created with its defaults, as a user would get it, plus
 * the one option a benchmark is about (`enableAutoPipelining` for ioredis).
 *
 * @module
 */
import { type Client, createClient as createRespool } from "../mod.ts";
import { Redis as IORedis } from "ioredis";
import {
  createClient as createNodeRedis,
  createClientPool as createNodeRedisPool,
} from "redis";

/** One client under test, reduced to what the workloads need. */
export interface Peer {
  /** Short stable id, used in keys, env filters and JSON (`respool`, ...). */
  readonly id: string;
  /** Name shown in tables and the chart. */
  readonly label: string;
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  hgetall(key: string): Promise<unknown>;
  /** Sets the hash's fields (setup only). */
  hset(key: string, fields: Record<string, string>): Promise<unknown>;
  /**
   * An explicit pipeline of GETs (one reply array back). Absent when the
   * client has none: the workload then issues the commands in one tick.
   */
  pipelineGet?(keys: readonly string[]): Promise<unknown[]>;
  /** An explicit pipeline of SETs; absent as for `pipelineGet`. */
  pipelineSet?(keys: readonly string[], value: string): Promise<unknown[]>;
  /** Takes a connection from the client's pool and gives it back. */
  acquireRelease?(): Promise<unknown>;
  /** Why `acquireRelease` (or a pipeline) is missing, for the report. */
  readonly notes: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** A factory that connects a peer to `url` (`redis://host:port`). */
export type PeerFactory = (url: string) => Promise<Peer>;

// ---------------------------------------------------------------------------
// respool

/** The part of respool's `Pipeline` the benchmark uses (checked at run time). */
interface PipelineLike {
  get(key: string): PipelineLike;
  set(key: string, value: string): PipelineLike;
  exec(): Promise<unknown[]>;
}

function throwIfError(replies: unknown[]): unknown[] {
  for (const reply of replies) if (reply instanceof Error) throw reply;
  return replies;
}

/**
 * respool with its defaults (pool.max 10, leak detection on). Uses
 * `client.pipeline()` when the build has it, else the pipeline workloads
 * fall back to commands issued in one tick.
 */
export const respool: PeerFactory = async (url) => {
  const client: Client = createRespool(url);
  await client.connect();
  const pipeline = (client as unknown as { pipeline?: () => PipelineLike })
    .pipeline;
  const hasPipeline = typeof pipeline === "function";
  const peer: Peer = {
    id: "respool",
    label: "respool",
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    hgetall: (key) => client.hgetall(key),
    hset: (key, fields) =>
      client.send(["HSET", key, ...Object.entries(fields).flat()]),
    acquireRelease: async () => {
      const lease = await client.acquire();
      await lease.release();
    },
    notes: hasPipeline ? {} : {
      pipeline: "this build has no client.pipeline(): commands in one tick",
    },
    close: () => client.close(),
  };
  if (hasPipeline) {
    peer.pipelineGet = async (keys) => {
      let p = pipeline.call(client);
      for (let i = 0; i < keys.length; i++) p = p.get(keys[i]);
      return throwIfError(await p.exec());
    };
    peer.pipelineSet = async (keys, value) => {
      let p = pipeline.call(client);
      for (let i = 0; i < keys.length; i++) p = p.set(keys[i], value);
      return throwIfError(await p.exec());
    };
  }
  return peer;
};

// ---------------------------------------------------------------------------
// ioredis

type IORedisPipeline = ReturnType<IORedis["pipeline"]>;

function ioredisReplies(
  results: [Error | null, unknown][] | null,
): unknown[] {
  if (results === null) throw new Error("ioredis pipeline was discarded");
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

function ioredisFactory(autoPipelining: boolean): PeerFactory {
  return async (url) => {
    const client = new IORedis(url, {
      enableAutoPipelining: autoPipelining,
      lazyConnect: true,
    });
    await client.connect();
    const pipelined = (fill: (p: IORedisPipeline) => void) => {
      const p = client.pipeline();
      fill(p);
      return p.exec().then(ioredisReplies);
    };
    return {
      id: autoPipelining ? "ioredis-auto" : "ioredis",
      label: autoPipelining ? "ioredis (auto-pipelining)" : "ioredis",
      get: (key) => client.get(key),
      set: (key, value) => client.set(key, value),
      hgetall: (key) => client.hgetall(key),
      hset: (key, fields) => client.hset(key, fields),
      pipelineGet: (keys) =>
        pipelined((p) => {
          for (let i = 0; i < keys.length; i++) p.get(keys[i]);
        }),
      pipelineSet: (keys, value) =>
        pipelined((p) => {
          for (let i = 0; i < keys.length; i++) p.set(keys[i], value);
        }),
      notes: { acquire: "ioredis has no connection pool" },
      async close() {
        await client.quit();
      },
    };
  };
}

/** ioredis with its defaults. */
export const ioredis: PeerFactory = ioredisFactory(false);

/** ioredis with `enableAutoPipelining: true`. */
export const ioredisAuto: PeerFactory = ioredisFactory(true);

// ---------------------------------------------------------------------------
// node-redis

/** The part of node-redis's multi builder the benchmark uses. */
interface NodeRedisMulti {
  get(key: string): NodeRedisMulti;
  set(key: string, value: string): NodeRedisMulti;
  execAsPipeline(): Promise<unknown[]>;
}

/**
 * node-redis (`redis` on npm) with its defaults: one client for commands
 * (it pipelines what is issued in one tick), `multi().execAsPipeline()`
 * for explicit pipelines, and a `createClientPool()` pool for
 * acquire+release (`pool.execute()` with an empty task).
 */
export const nodeRedis: PeerFactory = async (url) => {
  const client = createNodeRedis({ url });
  client.on("error", () => {});
  await client.connect();
  const pool = createNodeRedisPool({ url }, { minimum: 1, maximum: 10 });
  pool.on("error", () => {});
  await pool.connect();
  const multi = () => client.multi() as unknown as NodeRedisMulti;
  return {
    id: "node-redis",
    label: "node-redis",
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    hgetall: (key) => client.hGetAll(key),
    hset: (key, fields) => client.hSet(key, fields),
    pipelineGet: (keys) => {
      let m = multi();
      for (let i = 0; i < keys.length; i++) m = m.get(keys[i]);
      return m.execAsPipeline();
    },
    pipelineSet: (keys, value) => {
      let m = multi();
      for (let i = 0; i < keys.length; i++) m = m.set(keys[i], value);
      return m.execAsPipeline();
    },
    acquireRelease: () => pool.execute(() => undefined),
    notes: {},
    async close() {
      await client.close();
      await pool.close();
    },
  };
};

/**
 * The Deno driver named by the project's card (deno.land/x/redis). It cannot
 * be installed on this machine, as deno.land is unreachable from it; put its
 * factory here (and in {@linkcode denoPeers}) where it can be.
 */
export const denoRedis: PeerFactory | undefined = undefined;

/** The clients compared on Deno, in table order. */
export function denoPeers(): Record<string, PeerFactory> {
  const peers: Record<string, PeerFactory> = {
    respool,
    ioredis,
    "ioredis-auto": ioredisAuto,
    "node-redis": nodeRedis,
  };
  if (denoRedis) peers["deno-redis"] = denoRedis;
  return peers;
}

/** The npm clients also compared on Bun (Bun's own is added by the caller). */
export function npmPeers(): Record<string, PeerFactory> {
  return {
    respool,
    ioredis,
    "ioredis-auto": ioredisAuto,
    "node-redis": nodeRedis,
  };
}
