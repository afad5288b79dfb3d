/**
 * Sorted set commands that work on members in order: ranks, counts of a
 * score or lexicographic range, and ranges by index, score or lexicographic
 * order, returned, stored or removed.
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
import { atLeast, optionsOf, score } from "./_collection_args.ts";
import { toNumber, toNumberOrNull, toValues } from "./_reply.ts";
import { type ScoredMember, toScoredMembers } from "./_sorted_set_reply.ts";
import type { CommandArg } from "../resp/encode.ts";

/**
 * A score bound: a number (`Infinity` and `-Infinity` allowed) or a string
 * such as `"1.5"`, `"(1"` (exclusive), `"-inf"` or `"+inf"`.
 */
export type ScoreBound = number | string;

/**
 * Options of ZRANGE and ZRANGESTORE. Without `byScore` or `byLex`, `start`
 * and `stop` are indexes.
 */
export interface ZRangeOptions {
  /** `start` and `stop` are score bounds such as `1`, `"(1"` or `"+inf"`. */
  byScore?: boolean;
  /** `start` and `stop` are lexicographic bounds: `"[a"`, `"(a"`, `"-"`, `"+"`. */
  byLex?: boolean;
  /**
   * Highest first. With `byScore` or `byLex`, give the higher bound as
   * `start`.
   */
  rev?: boolean;
  /**
   * Skip `offset` matches and return at most `count` (a negative count
   * returns all the rest). Only with `byScore` or `byLex`.
   */
  limit?: { offset: number; count: number };
}

