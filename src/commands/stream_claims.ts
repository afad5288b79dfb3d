/**
 * Stream consumer groups' pending entries and their claiming: XPENDING
 * (summary and range), XCLAIM and XAUTOCLAIM, with their JUSTID forms.
 *
 * @module
 */

import { type Command, command, key, type RedisKey } from "./_command.ts";
import {
  type StreamMessage,
  toAutoClaim,
  toAutoClaimIds,
  toIds,
  toMessages,
  toPendingEntries,
  toPendingSummary,
  type XAutoClaimIdsResult,
  type XAutoClaimResult,
  type XPendingEntry,
  type XPendingSummary,
} from "./_stream_reply.ts";
import { atLeast, idList, type StreamId, streamId } from "./_stream_args.ts";
import type { CommandArg } from "../resp/encode.ts";

export type {
  XAutoClaimIdsResult,
  XAutoClaimResult,
  XPendingEntry,
  XPendingSummary,
};

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

/** Pending entries of consumer groups, and claiming them. */
export class StreamClaimCommands {
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
