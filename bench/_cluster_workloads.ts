/**
 * The cluster comparison's clients and workloads (compare_cluster.ts):
 * respool's `createCluster`, ioredis `Cluster` (plain and
 * auto-pipelining) and node-redis `createCluster`, each behind one small
 * interface ({@linkcode ClusterPeer}), and the workloads over a preloaded
 * set of keys spread over every slot. Runtime-neutral (Deno and Bun).
 *
 * Every client runs with its defaults plus the one option a benchmark is
 * about (`enableAutoPipelining` for ioredis). Where a peer cannot do what
 * a workload asks across slots, it does what its documentation tells a
 * user to do instead, and says so in its `notes`:
 *
 * - ioredis `mget` across slots fails with CROSSSLOT: the keys are grouped
 *   by slot (`cluster-key-slot`, the hash ioredis itself uses), one MGET per
 *   slot, all at once, the replies put back in order;
 * - ioredis `pipeline()` refuses keys of more than one node ("All keys in
 *   the pipeline should belong to the same slots allocation group"): one
 *   pipeline per node, all at once, the replies put back in order;
 * - node-redis `multi().execAsPipeline()` sends everything to the first
 *   key's node (the others answer MOVED): the 100 commands are issued in
 *   one tick instead, which node-redis pipelines per node;
 * - node-redis `mGet` splits across slots by itself (6.x): used as is.
 *
 * As in _workloads.ts, "N concurrent callers" means N calls issued in one
 * tick and awaited together, again and again (one unit); each unit takes
 * the next of 1,024 key batches drawn before timing from a fixed
 * pseudo-random sequence, the same sequence for every client.
 *
 * @module
 */
import { createCluster as createRespoolCluster } from "../mod.ts";
import { Cluster as IORedisCluster } from "ioredis";
import { createCluster as createNodeRedisCluster } from "redis";
// ioredis's own slot hash (a dependency of ioredis), for the peers'
// group-by-slot workarounds.
import calculateSlot from "cluster-key-slot";

