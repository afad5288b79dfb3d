/**
 * Stream commands: appending, ranges, reading (blocking or not), trimming,
 * deleting and the stream's own introspection. Consumer groups are in
 * `stream_groups.ts`.
 *
 * @module
 */

import { type Command, command, key, type RedisKey } from "./_command.ts";
import { toNumber, toOk, toTextOrNull } from "./_reply.ts";
import {
  type StreamMessage,
  type StreamRead,
  toInfoStream,
  toMessages,
  toStreamReads,
  type XInfoStream,
} from "./_stream_reply.ts";
import {
  atLeast,
  idList,
  pushStreams,
  type StreamId,
  streamId,
  type StreamOffsets,
} from "./_stream_args.ts";
import { flattenPairs, type Pairs } from "./_args.ts";
import type { CommandArg } from "../resp/encode.ts";

export type { StreamId, StreamMessage, StreamOffsets, StreamRead, XInfoStream };

/**
 * The fields of an entry: a record, or an iterable of `[field, value]` pairs
 * such as a `Map` or an array of tuples (for binary field names).
 */
export type StreamFields = Pairs;

/**
 * How to trim a stream: by length (`maxlen`) or by lowest ID (`minid`),
 * exactly or approximately.
 */
export interface XTrimOptions {
  /** Keep at most this many entries. Excludes `minid`. */
  maxlen?: number;
  /** Drop entries with IDs lower than this. Excludes `maxlen`. */
  minid?: StreamId;
  /**
   * Trim approximately (`~`): faster, may keep a few more entries.
   *
   * @default {false}
   */
  approximate?: boolean;
  /**
   * With `approximate`, evict at most this many entries (`0`: no limit).
   */
  limit?: number;
}

/** Options of XADD. */
export interface XAddOptions extends XTrimOptions {
  /**
   * The new entry's ID.
   *
   * @default {"*"}
   */
  id?: StreamId;
  /** Do not create the stream when it does not exist (the reply is then null). */
  nomkstream?: boolean;
}

/** Options of XRANGE and XREVRANGE. */
export interface XRangeOptions {
  /** Return at most this many entries. */
  count?: number;
}

/** Options of XREAD. */
export interface XReadOptions {
  /** Return at most this many entries per stream. */
  count?: number;
  /**
   * Wait up to this many milliseconds for an entry (`0`: for ever). The
   * command then runs on a lease of its own.
   */
  block?: number;
}

/** Options of XSETID (Redis 7.0 and later). */
export interface XSetIdOptions {
  /** The number of entries ever added to the stream (0 or more). */
  entriesAdded?: number;
  /** The highest ID ever deleted from the stream. */
  maxDeletedId?: StreamId;
}

function pushTrim(
  cmd: string,
  args: CommandArg[],
  options: XTrimOptions,
  required: boolean,
): void {
  const { maxlen, minid, approximate, limit } = options;
  if (maxlen !== undefined && minid !== undefined) {
    throw new TypeError(
      `Cannot build ${cmd} as options maxlen and minid exclude each other`,
    );
  }
  if (maxlen === undefined && minid === undefined) {
    if (required) {
      throw new TypeError(`Cannot build ${cmd} as it needs maxlen or minid`);
    }
    if (approximate || limit !== undefined) {
      throw new TypeError(
        `Cannot build ${cmd} as options approximate and limit need maxlen or minid`,
      );
    }
    return;
  }
  if (limit !== undefined && !approximate) {
    throw new TypeError(
      `Cannot build ${cmd} as option limit needs approximate trimming`,
    );
  }
  if (maxlen !== undefined) {
    args.push(
      "MAXLEN",
      approximate ? "~" : "=",
      atLeast(cmd, "maxlen", maxlen, 0),
    );
  } else {
    args.push("MINID", approximate ? "~" : "=", streamId("minid", minid));
  }
  if (limit !== undefined) args.push("LIMIT", atLeast(cmd, "limit", limit, 0));
}

/** Stream commands: each builds the command and says how to read its reply. */
export class StreamCommands {
  /**
   * XADD: appends an entry to a stream, optionally trimming it.
   *
   * @example Appending with an automatic ID and approximate trimming
   * ```ts ignore
   * const id = await redis.xadd("events", { type: "login", user: "ada" }, {
   *   maxlen: 10_000,
   *   approximate: true,
   * });
   * ```
   *
   * @param k The stream's key.
   * @param fields The entry's fields: a record or `[field, value]` pairs.
   * @param options The ID (default `"*"`), `nomkstream`, and trimming
   * (`maxlen` or `minid`, `approximate`, `limit`).
   * @returns The new entry's ID, or null when `nomkstream` is set and the
   * stream does not exist.
   * @throws {TypeError} When fields are empty or options conflict.
   */
  xadd(
    k: RedisKey,
    fields: StreamFields,
    options?: XAddOptions,
  ): Command<string | null> {
    const args: CommandArg[] = ["XADD", key("key", k)];
    if (options?.nomkstream) args.push("NOMKSTREAM");
    if (options !== undefined) pushTrim("XADD", args, options, false);
    args.push(options?.id === undefined ? "*" : streamId("id", options.id));
    args.push(...flattenPairs("XADD", fields, true));
    return command(args, toTextOrNull);
  }

  /**
   * XLEN: the number of entries in a stream.
   *
   * @param k The stream's key.
   * @returns The number of entries; 0 when the stream does not exist.
   */
  xlen(k: RedisKey): Command<number> {
    return command(["XLEN", key("key", k)], toNumber);
  }

