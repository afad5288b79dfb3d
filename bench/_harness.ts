/**
 * The interleaved comparison runner shared by compare_deno.ts and
 * compare_bun.ts: connects the peers, runs every workload on every client
 * round by round (each cell for a fixed time, the client order rotated each
 * round), takes medians, and either prints a ratio table (standalone) or
 * answers the report task over stdin/stdout (`--serve`). Runtime-neutral:
 * runtime differences (GC, version, which peers) come in as a
 * {@linkcode RuntimeHooks}.
 *
 * @module
 */
import process from "node:process";
import { createInterface } from "node:readline";
import { createClient as createRespool } from "../mod.ts";
import { startRedis } from "../tests/_redis.ts";
import { pinSelf, pinServer } from "./_pin.ts";
import type { Peer, PeerFactory } from "./_clients.ts";
import {
  FAN_OUT,
  GET_KEY,
  seed,
  selectWorkloads,
  type Unit,
  validate,
  VALUE,
  type Workload,
} from "./_workloads.ts";
import { env } from "./_meta.ts";

/** What differs between runtimes. */
export interface RuntimeHooks {
  /** `deno` or `bun`. */
  readonly runtime: string;
  /** The runtime's version line (e.g. `deno 2.9.6 (v8 ...)`). */
  readonly version: string;
  /** The clients to compare, in table order. */
  readonly peers: Record<string, PeerFactory>;
  /** Forces a full garbage collection, or is absent when it cannot. */
  readonly gc?: () => void;
}

/** One client's run of one workload for a fixed time. */
export interface Cell {
  readonly workload: string;
  readonly peer: string;
  /** Commands per second; NaN when the cell failed. */
  readonly opsPerSec: number;
  readonly error?: string;
}

/** Heap after `first` and after `total` GETs through respool's pool. */
export interface HeapResult {
  readonly total: number;
  readonly first: number;
  /** `heapUsed` in bytes after a forced GC, after the first `first` GETs. */
  readonly heapAfterFirst: number;
  /** `heapUsed` in bytes after a forced GC, after all `total` GETs. */
  readonly heapAfterTotal: number;
  readonly rssAfterFirst: number;
  readonly rssAfterTotal: number;
  readonly gcForced: boolean;
  readonly opsPerSec: number;
}

/** What a serving runner announces once it is connected. */
export interface ReadyMessage {
  readonly type: "ready";
  readonly runtime: string;
  readonly version: string;
  readonly peers: { id: string; label: string }[];
  readonly workloads: { id: string; title: string; ops: number }[];
  /** `workload -> peer -> reason` for cells a peer has no equivalent of. */
  readonly skips: Record<string, Record<string, string>>;
  /** `peer -> note` (fallbacks that change what a cell measures). */
  readonly notes: Record<string, string[]>;
}

/** Concurrent pipelines of the ceiling comparison (`redis-benchmark -c`). */
export const CEILING_CALLERS = 50;
/** Commands per pipeline of the ceiling comparison (`redis-benchmark -P`). */
export const CEILING_DEPTH = 16;

/** Prefix of the runner's protocol lines on stdout (other output is ignored). */
export const PROTOCOL_PREFIX = "@@bench ";

/** Runs `unit` until `ms` have passed (at least once); returns ops/s. */
export function runCell(unit: Unit, ops: number, ms: number): Promise<number> {
  return runCallers(unit, 1, ops, ms);
}

/**
 * Runs `callers` loops of `call` side by side until `ms` have passed, each
 * sending its next call as soon as its own last one returned, as
 * redis-benchmark's connections do (no caller waits for the others);
 * returns ops/s, `ops` per call.
 */
export async function runCallers(
  call: () => Promise<unknown>,
  callers: number,
  ops: number,
  ms: number,
): Promise<number> {
  let calls = 0;
  const start = performance.now();
  const end = start + ms;
  const loop = async () => {
    do {
      await call();
      calls++;
    } while (performance.now() < end);
  };
  await Promise.all(Array.from({ length: callers }, loop));
  return (calls * ops * 1000) / (performance.now() - start);
}