/** One cluster client under test, reduced to what the workloads need. */
export interface ClusterPeer {
  /** Short stable id, used in env filters and JSON. */
  readonly id: string;
  /** Name shown in tables. */
  readonly label: string;
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  /** MGET of keys in many slots; the values in the keys' order. */
  mget(keys: readonly string[]): Promise<unknown[]>;
  /** A pipeline of GETs over many slots; the replies in order. */
  pipelineGet(keys: readonly string[]): Promise<unknown[]>;
  /** A pipeline of SETs (`keys[i]` to `values[i]`); the replies in order. */
  pipelineSet(
    keys: readonly string[],
    values: readonly string[],
  ): Promise<unknown[]>;
  /** `workload id -> how this peer does it`, where it differs. */
  readonly notes: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** Connects a peer to the cluster, given every node's `redis://` URL. */
export type ClusterPeerFactory = (seeds: readonly string[]) => Promise<
  ClusterPeer
>;

function throwIfError(replies: readonly unknown[]): unknown[] {
  for (const reply of replies) if (reply instanceof Error) throw reply;
  return replies as unknown[];
}

function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

/** Indices of `keys` grouped by `groupOf(key)`, in first-seen order. */
function groupBy(
  keys: readonly string[],
  groupOf: (key: string) => string | number,
): number[][] {
  const groups = new Map<string | number, number[]>();
  for (let i = 0; i < keys.length; i++) {
    const id = groupOf(keys[i]);
    const group = groups.get(id);
    if (group === undefined) groups.set(id, [i]);
    else group.push(i);
  }
  return [...groups.values()];
}

// ---------------------------------------------------------------------------
// respool

/** The part of respool's `Pipeline` the benchmark uses. */
interface PipelineLike {
  get(key: string): PipelineLike;
  set(key: string, value: string): PipelineLike;
  exec(): Promise<unknown[]>;
}

/** respool's `createCluster` with its defaults (pool of up to 10 per node). */
export const respool: ClusterPeerFactory = async (seeds) => {
  const cluster = createRespoolCluster([...seeds]);
  await cluster.connect();
  const pipeline = () => cluster.pipeline() as unknown as PipelineLike;
  return {
    id: "respool",
    label: "respool",
    get: (key) => cluster.get(key),
    set: (key, value) => cluster.set(key, value),
    mget: (keys) => cluster.mget(...keys),
    pipelineGet: async (keys) => {
      const p = pipeline();
      for (let i = 0; i < keys.length; i++) p.get(keys[i]);
      return throwIfError(await p.exec());
    },
    pipelineSet: async (keys, values) => {
      const p = pipeline();
      for (let i = 0; i < keys.length; i++) p.set(keys[i], values[i]);
      return throwIfError(await p.exec());
    },
    notes: {},
    close: () => cluster.close(),
  };
};

// ---------------------------------------------------------------------------
// ioredis

type IORedisPipeline = ReturnType<IORedisCluster["pipeline"]>;

function ioredisReplies(
  results: [Error | null, unknown][] | null,
): unknown[] {
  if (results === null) throw new Error("ioredis pipeline was discarded");
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

function ioredisFactory(autoPipelining: boolean): ClusterPeerFactory {
  return async (seeds) => {
    const cluster = new IORedisCluster(seeds.map(hostPort), {
      enableAutoPipelining: autoPipelining,
      lazyConnect: true,
    });
    await cluster.connect();
    // The node group serving a key's slot, as ioredis checks pipelines.
    const nodeOf = (key: string) => {
      const owners = cluster.slots[calculateSlot(key)];
      return owners === undefined ? "" : owners.join(";");
    };
    /** One pipeline per node, all sent at once; replies in key order. */
    const perNode = async (
      keys: readonly string[],
      fill: (p: IORedisPipeline, i: number) => void,
    ) => {
      const groups = groupBy(keys, nodeOf);
      const replies: unknown[] = new Array(keys.length);
      await Promise.all(groups.map(async (group) => {
        const p = cluster.pipeline();
        for (let j = 0; j < group.length; j++) fill(p, group[j]);
        const results = ioredisReplies(await p.exec());
        for (let j = 0; j < group.length; j++) {
          replies[group[j]] = results[j];
        }
      }));
      return replies;
    };
    return {
      id: autoPipelining ? "ioredis-auto" : "ioredis",
      label: autoPipelining ? "ioredis (auto-pipelining)" : "ioredis",
      get: (key) => cluster.get(key),
      set: (key, value) => cluster.set(key, value),
      mget: async (keys) => {
        const groups = groupBy(keys, calculateSlot);
        const values: unknown[] = new Array(keys.length);
        await Promise.all(groups.map(async (group) => {
          const got = await cluster.mget(group.map((i) => keys[i]));
          for (let j = 0; j < group.length; j++) values[group[j]] = got[j];
        }));
        return values;
      },
      pipelineGet: (keys) => perNode(keys, (p, i) => p.get(keys[i])),
      pipelineSet: (keys, values) =>
        perNode(keys, (p, i) => p.set(keys[i], values[i])),
      notes: {
        mget:
          "MGET across slots is refused (CROSSSLOT): keys grouped by slot, one MGET per slot, all at once",
        pipeline:
          "pipeline() takes keys of one node only: one pipeline per node, all at once",
      },
      async close() {
        await cluster.quit();
      },
    };
  };
}

/** ioredis `Cluster` with its defaults. */
export const ioredis: ClusterPeerFactory = ioredisFactory(false);

/** ioredis `Cluster` with `enableAutoPipelining: true`. */
export const ioredisAuto: ClusterPeerFactory = ioredisFactory(true);

// ---------------------------------------------------------------------------
// node-redis

/** node-redis (`redis` on npm) `createCluster` with its defaults. */
export const nodeRedis: ClusterPeerFactory = async (seeds) => {
  const cluster = createNodeRedisCluster({
    rootNodes: seeds.map((url) => ({ url })),
  });
  cluster.on("error", () => {});
  await cluster.connect();
  return {
    id: "node-redis",
    label: "node-redis",
    get: (key) => cluster.get(key),
    set: (key, value) => cluster.set(key, value),
    mget: (keys) => cluster.mGet([...keys]),
    pipelineGet: (keys) => {
      const replies: Promise<unknown>[] = new Array(keys.length);
      for (let i = 0; i < keys.length; i++) replies[i] = cluster.get(keys[i]);
      return Promise.all(replies);
    },
    pipelineSet: (keys, values) => {
      const replies: Promise<unknown>[] = new Array(keys.length);
      for (let i = 0; i < keys.length; i++) {
        replies[i] = cluster.set(keys[i], values[i]);
      }
      return Promise.all(replies);
    },
    notes: {
      pipeline:
        "multi().execAsPipeline() sends all to the first key's node (MOVED for the rest): the commands are issued in one tick (auto-pipelined per node)",
      mget: "mGet splits across slots by itself",
    },
    async close() {
      await cluster.close();
    },
  };
};

/** The clients compared, in table order (the same on Deno and Bun). */
export function clusterPeers(): Record<string, ClusterPeerFactory> {
  return {
    respool,
    ioredis,
    "ioredis-auto": ioredisAuto,
    "node-redis": nodeRedis,
  };
}

// ---------------------------------------------------------------------------
// Keys, values and the random order they are used in

function envInt(name: string, fallback: number): number {
  const raw = (globalThis as { process?: { env: Record<string, string> } })
    .process?.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(
      `Cannot use ${name}=${raw} as it is not an integer > 0`,
    );
  }
  return value;
}

/** The sizes, from the environment. */
export const SIZES = {
  /** Preloaded keys (`BENCH_KEYS`). */
  keys: envInt("BENCH_KEYS", 10_000),
  /** Callers of the concurrent GET/SET workloads (`BENCH_FAN_OUT`). */
  fanOut: envInt("BENCH_FAN_OUT", 100),
  /** Keys per MGET (`BENCH_MGET_KEYS`). */
  mgetKeys: envInt("BENCH_MGET_KEYS", 100),
  /** Concurrent MGET callers (`BENCH_MGET_CALLERS`). */
  mgetCallers: envInt("BENCH_MGET_CALLERS", 10),
  /** Commands per pipeline (`BENCH_PIPE_DEPTH`). */
  pipeDepth: envInt("BENCH_PIPE_DEPTH", 100),
  /** Concurrent pipelines (`BENCH_PIPE_CALLERS`). */
  pipeCallers: envInt("BENCH_PIPE_CALLERS", 1),
} as const;

/** Bytes of every value. */
export const VALUE_SIZE = 100;

/** The name of key `i` (no hash tags: keys land all over the slots). */
export function keyName(i: number): string {
  return `bench:cluster:${i}`;
}

/** The value of key `i`: 100 bytes that name the key. */
export function valueOf(i: number): string {
  return `v${i}:`.padEnd(VALUE_SIZE, "x");
}

const KEYS: readonly string[] = Array.from(
  { length: SIZES.keys },
  (_, i) => keyName(i),
);
const VALUES: readonly string[] = Array.from(
  { length: SIZES.keys },
  (_, i) => valueOf(i),
);

/** A fixed pseudo-random sequence (mulberry32), the same for every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A batch of random keys and their values, built before timing. */
export interface Batch {
  readonly keys: readonly string[];
  readonly values: readonly string[];
}

/** Batches each workload cycles through (so no key lists are built timed). */
const BATCHES = 1024;

function makeBatches(size: number, seed: number): Batch[] {
  const next = random(seed);
  return Array.from({ length: BATCHES }, () => {
    const keys: string[] = new Array(size);
    const values: string[] = new Array(size);
    for (let j = 0; j < size; j++) {
      const i = Math.floor(next() * SIZES.keys);
      keys[j] = KEYS[i];
      values[j] = VALUES[i];
    }
    return { keys, values };
  });
}

/** Cycles through `batches`, from the first, each time it is called. */
function cycle(batches: readonly Batch[]): () => Batch {
  let n = 0;
  return () => batches[n++ & (BATCHES - 1)];
}

// ---------------------------------------------------------------------------
// Workloads

/** One piece of work: resolves when every reply is in. */
export type Unit = () => Promise<unknown>;

/** A workload: what one unit does to a peer. */
export interface ClusterWorkload {
  /** Stable id (env filters, JSON). */
  readonly id: string;
  /** Title shown in tables. */
  readonly title: string;
  /** Operations per unit, to turn units/s into ops/s. */
  readonly ops: number;
  /** What one operation is (`command`, `MGET of 100 keys`). */
  readonly op: string;
  /** The unit for this peer (each call makes a fresh key cursor). */
  unit(peer: ClusterPeer): Unit;
}

/** `callers` calls at once, awaited together: one unit. */
function concurrent(
  callers: number,
  call: () => Promise<unknown>,
): Unit {
  const replies: Promise<unknown>[] = new Array(callers);
  return () => {
    for (let i = 0; i < callers; i++) replies[i] = call();
    return Promise.all(replies);
  };
}

const fanOutBatches = makeBatches(SIZES.fanOut, 1);
const mgetBatches = makeBatches(SIZES.mgetKeys, 2);
const pipeBatches = makeBatches(SIZES.pipeDepth, 3);

/** The workloads, in table order. */
export const CLUSTER_WORKLOADS: readonly ClusterWorkload[] = [
  {
    id: "conc-get",
    title: `${SIZES.fanOut} concurrent GET`,
    ops: SIZES.fanOut,
    op: "GET",
    unit: (peer) => {
      const next = cycle(fanOutBatches);
      const replies: Promise<unknown>[] = new Array(SIZES.fanOut);
      return () => {
        const { keys } = next();
        for (let i = 0; i < keys.length; i++) replies[i] = peer.get(keys[i]);
        return Promise.all(replies);
      };
    },
  },
  {
    id: "conc-set",
    title: `${SIZES.fanOut} concurrent SET`,
    ops: SIZES.fanOut,
    op: "SET",
    unit: (peer) => {
      const next = cycle(fanOutBatches);
      const replies: Promise<unknown>[] = new Array(SIZES.fanOut);
      return () => {
        const { keys, values } = next();
        for (let i = 0; i < keys.length; i++) {
          replies[i] = peer.set(keys[i], values[i]);
        }
        return Promise.all(replies);
      };
    },
  },
  {
    id: "mget",
    title: `MGET ${SIZES.mgetKeys} keys ×${SIZES.mgetCallers}`,
    ops: SIZES.mgetCallers,
    op: `MGET of ${SIZES.mgetKeys} keys`,
    unit: (peer) => {
      const next = cycle(mgetBatches);
      return concurrent(SIZES.mgetCallers, () => peer.mget(next().keys));
    },
  },
  {
    id: "pipe-get",
    title: `pipeline of ${SIZES.pipeDepth} GET${
      SIZES.pipeCallers > 1 ? ` ×${SIZES.pipeCallers}` : ""
    }`,
    ops: SIZES.pipeDepth * SIZES.pipeCallers,
    op: "GET",
    unit: (peer) => {
      const next = cycle(pipeBatches);
      return concurrent(
        SIZES.pipeCallers,
        () => peer.pipelineGet(next().keys),
      );
    },
  },
  {
    id: "pipe-set",
    title: `pipeline of ${SIZES.pipeDepth} SET${
      SIZES.pipeCallers > 1 ? ` ×${SIZES.pipeCallers}` : ""
    }`,
    ops: SIZES.pipeDepth * SIZES.pipeCallers,
    op: "SET",
    unit: (peer) => {
      const next = cycle(pipeBatches);
      return concurrent(SIZES.pipeCallers, () => {
        const { keys, values } = next();
        return peer.pipelineSet(keys, values);
      });
    },
  },
];

/** Workloads filtered by `BENCH_WORKLOADS` (comma-separated ids), if set. */
export function selectClusterWorkloads(
  filter: string | undefined,
): ClusterWorkload[] {
  if (!filter) return [...CLUSTER_WORKLOADS];
  const ids = filter.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) =>
    !CLUSTER_WORKLOADS.some((w) => w.id === id)
  );
  if (unknown.length > 0) {
    throw new RangeError(
      `Cannot select workloads as ${unknown.join(", ")} ${
        unknown.length === 1 ? "is" : "are"
      } unknown: use ${CLUSTER_WORKLOADS.map((w) => w.id).join(", ")}`,
    );
  }
  return CLUSTER_WORKLOADS.filter((w) => ids.includes(w.id));
}

