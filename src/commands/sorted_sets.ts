/**
 * Sorted set commands on members and their scores: adding, removing,
 * scoring, popping (blocking ones included), combining and sampling. Ranks
 * and ranges are in `sorted_set_ranges.ts`. Scores are bulk strings under
 * RESP2 and doubles under RESP3; both are read as numbers (`"inf"` and
 * `"-inf"` as `Infinity` and `-Infinity`).
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
  blockSeconds,
  keyList,
  optionsOf,
  score,
  valueList,
} from "./_collection_args.ts";
import { toNumber, toValueOrNull, toValues } from "./_reply.ts";
import { combineArgs, type ZCombineOptions } from "./_sorted_set_args.ts";
import {
  type PoppedScoredMember,
  type ScoredMember,
  toPoppedScoredMember,
  toScore,
  toScoredMembers,
  toScoreOrNull,
  toScoresOrNulls,
} from "./_sorted_set_reply.ts";
import type { CommandArg } from "../resp/encode.ts";

export type { PoppedScoredMember, ScoredMember };

/** A member and its score, to add with ZADD. */
export interface ZAddMember {
  /** The member. */
  member: RedisValue;
  /** Its score; `Infinity` and `-Infinity` are allowed, `NaN` is not. */
  score: number;
}

/** Options of ZADD with INCR ({@linkcode SortedSetCommands.zaddIncr}). */
export interface ZAddIncrOptions {
  /** Only add new members; never update existing ones. */
  nx?: boolean;
  /** Only update existing members; never add new ones. */
  xx?: boolean;
  /** Only update a score when the new one is greater. */
  gt?: boolean;
  /** Only update a score when the new one is less. */
  lt?: boolean;
}

/**
 * Options of ZADD. `nx` excludes `xx`, `gt` and `lt`; `gt` excludes `lt`.
 */
export interface ZAddOptions extends ZAddIncrOptions {
  /** Count changed members too, not only added ones. */
  ch?: boolean;
}

/** Options of ZUNIONSTORE and ZINTERSTORE: `weights` and `aggregate`. */
export type ZStoreOptions = ZCombineOptions;

function conditions(
  command: string,
  options: ZAddOptions,
): CommandArg[] {
  const { nx, xx, gt, lt } = options;
  const clash = nx && xx
    ? "nx and xx"
    : gt && lt
    ? "gt and lt"
    : nx && (gt || lt)
    ? `nx and ${gt ? "gt" : "lt"}`
    : undefined;
  if (clash !== undefined) {
    throw new TypeError(
      `Cannot build ${command} as options ${clash} exclude each other`,
    );
  }
  const args: CommandArg[] = [];
  if (nx) args.push("NX");
  if (xx) args.push("XX");
  if (gt) args.push("GT");
  if (lt) args.push("LT");
  return args;
}

function scoreMemberPairs(
  members: readonly ZAddMember[] | Record<string, number>,
): CommandArg[] {
  const args: CommandArg[] = [];
  if (Array.isArray(members)) {
    members.forEach((entry: unknown, i) => {
      if (typeof entry !== "object" || entry === null) {
        throw new TypeError(
          `Cannot build ZADD as members[${i}] must be an object with member and score`,
        );
      }
      const { member, score: s } = entry as ZAddMember;
      args.push(
        score("ZADD", `members[${i}].score`, s),
        value(`members[${i}].member`, member),
      );
    });
  } else if (typeof members === "object" && members !== null) {
    for (const [member, s] of Object.entries(members)) {
      args.push(
        score("ZADD", `the score of ${JSON.stringify(member)}`, s),
        member,
      );
    }
  } else {
    throw new TypeError(
      `Cannot build ZADD as members must be an array or a record, got ${
        members === null ? "null" : typeof members
      }`,
    );
  }
  if (args.length === 0) {
    throw new TypeError("Cannot build ZADD as it needs at least one member");
  }
  return args;
}

function storeArgs(
  command: string,
  destination: RedisKey,
  keys: RedisKey | readonly RedisKey[],
  options: ZStoreOptions | undefined,
): CommandArg[] {
  return [
    command,
    key("destination", destination),
    ...combineArgs(command, keys, options),
  ];
}

/**
 * Sorted set commands: each builds the command and says how to read its
 * reply. Scores are numbers under RESP2 and RESP3 alike.
 */