/** The median of `values` (NaN ignored); NaN when none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Connected peers and their units, ready to run rounds. */
export class Session {
  readonly peers: Peer[];
  readonly workloads: Workload[];
  readonly #units = new Map<string, Unit>();
  readonly skips: Record<string, Record<string, string>> = {};

  private constructor(peers: Peer[], workloads: Workload[]) {
    this.peers = peers;
    this.workloads = workloads;
    for (const workload of workloads) {
      for (const peer of peers) {
        const unit = workload.unit(peer);
        if (typeof unit === "function") {
          this.#units.set(`${workload.id}/${peer.id}`, unit);
        } else {
          (this.skips[workload.id] ??= {})[peer.id] = unit.skip;
        }
      }
    }
  }

  /**
   * Connects the peers (filtered by `BENCH_CLIENTS`), seeds the keys and
   * checks every peer's replies.
   */
  static async open(url: string, hooks: RuntimeHooks): Promise<Session> {
    const wanted = process.env.BENCH_CLIENTS?.split(",").map((s) => s.trim())
      .filter(Boolean);
    const peers: Peer[] = [];
    for (const [id, factory] of Object.entries(hooks.peers)) {
      if (wanted && !wanted.includes(id)) continue;
      peers.push(await factory(url));
    }
    if (peers.length === 0) {
      throw new RangeError(
        `Cannot run as BENCH_CLIENTS matches none of ${
          Object.keys(hooks.peers).join(", ")
        }`,
      );
    }
    await seed(peers[0]);
    for (const peer of peers) await validate(peer);
    return new Session(peers, selectWorkloads(process.env.BENCH_WORKLOADS));
  }

  /**
   * One round: every workload on every peer for `cellMs` each. The peer
   * order is rotated by round and workload, so no client always goes first
   * (or always runs right after the same neighbour).
   */
  async round(index: number, cellMs: number): Promise<Cell[]> {
    const cells: Cell[] = [];
    const n = this.peers.length;
    for (let w = 0; w < this.workloads.length; w++) {
      const workload = this.workloads[w];
      for (let k = 0; k < n; k++) {
        const peer = this.peers[(k + index + w) % n];
        const unit = this.#units.get(`${workload.id}/${peer.id}`);
        if (!unit) continue;
        try {
          const opsPerSec = await runCell(unit, workload.ops, cellMs);
          cells.push({ workload: workload.id, peer: peer.id, opsPerSec });
        } catch (error) {
          cells.push({
            workload: workload.id,
            peer: peer.id,
            opsPerSec: NaN,
            error: String(error),
          });
        }
      }
    }
    return cells;
  }

  /**
   * respool at `redis-benchmark -P 16`'s depth (50 connections, 16
   * commands pipelined on each): 50 callers, each sending a pipeline of 16
   * GETs (then of 16 SETs) as soon as its last one returned, for `cellMs`
   * each. Undefined when respool is not running.
   */
  async ceiling(
    cellMs: number,
  ): Promise<{ get: number; set: number } | undefined> {
    const peer = this.peers.find((p) => p.id === "respool");
    if (!peer) return undefined;
    const setKey = `bench:set:${peer.id}`;
    const getKeys: string[] = new Array(CEILING_DEPTH).fill(GET_KEY);
    const setKeys: string[] = new Array(CEILING_DEPTH).fill(setKey);
    const { pipelineGet, pipelineSet } = peer;
    const same = (call: () => Promise<unknown>) => () => {
      const batch: Promise<unknown>[] = new Array(CEILING_DEPTH);
      for (let i = 0; i < CEILING_DEPTH; i++) batch[i] = call();
      return Promise.all(batch);
    };
    const get = pipelineGet
      ? () => pipelineGet(getKeys)
      : same(() => peer.get(GET_KEY));
    const set = pipelineSet
      ? () => pipelineSet(setKeys, VALUE)
      : same(() => peer.set(setKey, VALUE));
    return {
      get: await runCallers(get, CEILING_CALLERS, CEILING_DEPTH, cellMs),
      set: await runCallers(set, CEILING_CALLERS, CEILING_DEPTH, cellMs),
    };
  }

