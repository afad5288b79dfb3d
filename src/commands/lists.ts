/**
 * List commands; the blocking ones are in list_blocking.ts.
 *
 * @module
 */

import {
  type Command,
  command,
  int,
  key,
  type RedisKey,
  type RedisValue,
  value,
} from "./_command.ts";
import {
  atLeast,
  type ListEnd,
  listEnd,
  optionsOf,
  valueList,
} from "./_collection_args.ts";
import {
  lmpopArgs,
  type LMPopOptions,
  type PoppedElements,
  toPoppedElements,
} from "./_list_args.ts";
import {
  toNumber,
  toNumberOrNull,
  toOk,
  toValueOrNull,
  toValues,
  toValuesOrNull,
  unexpected,
} from "./_reply.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";

export type { ListEnd } from "./_collection_args.ts";
export type {
  LMPopOptions,
  PoppedElement,
  PoppedElements,
} from "./_list_args.ts";

/** Options of LPOS. */
export interface LPosOptions {
  /**
   * Which match to return: 1 the first, 2 the second, -1 the last (searching
   * from the tail). Must not be 0.
   *
   * @default {1}
   */
  rank?: number;
  /**
   * Compare at most this many elements; 0 scans the whole list.
   *
   * @default {0}
   */
  maxlen?: number;
}

function toNumbers(reply: RespValue): number[] {
  if (Array.isArray(reply)) return reply.map((item) => toNumber(item));
  return unexpected("an array", reply);
}

function lposArgs(
  name: string,
  k: RedisKey,
  element: RedisValue,
  options: LPosOptions | undefined,
): CommandArg[] {
  const args: CommandArg[] = [
    "LPOS",
    key("key", k),
    value("element", element),
  ];
  const { rank, maxlen } = optionsOf(name, options);
  if (rank !== undefined) {
    if (int("rank", rank) === 0) {
      throw new RangeError(
        `Cannot build ${name} as rank must not be 0 (1 is the first match, -1 the last)`,
      );
    }
    args.push("RANK", rank);
  }
  if (maxlen !== undefined) {
    args.push("MAXLEN", atLeast(name, "maxlen", maxlen, 0));
  }
  return args;
}

/** List commands: each builds the command and says how to read its reply. */
export class ListCommands {
  /**
   * LPUSH: inserts elements at the head of a list, creating it if needed.
   * They are inserted one after the other, so the last one ends up first.
   *
   * @param k The key.
   * @param elements The elements (at least one).
   * @returns The length of the list afterwards.
   */
  lpush(k: RedisKey, ...elements: RedisValue[]): Command<number> {
    return command(
      ["LPUSH", key("key", k), ...valueList("LPUSH", "element", elements)],
      toNumber,
    );
  }

  /**
   * RPUSH: appends elements to the tail of a list, creating it if needed.
   *
   * @param k The key.
   * @param elements The elements (at least one).
   * @returns The length of the list afterwards.
   */
  rpush(k: RedisKey, ...elements: RedisValue[]): Command<number> {
    return command(
      ["RPUSH", key("key", k), ...valueList("RPUSH", "element", elements)],
      toNumber,
    );
  }

  /**
   * LPUSHX: inserts elements at the head of a list, only when the list
   * exists.
   *
   * @example Pushing only onto an existing list
   * ```ts ignore
   * await redis.lpushx("recent", "a"); // 0: no list, nothing created
   * await redis.rpush("recent", "b");
   * await redis.lpushx("recent", "a"); // 2: a, b
   * ```
   *
   * @param k The key.
   * @param elements The elements (at least one).
   * @returns The length of the list afterwards; 0 when the key is missing.
   */
  lpushx(k: RedisKey, ...elements: RedisValue[]): Command<number> {
    return command(
      ["LPUSHX", key("key", k), ...valueList("LPUSHX", "element", elements)],
      toNumber,
    );
  }

  /**
   * RPUSHX: appends elements to the tail of a list, only when the list
   * exists.
   *
   * @example Appending only to an existing list
   * ```ts ignore
   * await redis.rpushx("log", "x"); // 0 when "log" does not exist
   * ```
   *
   * @param k The key.
   * @param elements The elements (at least one).
   * @returns The length of the list afterwards; 0 when the key is missing.
   */
  rpushx(k: RedisKey, ...elements: RedisValue[]): Command<number> {
    return command(
      ["RPUSHX", key("key", k), ...valueList("RPUSHX", "element", elements)],
      toNumber,
    );
  }