const NUMBER = /^\(?[-+]?(?:inf|(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)$/i;

function scoreBound(command: string, name: string, bound: unknown): CommandArg {
  if (typeof bound === "string") {
    if (NUMBER.test(bound)) return bound;
    throw new TypeError(
      `Cannot build ${command} as ${name} must be a score bound such as 1, "(1", "-inf" or "+inf", got ${
        JSON.stringify(bound)
      }`,
    );
  }
  return score(command, name, bound);
}

function lexBound(command: string, name: string, bound: unknown): string {
  if (
    typeof bound === "string" &&
    (bound === "-" || bound === "+" || bound[0] === "[" || bound[0] === "(")
  ) return bound;
  throw new TypeError(
    `Cannot build ${command} as ${name} must be a lexicographic bound such as "[a", "(a", "-" or "+", got ${
      typeof bound === "string" ? JSON.stringify(bound) : typeof bound
    }`,
  );
}

function rangeArgs(
  command: string,
  start: ScoreBound,
  stop: ScoreBound,
  options: ZRangeOptions | undefined,
): CommandArg[] {
  const { byScore, byLex, rev, limit } = optionsOf(command, options);
  if (byScore && byLex) {
    throw new TypeError(
      `Cannot build ${command} as options byScore and byLex exclude each other`,
    );
  }
  const args: CommandArg[] = byScore
    ? [scoreBound(command, "start", start), scoreBound(command, "stop", stop)]
    : byLex
    ? [lexBound(command, "start", start), lexBound(command, "stop", stop)]
    : [int("start", start), int("stop", stop)];
  if (byScore) args.push("BYSCORE");
  if (byLex) args.push("BYLEX");
  if (rev) args.push("REV");
  if (limit !== undefined) {
    if (!byScore && !byLex) {
      throw new TypeError(
        `Cannot build ${command} as option limit needs byScore or byLex`,
      );
    }
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
  return args;
}

/**
 * Sorted set rank and range commands: each builds the command and says how
 * to read its reply. Scores are numbers under RESP2 and RESP3 alike.
 */
export class SortedSetRangeCommands {
  /**
   * ZCOUNT: the number of members with a score between two bounds.
   *
   * @param k The key.
   * @param min The lower bound, e.g. `1`, `"(1"` (exclusive) or `"-inf"`.
   * @param max The upper bound, e.g. `5`, `"(5"` or `"+inf"`.
   * @returns The number of members in range.
   */
  zcount(k: RedisKey, min: ScoreBound, max: ScoreBound): Command<number> {
    return command(
      [
        "ZCOUNT",
        key("key", k),
        scoreBound("ZCOUNT", "min", min),
        scoreBound("ZCOUNT", "max", max),
      ],
      toNumber,
    );
  }

  /**
   * ZRANK: the rank of a member, lowest score first (0 is the lowest).
   *
   * @param k The key.
   * @param member The member.
   * @returns The rank, or null when it is not a member.
   */
  zrank(k: RedisKey, member: RedisValue): Command<number | null> {
    return command(
      ["ZRANK", key("key", k), value("member", member)],
      toNumberOrNull,
    );
  }

  /**
   * ZREVRANK: the rank of a member, highest score first (0 is the highest).
   *
   * @param k The key.
   * @param member The member.
   * @returns The rank, or null when it is not a member.
   */
  zrevrank(k: RedisKey, member: RedisValue): Command<number | null> {
    return command(
      ["ZREVRANK", key("key", k), value("member", member)],
      toNumberOrNull,
    );
  }

  /**
   * ZRANGE: members by index, by score or by lexicographic order.
   *
   * @example Ranges by index, by score and by lexicographic order
   * ```ts ignore
   * await redis.zrange("board", 0, 2, { rev: true }); // the top three
   * await redis.zrange("board", "(10", "+inf", {
   *   byScore: true,
   *   limit: { offset: 0, count: 5 },
   * });
   * await redis.zrange("names", "[a", "(c", { byLex: true });
   * ```
   *
   * @param k The key.
   * @param start The first index, or the lower bound (the higher one with
   * `rev`).
   * @param stop The last index, or the upper bound (the lower one with
   * `rev`).
   * @param options `byScore`, `byLex`, `rev` and `limit`.
   * @returns The members in order; empty when the key is missing.
   */
  zrange(
    k: RedisKey,
    start: ScoreBound,
    stop: ScoreBound,
    options?: ZRangeOptions,
  ): Command<string[]> {
    return command(
      ["ZRANGE", key("key", k), ...rangeArgs("ZRANGE", start, stop, options)],
      toValues,
    );
  }

  /**
   * ZRANGE with WITHSCORES: members with their scores, by index or by score.
   *
   * @param k The key.
   * @param start The first index, or the lower bound (the higher one with
   * `rev`).
   * @param stop The last index, or the upper bound (the lower one with
   * `rev`).
   * @param options `byScore`, `rev` and `limit` (`byLex` cannot return
   * scores).
   * @returns The members and scores in order.
   */
  zrangeWithScores(
    k: RedisKey,
    start: ScoreBound,
    stop: ScoreBound,
    options?: ZRangeOptions,
  ): Command<ScoredMember[]> {
    if (options?.byLex) {
      throw new TypeError(
        "Cannot build ZRANGE as option byLex cannot return scores",
      );
    }
    return command(
      [
        "ZRANGE",
        key("key", k),
        ...rangeArgs("ZRANGE", start, stop, options),
        "WITHSCORES",
      ],
      toScoredMembers,
    );
  }

  /**
   * ZRANGESTORE: stores a range of a sorted set at `destination`,
   * replacing it (an empty range deletes it).
   *
   * @param destination The key to store at.
   * @param source The sorted set to read.
   * @param start The first index, or the lower bound (the higher one with
   * `rev`).
   * @param stop The last index, or the upper bound (the lower one with
   * `rev`).
   * @param options `byScore`, `byLex`, `rev` and `limit`.
   * @returns The number of members stored.
   */
  zrangestore(
    destination: RedisKey,
    source: RedisKey,
    start: ScoreBound,
    stop: ScoreBound,
    options?: ZRangeOptions,
  ): Command<number> {
    return command(
      [
        "ZRANGESTORE",
        key("destination", destination),
        key("source", source),
        ...rangeArgs("ZRANGESTORE", start, stop, options),
      ],
      toNumber,
    );
  }

  /**
   * ZLEXCOUNT: the number of members between two lexicographic bounds (for
   * a sorted set whose members all have the same score).
   *
   * @example Counting names from "b" up to, not including, "d"
   * ```ts ignore
   * await redis.zadd("names", { ada: 0, bob: 0, cleo: 0, dan: 0 });
   * await redis.zlexcount("names", "[b", "(d"); // 2
   * ```
   *
   * @param k The key.
   * @param min The lower bound: `"[a"` (included), `"(a"` (excluded) or
   * `"-"`.
   * @param max The upper bound: `"[z"`, `"(z"` or `"+"`.
   * @returns The number of members in range; 0 when the key is missing.
   * @throws {TypeError} When a bound does not start with `[` or `(` and is
   * not `-` or `+`.
   */
  zlexcount(k: RedisKey, min: string, max: string): Command<number> {
    return command(
      [
        "ZLEXCOUNT",
        key("key", k),
        lexBound("ZLEXCOUNT", "min", min),
        lexBound("ZLEXCOUNT", "max", max),
      ],
      toNumber,
    );
  }

  /**
   * ZREMRANGEBYSCORE: removes the members with a score between two bounds.
   *
   * @example Dropping entries older than a cutoff
   * ```ts ignore
   * const cutoff = Date.now() - 60_000;
   * await redis.zremrangebyscore("recent", "-inf", `(${cutoff}`);
   * ```
   *
   * @param k The key.
   * @param min The lower bound, e.g. `1`, `"(1"` (exclusive) or `"-inf"`.
   * @param max The upper bound, e.g. `5`, `"(5"` or `"+inf"`.
   * @returns How many members were removed.
   * @throws {TypeError} When a bound is not a number or a score bound.
   */
  zremrangebyscore(
    k: RedisKey,
    min: ScoreBound,
    max: ScoreBound,
  ): Command<number> {
    return command(
      [
        "ZREMRANGEBYSCORE",
        key("key", k),
        scoreBound("ZREMRANGEBYSCORE", "min", min),
        scoreBound("ZREMRANGEBYSCORE", "max", max),
      ],
      toNumber,
    );
  }

  /**
   * ZREMRANGEBYRANK: removes the members between two ranks, both included
   * (0 is the lowest score; negative ranks count from the highest).
   *
   * @example Keeping only the ten highest scores
   * ```ts ignore
   * await redis.zremrangebyrank("board", 0, -11);
   * ```
   *
   * @param k The key.
   * @param start The first rank to remove.
   * @param stop The last rank to remove.
   * @returns How many members were removed.
   * @throws {TypeError} When a rank is not an integer.
   */
  zremrangebyrank(k: RedisKey, start: number, stop: number): Command<number> {
    return command(
      [
        "ZREMRANGEBYRANK",
        key("key", k),
        int("start", start),
        int("stop", stop),
      ],
      toNumber,
    );
  }

  /**
   * ZREMRANGEBYLEX: removes the members between two lexicographic bounds
   * (for a sorted set whose members all have the same score).
   *
   * @example Removing every name that starts with "a"
   * ```ts ignore
   * await redis.zremrangebylex("names", "[a", "(b");
   * ```
   *
   * @param k The key.
   * @param min The lower bound: `"[a"` (included), `"(a"` (excluded) or
   * `"-"`.
   * @param max The upper bound: `"[z"`, `"(z"` or `"+"`.
   * @returns How many members were removed.
   * @throws {TypeError} When a bound does not start with `[` or `(` and is
   * not `-` or `+`.
   */
  zremrangebylex(k: RedisKey, min: string, max: string): Command<number> {
    return command(
      [
        "ZREMRANGEBYLEX",
        key("key", k),
        lexBound("ZREMRANGEBYLEX", "min", min),
        lexBound("ZREMRANGEBYLEX", "max", max),
      ],
      toNumber,
    );
  }
}