  ready(hooks: RuntimeHooks): ReadyMessage {
    const notes: Record<string, string[]> = {};
    for (const peer of this.peers) {
      const list = Object.entries(peer.notes)
        .filter(([what]) => what !== "acquire")
        .map(([, note]) => note);
      if (list.length > 0) notes[peer.id] = list;
    }
    return {
      type: "ready",
      runtime: hooks.runtime,
      version: hooks.version,
      peers: this.peers.map((p) => ({ id: p.id, label: p.label })),
      workloads: this.workloads.map((w) => ({
        id: w.id,
        title: w.title,
        ops: w.ops,
      })),
      skips: this.skips,
      notes,
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.peers.map((p) => p.close()));
  }
}

/**
 * Sends `total` GETs through a fresh respool client, 100 concurrent callers
 * at a time, and reads the heap (after a forced GC) after the first `first`
 * and after all of them.
 */
export async function heapCheck(
  url: string,
  hooks: RuntimeHooks,
  total: number,
  first: number,
): Promise<HeapResult> {
  const client = createRespool(url);
  await client.connect();
  const gc = hooks.gc;
  const sample = async () => {
    for (let i = 0; i < 3; i++) {
      gc?.();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return process.memoryUsage();
  };
  const replies: Promise<unknown>[] = new Array(FAN_OUT);
  const run = async (count: number) => {
    for (let done = 0; done < count; done += FAN_OUT) {
      for (let i = 0; i < FAN_OUT; i++) replies[i] = client.get(GET_KEY);
      await Promise.all(replies);
    }
  };
  try {
    const start = performance.now();
    await run(first);
    const firstMs = performance.now() - start;
    const afterFirst = await sample();
    const resumed = performance.now();
    await run(total - first);
    const seconds = (firstMs + performance.now() - resumed) / 1000;
    const afterTotal = await sample();
    return {
      total,
      first,
      heapAfterFirst: afterFirst.heapUsed,
      heapAfterTotal: afterTotal.heapUsed,
      rssAfterFirst: afterFirst.rss,
      rssAfterTotal: afterTotal.rss,
      gcForced: gc !== undefined,
      opsPerSec: total / seconds,
    };
  } finally {
    await client.close();
  }
}

function send(message: unknown): void {
  process.stdout.write(PROTOCOL_PREFIX + JSON.stringify(message) + "\n");
}

/**
 * Answers the report task: announces `ready`, then runs what each stdin line
 * asks (`{"cmd":"round","round":n,"cellMs":ms}`, `{"cmd":"heap",...}`,
 * `{"cmd":"quit"}`) and answers with one protocol line each.
 */
export async function serve(url: string, hooks: RuntimeHooks): Promise<void> {
  const session = await Session.open(url, hooks);
  send(session.ready(hooks));
  const lines = createInterface({ input: process.stdin });
  try {
    for await (const line of lines) {
      if (line.trim() === "") continue;
      const request = JSON.parse(line);
      if (request.cmd === "round") {
        const cells = await session.round(request.round, request.cellMs);
        send({ type: "round", round: request.round, cells });
      } else if (request.cmd === "ceiling") {
        send({ type: "ceiling", ...(await session.ceiling(request.cellMs)) });
      } else if (request.cmd === "heap") {
        send({
          type: "heap",
          heap: await heapCheck(url, hooks, request.total, request.first),
        });
      } else if (request.cmd === "quit") {
        break;
      } else {
        send({ type: "error", error: `unknown command ${line}` });
      }
    }
  } finally {
    lines.close();
    await session.close();
  }
}

function formatRate(opsPerSec: number): string {
  if (Number.isNaN(opsPerSec)) return "failed";
  if (opsPerSec >= 1e6) return `${(opsPerSec / 1e6).toFixed(2)}M/s`;
  if (opsPerSec >= 1e3) return `${(opsPerSec / 1e3).toFixed(1)}k/s`;
  return `${opsPerSec.toFixed(0)}/s`;
}

/** Per workload and peer: the median ops/s over the rounds. */
export function medians(
  rounds: readonly (readonly Cell[])[],
): Map<string, Map<string, number>> {
  const samples = new Map<string, Map<string, number[]>>();
  for (const cells of rounds) {
    for (const cell of cells) {
      const byPeer = samples.get(cell.workload) ?? new Map();
      samples.set(cell.workload, byPeer);
      const list = byPeer.get(cell.peer) ?? [];
      byPeer.set(cell.peer, list);
      list.push(cell.opsPerSec);
    }
  }
  const result = new Map<string, Map<string, number>>();
  for (const [workload, byPeer] of samples) {
    const row = new Map<string, number>();
    for (const [peer, list] of byPeer) row.set(peer, median(list));
    result.set(workload, row);
  }
  return result;
}

/** A plain-text table: per workload, each peer's ratio to the fastest. */
export function ratioTable(
  ready: ReadyMessage,
  table: Map<string, Map<string, number>>,
): string {
  const header = ["workload", ...ready.peers.map((p) => p.label)];
  const rows: string[][] = [header];
  for (const workload of ready.workloads) {
    const row = table.get(workload.id);
    const best = Math.max(
      ...[...(row?.values() ?? [])].filter((v) => !Number.isNaN(v)),
    );
    rows.push([
      workload.title,
      ...ready.peers.map((peer) => {
        const value = row?.get(peer.id);
        if (value === undefined) return "—";
        if (Number.isNaN(value)) return "failed";
        return `${(value / best).toFixed(2)}× ${formatRate(value)}`;
      }),
    ]);
  }
  const widths = header.map((_, c) =>
    Math.max(...rows.map((r) => r[c].length))
  );
  return rows.map((r) => r.map((s, c) => s.padEnd(widths[c])).join("  "))
    .join("\n");
}

/**
 * Standalone run (no `--serve`): its own redis-server unless `REDIS_URL` is
 * set, `BENCH_ROUNDS` rounds of `BENCH_CELL_MS` per cell after one warm-up
 * round, then the ratio table; with `BENCH_HEAP=1` also the heap check.
 */
export async function standalone(hooks: RuntimeHooks): Promise<void> {
  const server = process.env.REDIS_URL ? undefined : await startRedis();
  const url = process.env.REDIS_URL ?? server!.url;
  const pinned = server !== undefined && pinServer(server.port) && pinSelf();
  try {
    const session = await Session.open(url, hooks);
    const ready = session.ready(hooks);
    const rounds = env("BENCH_ROUNDS", 5);
    const cellMs = env("BENCH_CELL_MS", 400);
    console.log(
      `${hooks.version}: ${rounds} rounds, ${cellMs} ms per cell, ${url}${
        pinned ? ", server and client pinned to their own cores" : ""
      }`,
    );
    try {
      await session.round(0, env("BENCH_WARMUP_MS", 150));
      const results: Cell[][] = [];
      for (let r = 0; r < rounds; r++) {
        results.push(await session.round(r, cellMs));
        console.log(`round ${r + 1}/${rounds} done`);
      }
      for (const cell of results.flat()) {
        if (cell.error) {
          console.error(`${cell.peer} ${cell.workload}: ${cell.error}`);
        }
      }
      console.log(
        "\nMedian ops/s, as a ratio to the fastest client per workload:\n",
      );
      console.log(ratioTable(ready, medians(results)));
      for (const [workload, byPeer] of Object.entries(ready.skips)) {
        for (const [peer, reason] of Object.entries(byPeer)) {
          console.log(`— ${peer} / ${workload}: ${reason}`);
        }
      }
      for (const [peer, list] of Object.entries(ready.notes)) {
        for (const note of list) console.log(`note ${peer}: ${note}`);
      }
    } finally {
      await session.close();
    }
    if (process.env.BENCH_HEAP === "1") {
      const heap = await heapCheck(
        url,
        hooks,
        env("BENCH_HEAP_OPS", 1_000_000),
        env("BENCH_HEAP_FIRST", 100_000),
      );
      console.log("\nheap check:", heap);
    }
  } finally {
    await server?.stop();
  }
}

/** Runs `serve` or `standalone` as the command line asks. */
export async function main(hooks: RuntimeHooks, args: string[]): Promise<void> {
  if (args.includes("--serve")) {
    const url = process.env.REDIS_URL;
    if (!url) throw new TypeError("Cannot serve as REDIS_URL is not set");
    await serve(url, hooks);
  } else {
    await standalone(hooks);
  }
}