  /**
   * XRANGE: the entries between two IDs, oldest first.
   *
   * @param k The stream's key.
   * @param start The lowest ID (inclusive; `"("` before it excludes it).
   * @param end The highest ID (inclusive).
   * @param options `count` limits the number of entries.
   * @returns The entries; empty when there are none.
   */
  xrange(
    k: RedisKey,
    start: StreamId = "-",
    end: StreamId = "+",
    options?: XRangeOptions,
  ): Command<StreamMessage[]> {
    const args: CommandArg[] = [
      "XRANGE",
      key("key", k),
      streamId("start", start),
      streamId("end", end),
    ];
    if (options?.count !== undefined) {
      args.push("COUNT", atLeast("XRANGE", "count", options.count, 0));
    }
    return command(args, toMessages);
  }

  /**
   * XREVRANGE: the entries between two IDs, newest first.
   *
   * @param k The stream's key.
   * @param end The highest ID (inclusive).
   * @param start The lowest ID (inclusive).
   * @param options `count` limits the number of entries.
   * @returns The entries; empty when there are none.
   */
  xrevrange(
    k: RedisKey,
    end: StreamId = "+",
    start: StreamId = "-",
    options?: XRangeOptions,
  ): Command<StreamMessage[]> {
    const args: CommandArg[] = [
      "XREVRANGE",
      key("key", k),
      streamId("end", end),
      streamId("start", start),
    ];
    if (options?.count !== undefined) {
      args.push("COUNT", atLeast("XREVRANGE", "count", options.count, 0));
    }
    return command(args, toMessages);
  }

  /**
   * XREAD: the entries after the given IDs in one or more streams; with
   * `block`, waits for new entries on a lease of its own.
   *
   * @example Waiting up to five seconds for new entries
   * ```ts ignore
   * const streams = await redis.xread({ events: "$" }, { block: 5_000 });
   * for (const { key, messages } of streams ?? []) console.log(key, messages);
   * ```
   *
   * @param streams Each stream's key and the ID to read after (`"$"`: only
   * new entries).
   * @param options `count` per stream; `block` in milliseconds (`0`: for
   * ever).
   * @returns The streams that had entries, or null when none had (or the
   * block timed out).
   */
  xread(
    streams: StreamOffsets,
    options?: XReadOptions,
  ): Command<StreamRead[] | null> {
    const args: CommandArg[] = ["XREAD"];
    if (options?.count !== undefined) {
      args.push("COUNT", atLeast("XREAD", "count", options.count, 1));
    }
    const block = options?.block;
    if (block !== undefined) {
      args.push("BLOCK", atLeast("XREAD", "block", block, 0));
    }
    pushStreams("XREAD", args, streams);
    return command(args, toStreamReads);
  }

  /**
   * XTRIM: trims a stream by length or by lowest ID.
   *
   * @example Keeping roughly the last thousand entries
   * ```ts ignore
   * const removed = await redis.xtrim("events", { maxlen: 1_000, approximate: true });
   * ```
   *
   * @param k The stream's key.
   * @param options `maxlen` or `minid`, and `approximate`, `limit`.
   * @returns How many entries were removed.
   * @throws {TypeError} When neither or both of `maxlen` and `minid` are
   * given.
   */
  xtrim(k: RedisKey, options: XTrimOptions): Command<number> {
    const args: CommandArg[] = ["XTRIM", key("key", k)];
    pushTrim("XTRIM", args, options ?? {}, true);
    return command(args, toNumber);
  }

  /**
   * XDEL: deletes entries.
   *
   * @param k The stream's key.
   * @param ids The entries' IDs.
   * @returns How many existed.
   */
  xdel(k: RedisKey, ...ids: StreamId[]): Command<number> {
    return command(["XDEL", key("key", k), ...idList("XDEL", ids)], toNumber);
  }

  /**
   * XSETID: sets the stream's last ID, the one new `*` IDs must follow (and
   * `$` means). It cannot go below the ID of the stream's last entry.
   *
   * @example Moving a stream's last ID forward
   * ```ts ignore
   * await redis.xadd("events", { a: "1" }, { id: "1-1" });
   * await redis.xsetid("events", "100-0", { entriesAdded: 1 });
   * (await redis.xinfoStream("events")).lastGeneratedId; // "100-0"
   * ```
   *
   * @param k The stream's key.
   * @param lastId The new last ID.
   * @param options `entriesAdded` and `maxDeletedId` set the stream's
   * counters.
   * @returns `"OK"`.
   * @throws {RangeError} When `entriesAdded` is negative.
   * @throws {ReplyError} When the stream is missing or `lastId` is lower
   * than its last entry's ID.
   */
  xsetid(
    k: RedisKey,
    lastId: StreamId,
    options?: XSetIdOptions,
  ): Command<"OK"> {
    const args: CommandArg[] = [
      "XSETID",
      key("key", k),
      streamId("lastId", lastId),
    ];
    if (options?.entriesAdded !== undefined) {
      args.push(
        "ENTRIESADDED",
        atLeast("XSETID", "entriesAdded", options.entriesAdded, 0),
      );
    }
    if (options?.maxDeletedId !== undefined) {
      args.push(
        "MAXDELETEDID",
        streamId("maxDeletedId", options.maxDeletedId),
      );
    }
    return command(args, toOk);
  }

  /**
   * XINFO STREAM: the stream's length, IDs, group count and first and last
   * entries. (The FULL form is left to `send()`.)
   *
   * @param k The stream's key.
   * @returns The main fields.
   * @throws {ReplyError} When the stream does not exist.
   */
  xinfoStream(k: RedisKey): Command<XInfoStream> {
    return command(["XINFO", "STREAM", key("key", k)], toInfoStream);
  }
}