  /**
   * LPOP: removes and returns the first element of a list.
   *
   * @param k The key.
   * @returns The element, or null when the list is empty or missing.
   */
  lpop(k: RedisKey): Command<string | null> {
    return command(["LPOP", key("key", k)], toValueOrNull);
  }

  /**
   * LPOP with a count: removes and returns up to `count` elements from the
   * head of a list.
   *
   * @param k The key.
   * @param count How many elements to pop (0 or more).
   * @returns The elements, or null when the list is missing.
   */
  lpopCount(k: RedisKey, count: number): Command<string[] | null> {
    return command(
      ["LPOP", key("key", k), atLeast("LPOP", "count", count, 0)],
      toValuesOrNull,
    );
  }

  /**
   * RPOP: removes and returns the last element of a list.
   *
   * @param k The key.
   * @returns The element, or null when the list is empty or missing.
   */
  rpop(k: RedisKey): Command<string | null> {
    return command(["RPOP", key("key", k)], toValueOrNull);
  }

  /**
   * RPOP with a count: removes and returns up to `count` elements from the
   * tail of a list, last element first.
   *
   * @param k The key.
   * @param count How many elements to pop (0 or more).
   * @returns The elements, or null when the list is missing.
   */
  rpopCount(k: RedisKey, count: number): Command<string[] | null> {
    return command(
      ["RPOP", key("key", k), atLeast("RPOP", "count", count, 0)],
      toValuesOrNull,
    );
  }

  /**
   * LRANGE: the elements between two indexes, both included. Negative
   * indexes count from the tail (-1 is the last element).
   *
   * @param k The key.
   * @param start The first index.
   * @param stop The last index.
   * @returns The elements; empty when the key is missing.
   */
  lrange(k: RedisKey, start: number, stop: number): Command<string[]> {
    return command(
      ["LRANGE", key("key", k), int("start", start), int("stop", stop)],
      toValues,
    );
  }

  /**
   * LLEN: the length of a list.
   *
   * @param k The key.
   * @returns The length; 0 when the key is missing.
   */
  llen(k: RedisKey): Command<number> {
    return command(["LLEN", key("key", k)], toNumber);
  }

  /**
   * LINDEX: the element at an index (negative counts from the tail).
   *
   * @param k The key.
   * @param index The index.
   * @returns The element, or null when the index is out of range.
   */
  lindex(k: RedisKey, index: number): Command<string | null> {
    return command(
      ["LINDEX", key("key", k), int("index", index)],
      toValueOrNull,
    );
  }

  /**
   * LSET: replaces the element at an index.
   *
   * @param k The key.
   * @param index The index (negative counts from the tail).
   * @param element The new element.
   * @returns `"OK"`.
   * @throws {ReplyError} When the key is missing or the index out of range.
   */
  lset(k: RedisKey, index: number, element: RedisValue): Command<"OK"> {
    return command(
      ["LSET", key("key", k), int("index", index), value("element", element)],
      toOk,
    );
  }

  /**
   * LREM: removes elements equal to a value.
   *
   * @param k The key.
   * @param count How many to remove: more than 0 from the head, less than 0
   * from the tail, 0 all of them.
   * @param element The value to remove.
   * @returns How many were removed.
   */
  lrem(k: RedisKey, count: number, element: RedisValue): Command<number> {
    return command(
      ["LREM", key("key", k), int("count", count), value("element", element)],
      toNumber,
    );
  }

  /**
   * LTRIM: keeps only the elements between two indexes, both included.
   *
   * @param k The key.
   * @param start The first index to keep.
   * @param stop The last index to keep.
   * @returns `"OK"`.
   */
  ltrim(k: RedisKey, start: number, stop: number): Command<"OK"> {
    return command(
      ["LTRIM", key("key", k), int("start", start), int("stop", stop)],
      toOk,
    );
  }

