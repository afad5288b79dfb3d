/**
 * Sorted set commands that combine several sets and return the result:
 * ZUNION, ZINTER and ZDIFF, each with members only or with their scores.
 * The forms that store the result (ZUNIONSTORE, ZINTERSTORE) are in
 * `sorted_sets.ts`.
 *
 * @module
 */

import { type Command, command, type RedisKey } from "./_command.ts";
import { keyList } from "./_collection_args.ts";
import { toValues } from "./_reply.ts";
import { type ScoredMember, toScoredMembers } from "./_sorted_set_reply.ts";
import { combineArgs, type ZCombineOptions } from "./_sorted_set_args.ts";

export type { ZCombineOptions };

/**
 * Sorted set commands that combine sets: each builds the command and says
 * how to read its reply. Scores are numbers under RESP2 and RESP3 alike.
 */
export class SortedSetCombineCommands {
  /**
   * ZUNION: the members of any of the sorted sets.
   *
   * @example Members of either set
   * ```ts ignore
   * await redis.zadd("a", { x: 1, y: 2 });
   * await redis.zadd("b", { y: 3, z: 4 });
   * await redis.zunion(["a", "b"]); // ["x", "z", "y"], by combined score
   * ```
   *
   * @param keys The key, or the keys (sets count as scores of 1).
   * @param options `weights` (one per key) and `aggregate`, which order the
   * result.
   * @returns The members, lowest combined score first.
   * @throws {TypeError} When there is no key, the weights do not match the
   * keys, or the aggregate is unknown.
   */
  zunion(
    keys: RedisKey | readonly RedisKey[],
    options?: ZCombineOptions,
  ): Command<string[]> {
    return command(
      ["ZUNION", ...combineArgs("ZUNION", keys, options)],
      toValues,
    );
  }

  /**
   * ZUNION with WITHSCORES: the members of any of the sorted sets with
   * their combined scores.
   *
   * @example A weighted union keeping the highest score
   * ```ts ignore
   * await redis.zunionWithScores(["a", "b"], { weights: [1, 2], aggregate: "max" });
   * // [{ member: "x", score: 1 }, { member: "y", score: 6 }, { member: "z", score: 8 }]
   * ```
   *
   * @param keys The key, or the keys (sets count as scores of 1).
   * @param options `weights` (one per key) and `aggregate`.
   * @returns The members and combined scores, lowest first.
   * @throws {TypeError} When there is no key, the weights do not match the
   * keys, or the aggregate is unknown.
   */
  zunionWithScores(
    keys: RedisKey | readonly RedisKey[],
    options?: ZCombineOptions,
  ): Command<ScoredMember[]> {
    return command(
      ["ZUNION", ...combineArgs("ZUNION", keys, options), "WITHSCORES"],
      toScoredMembers,
    );
  }

  /**
   * ZINTER: the members of every one of the sorted sets.
   *
   * @example Members in both sets
   * ```ts ignore
   * await redis.zinter(["a", "b"]); // ["y"]
   * ```
   *
   * @param keys The key, or the keys (sets count as scores of 1).
   * @param options `weights` (one per key) and `aggregate`, which order the
   * result.
   * @returns The members, lowest combined score first.
   * @throws {TypeError} When there is no key, the weights do not match the
   * keys, or the aggregate is unknown.
   */
  zinter(
    keys: RedisKey | readonly RedisKey[],
    options?: ZCombineOptions,
  ): Command<string[]> {
    return command(
      ["ZINTER", ...combineArgs("ZINTER", keys, options)],
      toValues,
    );
  }

  /**
   * ZINTER with WITHSCORES: the members of every one of the sorted sets
   * with their combined scores.
   *
   * @example The lowest score of each common member
   * ```ts ignore
   * await redis.zinterWithScores(["a", "b"], { aggregate: "min" });
   * // [{ member: "y", score: 2 }]
   * ```
   *
   * @param keys The key, or the keys (sets count as scores of 1).
   * @param options `weights` (one per key) and `aggregate`.
   * @returns The members and combined scores, lowest first.
   * @throws {TypeError} When there is no key, the weights do not match the
   * keys, or the aggregate is unknown.
   */
  zinterWithScores(
    keys: RedisKey | readonly RedisKey[],
    options?: ZCombineOptions,
  ): Command<ScoredMember[]> {
    return command(
      ["ZINTER", ...combineArgs("ZINTER", keys, options), "WITHSCORES"],
      toScoredMembers,
    );
  }

  /**
   * ZDIFF: the members of the first sorted set that are in none of the
   * others.
   *
   * @example Members only in the first set
   * ```ts ignore
   * await redis.zdiff(["a", "b"]); // ["x"]
   * ```
   *
   * @param keys The first set, then the sets whose members to leave out.
   * @returns The members, by their score in the first set.
   * @throws {TypeError} When there is no key.
   */
  zdiff(keys: RedisKey | readonly RedisKey[]): Command<string[]> {
    const list = keyList("ZDIFF", keys);
    return command(["ZDIFF", list.length, ...list], toValues);
  }

  /**
   * ZDIFF with WITHSCORES: the members of the first sorted set that are in
   * none of the others, with their scores in the first set.
   *
   * @example Members only in the first set, with their scores
   * ```ts ignore
   * await redis.zdiffWithScores(["a", "b"]); // [{ member: "x", score: 1 }]
   * ```
   *
   * @param keys The first set, then the sets whose members to leave out.
   * @returns The members and their scores, lowest first.
   * @throws {TypeError} When there is no key.
   */
  zdiffWithScores(
    keys: RedisKey | readonly RedisKey[],
  ): Command<ScoredMember[]> {
    const list = keyList("ZDIFF", keys);
    return command(
      ["ZDIFF", list.length, ...list, "WITHSCORES"],
      toScoredMembers,
    );
  }
}
