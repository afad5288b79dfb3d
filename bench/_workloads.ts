/**
 * The workloads every client runs, the same code for each: a workload turns
 * a {@linkcode Peer} into a `unit` function (one round trip's worth of work,
 * `ops` commands) or says the peer has no equivalent. Runtime-neutral.
 *
 * @module
 */
import type { Peer } from "./_clients.ts";

/** Value of the plain GET/SET workloads (as `redis-benchmark -d 100`). */
export const VALUE = "v".repeat(100);
/** Value of the large-value workload. */
export const BIG_VALUE = "x".repeat(16 * 1024);
/** Callers of the concurrent workloads, and commands per pipeline. */
export const FAN_OUT = 100;

/** The key every GET reads. */
export const GET_KEY = "bench:get";
/** The hash HGETALL reads. */
export const HASH_KEY = "bench:hash";
const HASH_FIELDS: Record<string, string> = {};
for (let i = 0; i < 100; i++) HASH_FIELDS[`field:${i}`] = `value:${i}`;

/** One piece of work: resolves when every reply is in. */
export type Unit = () => Promise<unknown>;

/** A workload: what one unit does to a peer, and how many commands it is. */
export interface Workload {
  /** Stable id (env filters, JSON). */
  readonly id: string;
  /** Title shown in tables. */
  readonly title: string;
  /** Commands per unit, to turn units/s into ops/s. */
  readonly ops: number;
  /** The unit for this peer, or a reason it has no equivalent. */
  unit(peer: Peer): Unit | { skip: string };
}

function fanOut(call: (i: number) => Promise<unknown>): Unit {
  const replies: Promise<unknown>[] = new Array(FAN_OUT);
  return () => {
    for (let i = 0; i < FAN_OUT; i++) replies[i] = call(i);
    return Promise.all(replies);
  };
}

const GET_KEYS: readonly string[] = new Array(FAN_OUT).fill(GET_KEY);

/** The workloads, in table order. */
export const WORKLOADS: readonly Workload[] = [
  {
    id: "seq-get",
    title: "sequential GET",
    ops: 1,
    unit: (peer) => () => peer.get(GET_KEY),
  },
  {
    id: "seq-set",
    title: "sequential SET",
    ops: 1,
    unit: (peer) => {
      const key = `bench:set:${peer.id}`;
      return () => peer.set(key, VALUE);
    },
  },
  {
    id: "conc-get",
    title: `${FAN_OUT} concurrent GET`,
    ops: FAN_OUT,
    unit: (peer) => fanOut(() => peer.get(GET_KEY)),
  },
  {
    id: "conc-set",
    title: `${FAN_OUT} concurrent SET`,
    ops: FAN_OUT,
    unit: (peer) => {
      const key = `bench:set:${peer.id}`;
      return fanOut(() => peer.set(key, VALUE));
    },
  },
  {
    id: "pipe-get",
    title: `pipeline of ${FAN_OUT} GET`,
    ops: FAN_OUT,
    unit: (peer) => {
      const pipelineGet = peer.pipelineGet;
      if (pipelineGet) return () => pipelineGet(GET_KEYS);
      return fanOut(() => peer.get(GET_KEY));
    },
  },
  {
    id: "pipe-set",
    title: `pipeline of ${FAN_OUT} SET`,
    ops: FAN_OUT,
    unit: (peer) => {
      const keys: readonly string[] = new Array(FAN_OUT).fill(
        `bench:set:${peer.id}`,
      );
      const pipelineSet = peer.pipelineSet;
      if (pipelineSet) return () => pipelineSet(keys, VALUE);
      return fanOut(() => peer.set(keys[0], VALUE));
    },
  },
  {
    id: "big",
    title: "16 KiB SET+GET",
    ops: 2,
    unit: (peer) => {
      const key = `bench:big:${peer.id}`;
      return async () => {
        await peer.set(key, BIG_VALUE);
        return await peer.get(key);
      };
    },
  },
  {
    id: "hgetall",
    title: "HGETALL of 100 fields",
    ops: 1,
    unit: (peer) => () => peer.hgetall(HASH_KEY),
  },
  {
    id: "acquire",
    title: "pool acquire+release",
    ops: 1,
    unit: (peer) => {
      const acquireRelease = peer.acquireRelease;
      if (!acquireRelease) {
        return { skip: peer.notes.acquire ?? "no pool" };
      }
      return () => acquireRelease();
    },
  },
];

/** Writes the keys the workloads read (idempotent). */
export async function seed(peer: Peer): Promise<void> {
  await peer.set(GET_KEY, VALUE);
  await peer.hset(HASH_KEY, HASH_FIELDS);
}

function fail(peer: Peer, what: string, got: unknown): never {
  const shown = typeof got === "string" && got.length > 40
    ? `a ${got.length}-character string`
    : JSON.stringify(got);
  throw new Error(`${peer.label}: ${what} returned ${shown}`);
}

/**
 * Checks once that a peer really does the work: right replies, of the same
 * shape for every client (strings, a 100-field object), so no client is
 * timed doing less.
 */
export async function validate(peer: Peer): Promise<void> {
  const got = await peer.get(GET_KEY);
  if (got !== VALUE) fail(peer, "GET", got);
  const key = `bench:big:${peer.id}`;
  await peer.set(key, BIG_VALUE);
  const big = await peer.get(key);
  if (big !== BIG_VALUE) fail(peer, "GET of 16 KiB", big);
  const hash = await peer.hgetall(HASH_KEY);
  if (
    typeof hash !== "object" || hash === null ||
    Object.keys(hash).length !== 100 ||
    (hash as Record<string, unknown>)["field:7"] !== "value:7"
  ) fail(peer, "HGETALL", hash);
  if (peer.pipelineGet) {
    const replies = await peer.pipelineGet(GET_KEYS);
    if (replies.length !== FAN_OUT || replies.some((r) => r !== VALUE)) {
      fail(peer, "pipeline GET", replies);
    }
  }
}

/** Workloads filtered by `BENCH_WORKLOADS` (comma-separated ids), if set. */
export function selectWorkloads(filter: string | undefined): Workload[] {
  if (!filter) return [...WORKLOADS];
  const ids = filter.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !WORKLOADS.some((w) => w.id === id));
  if (unknown.length > 0) {
    throw new RangeError(
      `Cannot select workloads as ${unknown.join(", ")} ${
        unknown.length === 1 ? "is" : "are"
      } unknown: use ${WORKLOADS.map((w) => w.id).join(", ")}`,
    );
  }
  return WORKLOADS.filter((w) => ids.includes(w.id));
}