// ---------------------------------------------------------------------------
// Seed data and reply checks

/** Writes every key's value through `peer`, 1,000 per pipeline. */
export async function seedKeys(peer: ClusterPeer): Promise<void> {
  for (let from = 0; from < KEYS.length; from += 1000) {
    await peer.pipelineSet(
      KEYS.slice(from, from + 1000),
      VALUES.slice(from, from + 1000),
    );
  }
}

function fail(peer: ClusterPeer, what: string, got: unknown): never {
  const shown = JSON.stringify(got);
  throw new Error(
    `${peer.label}: ${what} returned ${
      shown !== undefined && shown.length > 200
        ? `${shown.slice(0, 200)}...`
        : shown
    }`,
  );
}

function expectValues(
  peer: ClusterPeer,
  what: string,
  batch: Batch,
  got: unknown[],
): void {
  if (
    !Array.isArray(got) || got.length !== batch.keys.length ||
    got.some((v, i) => v !== batch.values[i])
  ) fail(peer, what, got);
}

/**
 * Checks once that a peer really does the work: the right value for each
 * key, in order, from every kind of call the workloads make.
 */
export async function validateCluster(peer: ClusterPeer): Promise<void> {
  const batch = makeBatches(SIZES.pipeDepth, 99)[0];
  const one = await peer.get(batch.keys[0]);
  if (one !== batch.values[0]) fail(peer, "GET", one);
  const ok = await peer.set(batch.keys[0], batch.values[0]);
  if (ok !== "OK") fail(peer, "SET", ok);
  expectValues(peer, "MGET", batch, await peer.mget(batch.keys));
  expectValues(
    peer,
    "pipeline of GET",
    batch,
    await peer.pipelineGet(batch.keys),
  );
  const set = await peer.pipelineSet(batch.keys, batch.values);
  if (set.length !== batch.keys.length || set.some((r) => r !== "OK")) {
    fail(peer, "pipeline of SET", set);
  }
}
