/**
 * The floor on Bun: how fast any client written in JavaScript over
 * `Bun.connect` can go, next to respool and Bun's built-in `RedisClient`,
 * interleaved round by round on the sequential workloads whose replies are
 * single values (sequential GET and SET, 16 KiB SET+GET). HGETALL is left
 * out: a hand-written parse of its 200 bulk strings ran slower than
 * respool's decoder (0.75× in a trial run), so it was no floor.
 *
 * The floor is a raw `Bun.connect` socket that does the least a client can:
 * RESP2 with no handshake, each command encoded once and then reused, one
 * command in flight, each reply read to its known end and turned into the
 * same strings and object the clients return (no timeouts, no pool, no
 * error handling). Bun's client encodes, parses and queues in native code
 * and calls into JavaScript once per reply; a JavaScript client takes every
 * chunk through a `data` callback and writes from JavaScript. So "floor ÷
 * Bun" is what the socket API leaves to any JavaScript client, and
 * "respool ÷ floor" is what respool's own work costs.
 *
 * ```sh
 * deno task bench:bun:floor            # 11 rounds of 300 ms per cell
 * BENCH_ROUNDS=21 deno task bench:bun:floor
 * ```
 *
 * @module
 */
/// <reference types="npm:bun-types@1.4.5" />
import process from "node:process";
import { fileURLToPath } from "node:url";
import { encodeCommand } from "../src/resp/encode.ts";
import { startRedis } from "../tests/_redis.ts";
import { bunRedis } from "./_bun_peer.ts";
import { type Peer, respool } from "./_clients.ts";
import { median, runCell } from "./_harness.ts";
import {
  env,
  redisVersion,
  respoolVersion,
  saveRuntimeResults,
} from "./_meta.ts";
import { describePinning, pinSelf, pinServer } from "./_pin.ts";
import { seed, validate, WORKLOADS } from "./_workloads.ts";
import { shuffle } from "./edge/_rounds.ts";
import type { FloorRow } from "./_floor_render.ts";

const SEQUENTIAL = ["seq-get", "seq-set", "big"];
const ROUNDS = env("BENCH_ROUNDS", 11);
const CELL_MS = env("BENCH_CELL_MS", 300);
const RESULTS_FILE = fileURLToPath(
  new URL("./bun_floor_results.json", import.meta.url).href,
);

type Utf8Slice = (this: Uint8Array, start: number, end: number) => string;
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice: Utf8Slice })
  .utf8Slice;
/** Where the line starting at `at` ends (its CR), or -1. */
function lineEnd(bytes: Uint8Array, at: number): number {
  for (let i = at; i + 1 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10) return i;
  }
  return -1;
}

function integerAt(bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  let sign = 1;
  for (let i = from; i < to; i++) {
    if (bytes[i] === 45) sign = -1;
    else n = n * 10 + bytes[i] - 48;
  }
  return n * sign;
}

/** The end of the bulk string at `at`, and its payload; -1 if incomplete. */
function bulkAt(bytes: Uint8Array, at: number): [number, number, number] {
  const cr = lineEnd(bytes, at);
  if (cr === -1) return [-1, 0, 0];
  const length = integerAt(bytes, at + 1, cr);
  if (length < 0) return [cr + 2, -1, -1];
  const end = cr + 2 + length + 2;
  return end <= bytes.length ? [end, cr + 2, cr + 2 + length] : [-1, 0, 0];
}

