/**
 * Stream consumer group commands: creating groups and consumers, reading as
 * a consumer, acknowledging, pending entries, claiming and the groups' and
 * consumers' introspection.
 *
 * @module
 */

import { type Command, command, key, type RedisKey } from "./_command.ts";
import { toBoolean, toNumber, toOk } from "./_reply.ts";
import {
  type StreamGroupMessage,
  type StreamMessage,
  type StreamRead,
  toAutoClaim,
  toAutoClaimIds,
  toIds,
  toInfoConsumers,
  toInfoGroups,
  toMessages,
  toPendingEntries,
  toPendingSummary,
  toStreamGroupReads,
  type XAutoClaimIdsResult,
  type XAutoClaimResult,
  type XInfoConsumer,
  type XInfoGroup,
  type XPendingEntry,
  type XPendingSummary,
} from "./_stream_reply.ts";
import {
  atLeast,
  idList,
  pushStreams,
  type StreamId,
  streamId,
  type StreamOffsets,
} from "./_stream_args.ts";
import type { XReadOptions } from "./streams.ts";
import type { CommandArg } from "../resp/encode.ts";

export type {
  StreamGroupMessage,
  XAutoClaimIdsResult,
  XAutoClaimResult,
  XInfoConsumer,
  XInfoGroup,
  XPendingEntry,
  XPendingSummary,
};

/** Options of XREADGROUP. */
export interface XReadGroupOptions extends XReadOptions {
  /** Do not add the entries read to the pending entries list. */
  noack?: boolean;
}

/** Options of XGROUP CREATE. */
export interface XGroupCreateOptions {
  /** Create the stream, empty, when it does not exist. */
  mkstream?: boolean;
  /** The group's logical read counter (for the lag in XINFO GROUPS). */
  entriesRead?: number;
}

/** Options of XGROUP SETID. */
export interface XGroupSetIdOptions {
  /** The group's logical read counter. */
  entriesRead?: number;
}

/** Options of the extended form of XPENDING. */
export interface XPendingRangeOptions {
  /** Only entries delivered to this consumer. */
  consumer?: RedisKey;
  /** Only entries idle at least this many milliseconds. */
  idle?: number;
}

/** Options of XCLAIM. */
export interface XClaimOptions {
  /** Set the entries' idle time to this many milliseconds. Excludes `time`. */
  idle?: number;
  /** Set the entries' last delivery to this Unix time in milliseconds. */
  time?: number;
  /** Set the delivery counter to this. */
  retryCount?: number;
  /** Claim IDs even when they are not pending (they must exist). */
  force?: boolean;
  /** Update the group's last delivered ID to this. */
  lastId?: StreamId;
}

/** Options of XAUTOCLAIM. */
export interface XAutoClaimOptions {
  /**
   * Examine at most this many pending entries.
   *
   * @default {100}
   */
  count?: number;
}

/**
 * Stream consumer group commands: each builds the command and says how to
 * read its reply.
 */
export class StreamGroupCommands {
  /**
   * XGROUP CREATE: creates a consumer group.
   *
   * @param k The stream's key.
   * @param group The group's name.
   * @param id The last ID already delivered (`"$"`: only new entries, `"0"`:
   * everything).
   * @param options `mkstream` creates the stream; `entriesRead` sets the
   * read counter.
   * @returns `"OK"`.
   * @throws {ReplyError} BUSYGROUP when the group exists; ERR when the
   * stream does not exist and `mkstream` is not set.
   */
  xgroupCreate(
    k: RedisKey,
    group: RedisKey,
    id: StreamId = "$",
    options?: XGroupCreateOptions,
  ): Command<"OK"> {
    const args: CommandArg[] = [
      "XGROUP",
      "CREATE",
      key("key", k),
      key("group", group),
      streamId("id", id),
    ];
    if (options?.mkstream) args.push("MKSTREAM");
    if (options?.entriesRead !== undefined) {
      args.push(
        "ENTRIESREAD",
        atLeast("XGROUP CREATE", "entriesRead", options.entriesRead, 0),
      );
    }
    return command(args, toOk);
  }

  /**
   * XGROUP DESTROY: deletes a consumer group.
   *
   * @param k The stream's key.
   * @param group The group's name.
   * @returns Whether the group existed.
   */
  xgroupDestroy(k: RedisKey, group: RedisKey): Command<boolean> {
    return command(
      ["XGROUP", "DESTROY", key("key", k), key("group", group)],
      toBoolean,
    );
  }

