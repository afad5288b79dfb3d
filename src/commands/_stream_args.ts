/**
 * Argument checks shared by the stream families (appending and reading in
 * `streams.ts`, consumer groups in `stream_groups.ts`): stream IDs, lists of
 * IDs, counts and the STREAMS clause. Each names the command it builds.
 *
 * @module
 */

import { int, key, type RedisKey } from "./_command.ts";
import type { CommandArg } from "../resp/encode.ts";

/** A stream entry ID (`"1700000000000-0"`, `"0"`, `"$"`, `">"`, `"-"`, `"+"`). */
export type StreamId = string | number;

/**
 * The streams to read and the ID to read after in each: a record of key to
 * ID, or `[key, id]` pairs (for binary keys).
 */
export type StreamOffsets =
  | Record<string, StreamId>
  | ReadonlyArray<readonly [RedisKey, StreamId]>;

/** A stream ID: a non-empty string or an integer of at least 0. */
export function streamId(name: string, v: unknown): StreamId {
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
  throw new TypeError(
    `Cannot build the command as ${name} must be a stream ID, got ${
      typeof v === "string" ? "an empty string" : v === null ? "null" : typeof v
    }`,
  );
}

/** An integer that is at least `min`. */
export function atLeast(
  cmd: string,
  name: string,
  v: unknown,
  min: number,
): number {
  const n = int(name, v);
  if (n < min) {
    throw new RangeError(
      `Cannot build ${cmd} as ${name} must be at least ${min}, got ${n}`,
    );
  }
  return n;
}

/** A non-empty list of stream IDs, each checked. */
export function idList(cmd: string, ids: readonly StreamId[]): StreamId[] {
  if (!Array.isArray(ids) || ids.length === 0) {
    throw new TypeError(`Cannot build ${cmd} as it needs at least one ID`);
  }
  return ids.map((id, i) => streamId(`id ${i}`, id));
}

/** Appends `STREAMS key... id...` for XREAD and XREADGROUP. */
export function pushStreams(
  cmd: string,
  args: CommandArg[],
  streams: StreamOffsets,
): void {
  const entries: (readonly [unknown, unknown])[] = Array.isArray(streams)
    ? streams
    : typeof streams === "object" && streams !== null
    ? Object.entries(streams)
    : [];
  if (entries.length === 0) {
    throw new TypeError(`Cannot build ${cmd} as it needs at least one stream`);
  }
  const keys: CommandArg[] = [];
  const ids: CommandArg[] = [];
  entries.forEach((entry, i) => {
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw new TypeError(
        `Cannot build ${cmd} as streams must be a record or [key, id] pairs`,
      );
    }
    keys.push(key(`stream ${i}`, entry[0]));
    ids.push(streamId(`id of stream ${i}`, entry[1]));
  });
  args.push("STREAMS", ...keys, ...ids);
}