/** One RESP2 connection, one command at a time, replies read to their end. */
async function floorPeer(port: number): Promise<Peer> {
  let chunks: Uint8Array[] = [];
  let waiting: ((bytes: Uint8Array) => boolean) | undefined;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      binaryType: "uint8array",
      data(_socket, chunk) {
        chunks.push(chunk);
        const bytes = chunks.length === 1 ? chunk : Buffer.concat(chunks);
        if (waiting?.(bytes)) chunks = [];
      },
    },
  });
  socket.setNoDelay(true);
  // Encoded once per command: a repeated command costs a lookup (the
  // workloads pass the same value string each time, compared by identity
  // first).
  const commands = new Map<string, { args: string[]; bytes: Uint8Array }>();
  const cached = (...args: string[]) => {
    const id = args[0] + args[1];
    const entry = commands.get(id);
    if (entry !== undefined && entry.args[2] === args[2]) return entry.bytes;
    const bytes = encodeCommand(args);
    commands.set(id, { args, bytes });
    return bytes;
  };
  /** Writes `command`; resolves with `read(reply)` once `read` says done. */
  const roundTrip = <T>(
    command: Uint8Array,
    read: (bytes: Uint8Array) => [done: boolean, value: T],
  ) =>
    new Promise<T>((resolve) => {
      waiting = (bytes) => {
        const [done, value] = read(bytes);
        if (done) resolve(value);
        return done;
      };
      socket.write(command);
    });
  const simple = (bytes: Uint8Array): [boolean, string] => {
    const cr = lineEnd(bytes, 0);
    return cr === -1 ? [false, ""] : [true, utf8Slice.call(bytes, 1, cr)];
  };
  return {
    id: "floor",
    label: "raw Bun.connect floor",
    get: (key) =>
      roundTrip(cached("GET", key), (bytes) => {
        const [end, from, to] = bulkAt(bytes, 0);
        if (end === -1) return [false, null];
        return [true, from === -1 ? null : utf8Slice.call(bytes, from, to)];
      }),
    set: (key, value) => roundTrip(cached("SET", key, value), simple),
    hgetall: (key) =>
      roundTrip(cached("HGETALL", key), (bytes) => {
        const cr = lineEnd(bytes, 0);
        if (cr === -1) return [false, undefined];
        const count = integerAt(bytes, 1, cr);
        const hash: Record<string, string> = {};
        let at = cr + 2;
        for (let i = 0; i < count; i += 2) {
          const [keyEnd, keyFrom, keyTo] = bulkAt(bytes, at);
          if (keyEnd === -1) return [false, undefined];
          const [end, from, to] = bulkAt(bytes, keyEnd);
          if (end === -1) return [false, undefined];
          hash[utf8Slice.call(bytes, keyFrom, keyTo)] = utf8Slice.call(
            bytes,
            from,
            to,
          );
          at = end;
        }
        return [true, hash];
      }),
    hset: (key, fields) =>
      roundTrip(
        encodeCommand(["HSET", key, ...Object.entries(fields).flat()]),
        simple,
      ),
    notes: {},
    close: () => {
      socket.end();
      return Promise.resolve();
    },
  };
}

const server = await startRedis();
try {
  const pinned = pinServer(server.port) && pinSelf();
  const peers = [
    await respool(server.url),
    await bunRedis(server.url),
    await floorPeer(server.port),
  ];
  await seed(peers[0]);
  for (const peer of peers) await validate(peer);
  console.log(
    `bun ${Bun.version}: ${ROUNDS} rounds, ${CELL_MS} ms per cell, medians; ` +
      "ratios are medians of each round's pair (above 1: the first is faster)",
  );
  console.log(
    "\nworkload               respool    Bun        floor      " +
      "respool÷Bun  floor÷Bun  respool÷floor",
  );
  const rows: FloorRow[] = [];
  for (const workload of WORKLOADS) {
    if (!SEQUENTIAL.includes(workload.id)) continue;
    const units = peers.map((peer) => {
      const unit = workload.unit(peer);
      if (typeof unit !== "function") throw new Error(unit.skip);
      return unit;
    });
    const rates: number[][] = peers.map(() => []);
    for (const i of peers.keys()) await runCell(units[i], workload.ops, 50);
    for (let round = 0; round < ROUNDS; round++) {
      for (const i of shuffle([...peers.keys()])) {
        rates[i].push(await runCell(units[i], workload.ops, CELL_MS));
      }
    }
    const paired = (a: number, b: number) =>
      median(rates[a].map((rate, round) => rate / rates[b][round]));
    const row: FloorRow = {
      id: workload.id,
      title: workload.title,
      opsPerSec: {
        respool: median(rates[0]),
        bun: median(rates[1]),
        floor: median(rates[2]),
      },
      respoolVsBun: paired(0, 1),
      floorVsBun: paired(2, 1),
      respoolVsFloor: paired(0, 2),
    };
    rows.push(row);
    const k = (rate: number) => `${(rate / 1000).toFixed(1)}k/s`.padEnd(11);
    console.log(
      workload.title.padEnd(23) +
        Object.values(row.opsPerSec).map(k).join("") +
        `${row.respoolVsBun.toFixed(3)}×`.padEnd(13) +
        `${row.floorVsBun.toFixed(3)}×`.padEnd(11) +
        `${row.respoolVsFloor.toFixed(3)}×`,
    );
  }
  for (const peer of peers) await peer.close();
  saveRuntimeResults(RESULTS_FILE, "bun", {
    generated: new Date().toISOString(),
    version: `bun ${Bun.version}`,
    command: "deno task bench:bun:floor",
    versions: {
      respool: respoolVersion(),
      "redis-server": redisVersion(),
    },
    settings: {
      rounds: ROUNDS,
      cellMs: CELL_MS,
      pinning: pinned ? describePinning() : "none",
    },
    rows,
  });
} finally {
  await server.stop();
}
process.exit(0);