  /**
   * XGROUP CREATECONSUMER: adds a consumer to a group.
   *
   * @param k The stream's key.
   * @param group The group's name.
   * @param consumer The consumer's name.
   * @returns Whether it was created (false when it existed).
   */
  xgroupCreateconsumer(
    k: RedisKey,
    group: RedisKey,
    consumer: RedisKey,
  ): Command<boolean> {
    return command([
      "XGROUP",
      "CREATECONSUMER",
      key("key", k),
      key("group", group),
      key("consumer", consumer),
    ], toBoolean);
  }

  /**
   * XGROUP DELCONSUMER: removes a consumer (its pending entries are lost).
   *
   * @param k The stream's key.
   * @param group The group's name.
   * @param consumer The consumer's name.
   * @returns How many entries were pending for it.
   */
  xgroupDelconsumer(
    k: RedisKey,
    group: RedisKey,
    consumer: RedisKey,
  ): Command<number> {
    return command([
      "XGROUP",
      "DELCONSUMER",
      key("key", k),
      key("group", group),
      key("consumer", consumer),
    ], toNumber);
  }

  /**
   * XGROUP SETID: sets a group's last delivered ID.
   *
   * @param k The stream's key.
   * @param group The group's name.
   * @param id The new last delivered ID (`"$"`: the stream's last entry).
   * @param options `entriesRead` sets the read counter.
   * @returns `"OK"`.
   */
  xgroupSetid(
    k: RedisKey,
    group: RedisKey,
    id: StreamId,
    options?: XGroupSetIdOptions,
  ): Command<"OK"> {
    const args: CommandArg[] = [
      "XGROUP",
      "SETID",
      key("key", k),
      key("group", group),
      streamId("id", id),
    ];
    if (options?.entriesRead !== undefined) {
      args.push(
        "ENTRIESREAD",
        atLeast("XGROUP SETID", "entriesRead", options.entriesRead, 0),
      );
    }
    return command(args, toOk);
  }

  /**
   * XREADGROUP: reads entries as a consumer of a group; with `block`,
   * waits for new entries on a lease of its own.
   *
   * @example Consuming new entries and acknowledging them
   * ```ts ignore
   * const streams = await redis.xreadgroup("workers", "w1", { jobs: ">" }, {
   *   count: 10,
   *   block: 5_000,
   * });
   * for (const { key, messages } of streams ?? []) {
   *   for (const { id } of messages) await redis.xack(key, "workers", id);
   * }
   * ```
   *
   * @param group The group's name.
   * @param consumer The consumer's name (created when new).
   * @param streams Each stream's key and ID: `">"` for entries never
   * delivered, another ID to re-read this consumer's pending entries.
   * @param options `count` per stream, `block` in milliseconds (`0`: for
   * ever), `noack`.
   * @returns The streams that had entries, or null when none had (or the
   * block timed out). Re-read pending entries deleted meanwhile have
   * `fields` null.
   */
  xreadgroup(
    group: RedisKey,
    consumer: RedisKey,
    streams: StreamOffsets,
    options?: XReadGroupOptions,
  ): Command<StreamRead<StreamGroupMessage>[] | null> {
    const args: CommandArg[] = [
      "XREADGROUP",
      "GROUP",
      key("group", group),
      key("consumer", consumer),
    ];
    if (options?.count !== undefined) {
      args.push("COUNT", atLeast("XREADGROUP", "count", options.count, 1));
    }
    const block = options?.block;
    if (block !== undefined) {
      args.push("BLOCK", atLeast("XREADGROUP", "block", block, 0));
    }
    if (options?.noack) args.push("NOACK");
    pushStreams("XREADGROUP", args, streams);
    return command(args, toStreamGroupReads);
  }

  /**
   * XACK: acknowledges entries, removing them from the group's pending
   * entries list.
   *
   * @param k The stream's key.
   * @param group The group's name.
   * @param ids The entries' IDs.
   * @returns How many were pending and are now acknowledged.
   */
  xack(k: RedisKey, group: RedisKey, ...ids: StreamId[]): Command<number> {
    return command(
      ["XACK", key("key", k), key("group", group), ...idList("XACK", ids)],
      toNumber,
    );
  }