  /**
   * LINSERT: inserts an element before or after the first element equal to
   * a pivot.
   *
   * @example Inserting after a pivot
   * ```ts ignore
   * await redis.rpush("letters", "a", "c");
   * await redis.linsert("letters", "after", "a", "b"); // 3: a, b, c
   * ```
   *
   * @param k The key.
   * @param where `"before"` or `"after"` the pivot.
   * @param pivot The element to insert next to.
   * @param element The element to insert.
   * @returns The length of the list afterwards, -1 when the pivot was not
   * found, 0 when the key is missing.
   */
  linsert(
    k: RedisKey,
    where: "before" | "after",
    pivot: RedisValue,
    element: RedisValue,
  ): Command<number> {
    if (where !== "before" && where !== "after") {
      throw new TypeError(
        `Cannot build LINSERT as where must be "before" or "after", got ${
          typeof where === "string" ? JSON.stringify(where) : typeof where
        }`,
      );
    }
    return command(
      [
        "LINSERT",
        key("key", k),
        where === "before" ? "BEFORE" : "AFTER",
        value("pivot", pivot),
        value("element", element),
      ],
      toNumber,
    );
  }

  /**
   * LPOS: the index of an element in a list.
   *
   * @example Finding the last match
   * ```ts ignore
   * await redis.rpush("l", "a", "b", "a");
   * await redis.lpos("l", "a", { rank: -1 }); // 2
   * ```
   *
   * @param k The key.
   * @param element The element to look for.
   * @param options `rank` (which match, negative from the tail) and
   * `maxlen` (how many elements to compare).
   * @returns The index, or null when there is no such match.
   */
  lpos(
    k: RedisKey,
    element: RedisValue,
    options?: LPosOptions,
  ): Command<number | null> {
    return command(lposArgs("LPOS", k, element, options), toNumberOrNull);
  }

  /**
   * LPOS with a count: the indexes of up to `count` matches of an element.
   *
   * @param k The key.
   * @param element The element to look for.
   * @param count How many matches to return; 0 returns all of them.
   * @param options `rank` (the match to start from, negative from the tail)
   * and `maxlen` (how many elements to compare).
   * @returns The indexes; empty when there is no match or the key is
   * missing.
   */
  lposCount(
    k: RedisKey,
    element: RedisValue,
    count: number,
    options?: LPosOptions,
  ): Command<number[]> {
    const args = lposArgs("LPOS", k, element, options);
    args.push("COUNT", atLeast("LPOS", "count", count, 0));
    return command(args, toNumbers);
  }

  /**
   * LMOVE: pops an element from one end of a list and pushes it onto an end
   * of another (or the same) list, atomically.
   *
   * @example Rotating a queue into a processing list
   * ```ts ignore
   * const job = await redis.lmove("queue", "processing", "left", "right");
   * ```
   *
   * @param source The list to pop from.
   * @param destination The list to push onto.
   * @param from The end of `source` to pop from.
   * @param to The end of `destination` to push onto.
   * @returns The element moved, or null when `source` is empty.
   */
  lmove(
    source: RedisKey,
    destination: RedisKey,
    from: ListEnd,
    to: ListEnd,
  ): Command<string | null> {
    return command(
      [
        "LMOVE",
        key("source", source),
        key("destination", destination),
        listEnd("LMOVE", "from", from),
        listEnd("LMOVE", "to", to),
      ],
      toValueOrNull,
    );
  }

  /**
   * LMPOP: pops elements from the first non-empty list among several.
   *
   * @example Popping up to ten elements from the first non-empty list
   * ```ts ignore
   * const popped = await redis.lmpop(["urgent", "normal"], "left", { count: 10 });
   * if (popped) console.log(popped.key, popped.elements);
   * ```
   *
   * @param keys The key, or the keys in the order to try them.
   * @param from The end to pop from.
   * @param options `count`: how many elements to pop at most.
   * @returns The key and the elements popped, or null when every list is
   * empty.
   */
  lmpop(
    keys: RedisKey | readonly RedisKey[],
    from: ListEnd,
    options?: LMPopOptions,
  ): Command<PoppedElements | null> {
    return command(
      ["LMPOP", ...lmpopArgs("LMPOP", keys, from, options)],
      toPoppedElements,
    );
  }
}
