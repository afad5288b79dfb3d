/**
 * Stream consumer group commands: creating groups and consumers, reading as
 * a consumer, acknowledging, and the groups' and consumers' introspection.
 * Pending entries and claiming are in stream_claims.ts.
 *
 * @module
 */

import { type Command, command, key, type RedisKey } from "./_command.ts";
import { toBoolean, toNumber, toOk } from "./_reply.ts";
import {
  type StreamGroupMessage,
  type StreamRead,
  toInfoConsumers,
  toInfoGroups,
  toStreamGroupReads,
  type XInfoConsumer,
  type XInfoGroup,
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

export type { StreamGroupMessage, XInfoConsumer, XInfoGroup };

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