  /**
   * XPENDING (summary form): how many entries are pending in a group, the
   * ID range and the count per consumer.
   *
   * @param k The stream's key.
   * @param group The group's name.
   * @returns The summary; `count` 0 and null IDs when nothing is pending.
   */
  xpending(k: RedisKey, group: RedisKey): Command<XPendingSummary> {
    return command(
      ["XPENDING", key("key", k), key("group", group)],
      toPendingSummary,
    );
  }

  /**
   * XPENDING (extended form): the pending entries in an ID range, with
   * their consumer, idle time and delivery count.
   *
   * @example Finding entries idle for more than a minute
   * ```ts ignore
   * const stuck = await redis.xpendingRange("jobs", "workers", "-", "+", 100, {
   *   idle: 60_000,
   * });
   * ```
   *
   * @param k The stream's key.
   * @param group The group's name.
   * @param start The lowest ID (`"-"`: the first).
   * @param end The highest ID (`"+"`: the last).
   * @param count Return at most this many entries.
   * @param options Only those of a `consumer`, only those `idle` at least
   * this many milliseconds.
   * @returns The pending entries, oldest first.
   */
  xpendingRange(
    k: RedisKey,
    group: RedisKey,
    start: StreamId,
    end: StreamId,
    count: number,
    options?: XPendingRangeOptions,
  ): Command<XPendingEntry[]> {
    const args: CommandArg[] = ["XPENDING", key("key", k), key("group", group)];
    if (options?.idle !== undefined) {
      args.push("IDLE", atLeast("XPENDING", "idle", options.idle, 0));
    }
    args.push(
      streamId("start", start),
      streamId("end", end),
      atLeast("XPENDING", "count", count, 0),
    );
    if (options?.consumer !== undefined) {
      args.push(key("consumer", options.consumer));
    }
    return command(args, toPendingEntries);
  }

  /**
   * XCLAIM: takes over pending entries idle for at least `minIdle`
   * milliseconds.
   *
   * @param k The stream's key.
   * @param group The group's name.
   * @param consumer The consumer that claims them.
   * @param minIdle Only claim entries idle at least this many milliseconds.
   * @param ids The entries' IDs.
   * @param options `idle`, `time`, `retryCount`, `force`, `lastId`.
   * @returns The entries claimed (entries deleted meanwhile are left out).
   */
  xclaim(
    k: RedisKey,
    group: RedisKey,
    consumer: RedisKey,
    minIdle: number,
    ids: StreamId[],
    options?: XClaimOptions,
  ): Command<StreamMessage[]> {
    return command(
      claimArgs(k, group, consumer, minIdle, ids, options, false),
      toMessages,
    );
  }

  /**
   * XCLAIM with JUSTID: takes over pending entries without returning them
   * and without incrementing their delivery count.
   *
   * @param k The stream's key.
   * @param group The group's name.
   * @param consumer The consumer that claims them.
   * @param minIdle Only claim entries idle at least this many milliseconds.
   * @param ids The entries' IDs.
   * @param options `idle`, `time`, `retryCount`, `force`, `lastId`.
   * @returns The IDs claimed.
   */
  xclaimJustId(
    k: RedisKey,
    group: RedisKey,
    consumer: RedisKey,
    minIdle: number,
    ids: StreamId[],
    options?: XClaimOptions,
  ): Command<string[]> {
    return command(
      claimArgs(k, group, consumer, minIdle, ids, options, true),
      toIds,
    );
  }

  /**
   * XAUTOCLAIM: scans the pending entries from `start` and takes over those
   * idle for at least `minIdle` milliseconds.
   *
   * @example Claiming every stuck entry, page by page
   * ```ts ignore
   * let start = "0-0";
   * do {
   *   const page = await redis.xautoclaim("jobs", "workers", "w2", 60_000, start);
   *   for (const message of page.messages) handle(message);
   *   start = page.next;
   * } while (start !== "0-0");
   * ```
   *
   * @param k The stream's key.
   * @param group The group's name.
   * @param consumer The consumer that claims them.
   * @param minIdle Only claim entries idle at least this many milliseconds.
   * @param start The ID to scan from (`"0-0"`: the start).
   * @param options `count`: examine at most this many entries.
   * @returns The cursor to continue from, the entries claimed and the IDs
   * of pending entries that no longer exist.
   */
  xautoclaim(
    k: RedisKey,
    group: RedisKey,
    consumer: RedisKey,
    minIdle: number,
    start: StreamId = "0-0",
    options?: XAutoClaimOptions,
  ): Command<XAutoClaimResult> {
    return command(
      autoClaimArgs(k, group, consumer, minIdle, start, options, false),
      toAutoClaim,
    );
  }

