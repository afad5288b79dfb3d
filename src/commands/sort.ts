/**
 * SORT and SORT_RO: the elements of a list, set or sorted set in numeric
 * or lexicographic order, optionally by the values of other keys, returned
 * or stored.
 *
 * @module
 */

import { type Command, command, int, key, type RedisKey } from "./_command.ts";
import { atLeast, optionsOf } from "./_collection_args.ts";
import { toNumber, toValueOrNullEach } from "./_reply.ts";
import type { CommandArg } from "../resp/encode.ts";

/** Options of SORT and SORT_RO. */
export interface SortOptions {
  /**
   * Sort by the values of other keys: a pattern whose first `*` is replaced
   * by each element (`"weight_*"`, or `"user_*->age"` for a hash field);
   * `"nosort"` skips sorting.
   */
  by?: RedisKey;
  /**
   * Skip `offset` elements and return at most `count` (a negative count
   * returns all the rest).
   */
  limit?: { offset: number; count: number };
  /**
   * Instead of each element, return the values of other keys: one pattern
   * per value, in order, each element's values one after the other; `"#"`
   * is the element itself.
   */
  get?: readonly RedisKey[];
  /**
   * Lowest first (`"asc"`) or highest first (`"desc"`).
   *
   * @default {"asc"}
   */
  order?: "asc" | "desc";
  /** Compare as strings, not as numbers. */
  alpha?: boolean;
}

function sortArgs(
  command: string,
  k: RedisKey,
  options: SortOptions | undefined,
): CommandArg[] {
  const args: CommandArg[] = [command, key("key", k)];
  const { by, limit, get, order, alpha } = optionsOf(command, options);
  if (by !== undefined) args.push("BY", key("by", by));
  if (limit !== undefined) {
    if (typeof limit !== "object" || limit === null) {
      throw new TypeError(
        `Cannot build ${command} as limit must be an object with offset and count`,
      );
    }
    args.push(
      "LIMIT",
      atLeast(command, "limit.offset", limit.offset, 0),
      int("limit.count", limit.count),
    );
  }
  if (get !== undefined) {
    if (!Array.isArray(get) || get.length === 0) {
      throw new TypeError(
        `Cannot build ${command} as get must be a non-empty array of patterns`,
      );
    }
    for (let i = 0; i < get.length; i++) {
      args.push("GET", key(`get[${i}]`, get[i]));
    }
  }
  if (order !== undefined) {
    if (order !== "asc" && order !== "desc") {
      throw new TypeError(
        `Cannot build ${command} as order must be "asc" or "desc", got ${
          typeof order === "string" ? JSON.stringify(order) : typeof order
        }`,
      );
    }
    args.push(order === "asc" ? "ASC" : "DESC");
  }
  if (alpha) args.push("ALPHA");
  return args;
}

/** SORT and SORT_RO: each builds the command and says how to read its reply. */
export class SortCommands {
  /**
   * SORT: the elements of a list, set or sorted set, sorted.
   *
   * @example Numbers, strings, and sorting by other keys
   * ```ts ignore
   * await redis.rpush("ids", "3", "1", "2");
   * await redis.sort("ids"); // ["1", "2", "3"]
   * await redis.sort("names", { alpha: true, order: "desc", limit: { offset: 0, count: 10 } });
   * await redis.sort("ids", { by: "weight_*", get: ["#", "name_*"] });
   * // ["2", "two", "3", "three", "1", null]: name_1 is missing
   * ```
   *
   * @param k The key.
   * @param options `by`, `limit`, `get`, `order` and `alpha`.
   * @returns The elements in order (with `get`, each element's values one
   * after the other; null where a key or hash field is missing); empty
   * when the key is missing.
   * @throws {TypeError} When an option is malformed.
   * @throws {ReplyError} When an element is not a number and `alpha` is
   * not set.
   */
  sort(k: RedisKey, options?: SortOptions): Command<(string | null)[]> {
    return command(sortArgs("SORT", k, options), toValueOrNullEach);
  }

  /**
   * SORT_RO: SORT as a read-only command, which replicas serve (it cannot
   * store).
   *
   * @example Reading the top three by score keys
   * ```ts ignore
   * await redis.sortRo("ids", { by: "score_*", order: "desc", limit: { offset: 0, count: 3 } });
   * ```
   *
   * @param k The key.
   * @param options `by`, `limit`, `get`, `order` and `alpha`.
   * @returns The elements in order (with `get`, each element's values one
   * after the other; null where a key or hash field is missing).
   * @throws {TypeError} When an option is malformed.
   * @throws {ReplyError} When an element is not a number and `alpha` is
   * not set.
   */
  sortRo(k: RedisKey, options?: SortOptions): Command<(string | null)[]> {
    return command(sortArgs("SORT_RO", k, options), toValueOrNullEach);
  }

  /**
   * SORT with STORE: sorts and stores the result as a list at
   * `destination`, replacing it (an empty result deletes it).
   *
   * @example Storing a sorted copy
   * ```ts ignore
   * await redis.sortStore("ids", "ids:sorted", { order: "desc" }); // 3
   * await redis.lrange("ids:sorted", 0, -1); // ["3", "2", "1"]
   * ```
   *
   * @param k The key.
   * @param destination The key to store the list at.
   * @param options `by`, `limit`, `get`, `order` and `alpha`.
   * @returns The number of elements stored.
   * @throws {TypeError} When an option is malformed.
   * @throws {ReplyError} When an element is not a number and `alpha` is
   * not set.
   */
  sortStore(
    k: RedisKey,
    destination: RedisKey,
    options?: SortOptions,
  ): Command<number> {
    const args = sortArgs("SORT", k, options);
    args.push("STORE", key("destination", destination));
    return command(args, toNumber);
  }
}