export class SortedSetCommands {
  /**
   * ZADD: adds members with scores, or updates their scores.
   *
   * @example Adding from a record, and only raising scores
   * ```ts ignore
   * await redis.zadd("board", { ada: 10, grace: 12 }); // 2
   * await redis.zadd("board", [{ member: "ada", score: 15 }], { gt: true, ch: true }); // 1
   * ```
   *
   * @param k The key.
   * @param members `{ member, score }` entries, or a record of member to
   * score (at least one).
   * @param options Conditions (`nx`, `xx`, `gt`, `lt`) and `ch`.
   * @returns How many members were added (with `ch`, added or changed).
   * @throws {TypeError} When options exclude each other or a score is NaN.
   */
  zadd(
    k: RedisKey,
    members: readonly ZAddMember[] | Record<string, number>,
    options?: ZAddOptions,
  ): Command<number> {
    const args: CommandArg[] = ["ZADD", key("key", k)];
    const opts = optionsOf("ZADD", options);
    args.push(...conditions("ZADD", opts));
    if (opts.ch) args.push("CH");
    args.push(...scoreMemberPairs(members));
    return command(args, toNumber);
  }

  /**
   * ZADD with INCR: adds `increment` to a member's score (like ZINCRBY),
   * subject to conditions.
   *
   * @param k The key.
   * @param member The member.
   * @param increment What to add to its score (0 if it is new).
   * @param options Conditions: `nx`, `xx`, `gt`, `lt`.
   * @returns The new score, or null when a condition prevented the update.
   */
  zaddIncr(
    k: RedisKey,
    member: RedisValue,
    increment: number,
    options?: ZAddIncrOptions,
  ): Command<number | null> {
    return command(
      [
        "ZADD",
        key("key", k),
        ...conditions("ZADD", optionsOf("ZADD", options)),
        "INCR",
        score("ZADD", "increment", increment),
        value("member", member),
      ],
      toScoreOrNull,
    );
  }

  /**
   * ZREM: removes members.
   *
   * @param k The key.
   * @param members The members (at least one).
   * @returns How many were members.
   */
  zrem(k: RedisKey, ...members: RedisValue[]): Command<number> {
    return command(
      ["ZREM", key("key", k), ...valueList("ZREM", "member", members)],
      toNumber,
    );
  }

  /**
   * ZSCORE: the score of a member.
   *
   * @param k The key.
   * @param member The member.
   * @returns The score, or null when it is not a member.
   */
  zscore(k: RedisKey, member: RedisValue): Command<number | null> {
    return command(
      ["ZSCORE", key("key", k), value("member", member)],
      toScoreOrNull,
    );
  }

  /**
   * ZMSCORE: the scores of several members.
   *
   * @param k The key.
   * @param members The members (at least one).
   * @returns One score per member, in order; null for non-members.
   */
  zmscore(k: RedisKey, ...members: RedisValue[]): Command<(number | null)[]> {
    return command(
      ["ZMSCORE", key("key", k), ...valueList("ZMSCORE", "member", members)],
      toScoresOrNulls,
    );
  }

  /**
   * ZINCRBY: adds to the score of a member (adding it with that score if
   * it is new).
   *
   * @param k The key.
   * @param increment What to add (may be negative or fractional).
   * @param member The member.
   * @returns The new score.
   */
  zincrby(
    k: RedisKey,
    increment: number,
    member: RedisValue,
  ): Command<number> {
    return command(
      [
        "ZINCRBY",
        key("key", k),
        score("ZINCRBY", "increment", increment),
        value("member", member),
      ],
      toScore,
    );
  }

  /**
   * ZCARD: the number of members.
   *
   * @param k The key.
   * @returns The number of members; 0 when the key is missing.
   */
  zcard(k: RedisKey): Command<number> {
    return command(["ZCARD", key("key", k)], toNumber);
  }

  /**
   * ZPOPMIN: removes and returns the members with the lowest scores.
   *
   * @param k The key.
   * @param count How many to pop (0 or more); one when omitted.
   * @returns The members and scores, lowest first; empty when the key is
   * missing.
   */
  zpopmin(k: RedisKey, count?: number): Command<ScoredMember[]> {
    const args: CommandArg[] = ["ZPOPMIN", key("key", k)];
    if (count !== undefined) args.push(atLeast("ZPOPMIN", "count", count, 0));
    return command(args, toScoredMembers);
  }

  /**
   * ZPOPMAX: removes and returns the members with the highest scores.
   *
   * @param k The key.
   * @param count How many to pop (0 or more); one when omitted.
   * @returns The members and scores, highest first; empty when the key is
   * missing.
   */
  zpopmax(k: RedisKey, count?: number): Command<ScoredMember[]> {
    const args: CommandArg[] = ["ZPOPMAX", key("key", k)];
    if (count !== undefined) args.push(atLeast("ZPOPMAX", "count", count, 0));
    return command(args, toScoredMembers);
  }