  /**
   * XAUTOCLAIM with JUSTID: as {@linkcode StreamGroupCommands.xautoclaim}, but
   * returns IDs and leaves delivery counts alone.
   *
   * @param k The stream's key.
   * @param group The group's name.
   * @param consumer The consumer that claims them.
   * @param minIdle Only claim entries idle at least this many milliseconds.
   * @param start The ID to scan from (`"0-0"`: the start).
   * @param options `count`: examine at most this many entries.
   * @returns The cursor to continue from, the IDs claimed and the IDs of
   * pending entries that no longer exist.
   */
  xautoclaimJustId(
    k: RedisKey,
    group: RedisKey,
    consumer: RedisKey,
    minIdle: number,
    start: StreamId = "0-0",
    options?: XAutoClaimOptions,
  ): Command<XAutoClaimIdsResult> {
    return command(
      autoClaimArgs(k, group, consumer, minIdle, start, options, true),
      toAutoClaimIds,
    );
  }

  /**
   * XINFO GROUPS: the consumer groups of a stream.
   *
   * @param k The stream's key.
   * @returns One record per group.
   * @throws {ReplyError} When the stream does not exist.
   */
  xinfoGroups(k: RedisKey): Command<XInfoGroup[]> {
    return command(["XINFO", "GROUPS", key("key", k)], toInfoGroups);
  }

  /**
   * XINFO CONSUMERS: the consumers of a group.
   *
   * @param k The stream's key.
   * @param group The group's name.
   * @returns One record per consumer.
   * @throws {ReplyError} When the stream or the group does not exist.
   */
  xinfoConsumers(k: RedisKey, group: RedisKey): Command<XInfoConsumer[]> {
    return command(
      ["XINFO", "CONSUMERS", key("key", k), key("group", group)],
      toInfoConsumers,
    );
  }
}

function claimArgs(
  k: RedisKey,
  group: RedisKey,
  consumer: RedisKey,
  minIdle: number,
  ids: StreamId[],
  options: XClaimOptions | undefined,
  justId: boolean,
): CommandArg[] {
  const args: CommandArg[] = [
    "XCLAIM",
    key("key", k),
    key("group", group),
    key("consumer", consumer),
    atLeast("XCLAIM", "minIdle", minIdle, 0),
    ...idList("XCLAIM", ids),
  ];
  if (options?.idle !== undefined && options.time !== undefined) {
    throw new TypeError(
      "Cannot build XCLAIM as options idle and time exclude each other",
    );
  }
  if (options?.idle !== undefined) {
    args.push("IDLE", atLeast("XCLAIM", "idle", options.idle, 0));
  }
  if (options?.time !== undefined) {
    args.push("TIME", atLeast("XCLAIM", "time", options.time, 0));
  }
  if (options?.retryCount !== undefined) {
    args.push(
      "RETRYCOUNT",
      atLeast("XCLAIM", "retryCount", options.retryCount, 0),
    );
  }
  if (options?.force) args.push("FORCE");
  if (justId) args.push("JUSTID");
  if (options?.lastId !== undefined) {
    args.push("LASTID", streamId("lastId", options.lastId));
  }
  return args;
}

function autoClaimArgs(
  k: RedisKey,
  group: RedisKey,
  consumer: RedisKey,
  minIdle: number,
  start: StreamId,
  options: XAutoClaimOptions | undefined,
  justId: boolean,
): CommandArg[] {
  const args: CommandArg[] = [
    "XAUTOCLAIM",
    key("key", k),
    key("group", group),
    key("consumer", consumer),
    atLeast("XAUTOCLAIM", "minIdle", minIdle, 0),
    streamId("start", start),
  ];
  if (options?.count !== undefined) {
    args.push("COUNT", atLeast("XAUTOCLAIM", "count", options.count, 1));
  }
  if (justId) args.push("JUSTID");
  return args;
}
