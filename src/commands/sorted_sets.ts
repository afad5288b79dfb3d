/**
 * Sorted set commands, blocking ones included. Scores are bulk strings under
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
  valueList,
} from "./_collection_args.ts";
import {
  toNumber,
  toNumberOrNull,
  toString,
  toStringOrNull,
  toStrings,
} from "./_reply.ts";
import { ProtocolError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";

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

/** Options of ZUNIONSTORE and ZINTERSTORE. */
export interface ZStoreOptions {
  /** One multiplier per key, applied to its scores. */
  weights?: readonly number[];
  /**
   * How the scores of a member in several sets combine.
   *
   * @default {"sum"}
   */
  aggregate?: "sum" | "min" | "max";
}

/** A member of a sorted set with its score. */
export interface ScoredMember {
  /** The member. */
  member: string;
  /** Its score. */
  score: number;
}

/** A member popped by BZPOPMIN or BZPOPMAX, with its key and score. */
export interface PoppedScoredMember {
  /** The key the member was popped from. */
  key: string;
  /** The member. */
  member: string;
  /** Its score. */
  score: number;
}

const textDecoder = new TextDecoder();
const NUMBER = /^\(?[-+]?(?:inf|(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)$/i;

function shape(what: string, reply: RespValue): never {
  throw new ProtocolError(
    `Cannot read the reply as ${what} was expected, got ${
      reply === null ? "null" : Array.isArray(reply) ? "an array" : typeof reply
    }`,
  );
}

/** A score: a RESP3 double, or a RESP2 bulk string such as "1.5" or "inf". */
function toScore(reply: RespValue): number {
  if (typeof reply === "number") return reply;
  if (typeof reply === "bigint") return Number(reply);
  const text = typeof reply === "string"
    ? reply
    : reply instanceof Uint8Array
    ? textDecoder.decode(reply)
    : shape("a score", reply);
  const lower = text.toLowerCase();
  if (lower === "inf" || lower === "+inf") return Infinity;
  if (lower === "-inf") return -Infinity;
  const n = Number(text);
  if (text.trim() === "" || Number.isNaN(n)) return shape("a score", reply);
  return n;
}

function toScoreOrNull(reply: RespValue): number | null {
  return reply === null ? null : toScore(reply);
}

function toScoresOrNulls(reply: RespValue): (number | null)[] {
  if (Array.isArray(reply)) return reply.map(toScoreOrNull);
  return shape("an array", reply);
}

/**
 * Members with scores: a flat `[member, score, ...]` array (RESP2, and
 * RESP3 ZPOPMIN without a count) or an array of `[member, score]` pairs
 * (RESP3).
 */
function toScoredMembers(reply: RespValue): ScoredMember[] {
  if (!Array.isArray(reply)) return shape("an array", reply);
  if (reply.length > 0 && Array.isArray(reply[0])) {
    return reply.map((pair) => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        return shape("a [member, score] pair", pair);
      }
      return { member: toString(pair[0]), score: toScore(pair[1]) };
    });
  }
  if (reply.length % 2 !== 0) return shape("member, score pairs", reply);
  const members: ScoredMember[] = [];
  for (let i = 0; i < reply.length; i += 2) {
    members.push({ member: toString(reply[i]), score: toScore(reply[i + 1]) });
  }
  return members;
}

function toPoppedScoredMember(reply: RespValue): PoppedScoredMember | null {
  if (reply === null) return null;
  if (Array.isArray(reply) && reply.length === 3) {
    return {
      key: toString(reply[0]),
      member: toString(reply[1]),
      score: toScore(reply[2]),
    };
  }
  return shape("a [key, member, score] triple", reply);
}

function score(command: string, name: string, n: unknown): number {
  if (typeof n !== "number" || Number.isNaN(n)) {
    throw new TypeError(
      `Cannot build ${command} as ${name} must be a number, got ${
        typeof n === "number" ? n : n === null ? "null" : typeof n
      }`,
    );
  }
  return n;
}

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

function storeArgs(
  command: string,
  destination: RedisKey,
  keys: RedisKey | readonly RedisKey[],
  options: ZStoreOptions | undefined,
): CommandArg[] {
  const list = keyList(command, keys);
  const args: CommandArg[] = [
    command,
    key("destination", destination),
    list.length,
    ...list,
  ];
  const { weights, aggregate } = optionsOf(command, options);
  if (weights !== undefined) {
    if (!Array.isArray(weights) || weights.length !== list.length) {
      throw new TypeError(
        `Cannot build ${command} as weights must hold one number per key (${list.length})`,
      );
    }
    args.push(
      "WEIGHTS",
      ...weights.map((w, i) => score(command, `weights[${i}]`, w)),
    );
  }
  if (aggregate !== undefined) {
    if (aggregate !== "sum" && aggregate !== "min" && aggregate !== "max") {
      throw new TypeError(
        `Cannot build ${command} as aggregate must be "sum", "min" or "max", got ${
          typeof aggregate === "string"
            ? JSON.stringify(aggregate)
            : typeof aggregate
        }`,
      );
    }
    args.push("AGGREGATE", aggregate.toUpperCase());
  }
  return args;
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
      toStrings,
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
    return command(["ZRANDMEMBER", key("key", k)], toStringOrNull);
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
      toStrings,
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