  /**
   * BZPOPMIN: pops the lowest-scored member of the first non-empty sorted
   * set, waiting for one when all are empty. Through the client it runs on
   * a connection of its own.
   *
   * @example Waiting up to half a second
   * ```ts ignore
   * const popped = await redis.bzpopmin(["tasks"], 0.5);
   * if (popped) console.log(popped.key, popped.member, popped.score);
   * ```
   *
   * @param keys The key, or the keys in the order to try them.
   * @param timeout How long to wait, in seconds (fractions allowed; 0 waits
   * for ever).
   * @returns The key, member and score, or null when the wait timed out.
   */
  bzpopmin(
    keys: RedisKey | readonly RedisKey[],
    timeout: number,
  ): Command<PoppedScoredMember | null> {
    const list = keyList("BZPOPMIN", keys);
    const seconds = blockSeconds("BZPOPMIN", timeout);
    return command(["BZPOPMIN", ...list, seconds], toPoppedScoredMember);
  }

  /**
   * BZPOPMAX: pops the highest-scored member of the first non-empty sorted
   * set, waiting for one when all are empty. Through the client it runs on
   * a connection of its own.
   *
   * @param keys The key, or the keys in the order to try them.
   * @param timeout How long to wait, in seconds (fractions allowed; 0 waits
   * for ever).
   * @returns The key, member and score, or null when the wait timed out.
   */
  bzpopmax(
    keys: RedisKey | readonly RedisKey[],
    timeout: number,
  ): Command<PoppedScoredMember | null> {
    const list = keyList("BZPOPMAX", keys);
    const seconds = blockSeconds("BZPOPMAX", timeout);
    return command(["BZPOPMAX", ...list, seconds], toPoppedScoredMember);
  }

  /**
   * ZUNIONSTORE: stores the union of sorted sets at `destination`,
   * replacing it.
   *
   * @example Weighted union keeping the highest score
   * ```ts ignore
   * await redis.zunionstore("all", ["a", "b"], { weights: [1, 2], aggregate: "max" });
   * ```
   *
   * @param destination The key to store at.
   * @param keys The key, or the keys (sets count as scores of 1).
   * @param options `weights` (one per key) and `aggregate`.
   * @returns The number of members stored.
   */
  zunionstore(
    destination: RedisKey,
    keys: RedisKey | readonly RedisKey[],
    options?: ZStoreOptions,
  ): Command<number> {
    return command(
      storeArgs("ZUNIONSTORE", destination, keys, options),
      toNumber,
    );
  }

  /**
   * ZINTERSTORE: stores the intersection of sorted sets at `destination`,
   * replacing it.
   *
   * @param destination The key to store at.
   * @param keys The key, or the keys (sets count as scores of 1).
   * @param options `weights` (one per key) and `aggregate`.
   * @returns The number of members stored.
   */
  zinterstore(
    destination: RedisKey,
    keys: RedisKey | readonly RedisKey[],
    options?: ZStoreOptions,
  ): Command<number> {
    return command(
      storeArgs("ZINTERSTORE", destination, keys, options),
      toNumber,
    );
  }

  /**
   * ZRANDMEMBER: a random member, left in the set.
   *
   * @param k The key.
   * @returns The member, or null when the key is missing.
   */
  zrandmember(k: RedisKey): Command<string | null> {
    return command(["ZRANDMEMBER", key("key", k)], toValueOrNull);
  }

  /**
   * ZRANDMEMBER with a count: random members, left in the set.
   *
   * @param k The key.
   * @param count More than 0: up to that many distinct members; less than
   * 0: exactly `-count` members, possibly repeated.
   * @returns The members; empty when the key is missing.
   */
  zrandmemberCount(k: RedisKey, count: number): Command<string[]> {
    return command(
      ["ZRANDMEMBER", key("key", k), int("count", count)],
      toValues,
    );
  }

  /**
   * ZRANDMEMBER with a count and WITHSCORES: random members with their
   * scores, left in the set.
   *
   * @param k The key.
   * @param count More than 0: up to that many distinct members; less than
   * 0: exactly `-count` members, possibly repeated.
   * @returns The members and scores; empty when the key is missing.
   */
  zrandmemberWithScores(
    k: RedisKey,
    count: number,
  ): Command<ScoredMember[]> {
    return command(
      ["ZRANDMEMBER", key("key", k), int("count", count), "WITHSCORES"],
      toScoredMembers,
    );
  }
}
