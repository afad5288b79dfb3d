/**
 * Reply types and mappers of the sorted set commands. Scores are bulk
 * strings under RESP2 and doubles under RESP3; both are read as numbers
 * (`"inf"` and `"-inf"` as `Infinity` and `-Infinity`).
 *
 * @module
 */

import type { RespValue } from "../resp/decode.ts";
import { toValue, unexpected } from "./_reply.ts";

/**
 * A member of a sorted set with its score.
 *
 * @typeParam V `string`, or `Uint8Array` from a view made by
 * `withOptions({ bytes: true })`.
 */
export interface ScoredMember<V extends string | Uint8Array = string> {
  /** The member. */
  member: V;
  /** Its score. */
  score: number;
}

/**
 * A member popped by BZPOPMIN or BZPOPMAX, with its key and score.
 *
 * @typeParam V `string`, or `Uint8Array` from a view made by
 * `withOptions({ bytes: true })`.
 */
export interface PoppedScoredMember<V extends string | Uint8Array = string> {
  /** The key the member was popped from. */
  key: V;
  /** The member. */
  member: V;
  /** Its score. */
  score: number;
}

const textDecoder = new TextDecoder();

/** A score: a RESP3 double, or a RESP2 bulk string such as "1.5" or "inf". */
export function toScore(reply: RespValue): number {
  if (typeof reply === "number") return reply;
  if (typeof reply === "bigint") return Number(reply);
  const text = typeof reply === "string"
    ? reply
    : reply instanceof Uint8Array
    ? textDecoder.decode(reply)
    : unexpected("a score", reply);
  const lower = text.toLowerCase();
  if (lower === "inf" || lower === "+inf") return Infinity;
  if (lower === "-inf") return -Infinity;
  const n = Number(text);
  if (text.trim() === "" || Number.isNaN(n)) {
    return unexpected("a score", reply);
  }
  return n;
}

/** A score or null (ZSCORE, ZADD with INCR). */
export function toScoreOrNull(reply: RespValue): number | null {
  return reply === null ? null : toScore(reply);
}

/** One score or null per member (ZMSCORE). */
export function toScoresOrNulls(reply: RespValue): (number | null)[] {
  if (Array.isArray(reply)) return reply.map(toScoreOrNull);
  return unexpected("an array", reply);
}

/**
 * Members with scores: a flat `[member, score, ...]` array (RESP2, and
 * RESP3 ZPOPMIN without a count) or an array of `[member, score]` pairs
 * (RESP3).
 */
export function toScoredMembers(reply: RespValue): ScoredMember[] {
  if (!Array.isArray(reply)) return unexpected("an array", reply);
  if (reply.length > 0 && Array.isArray(reply[0])) {
    return reply.map((pair) => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        return unexpected("a [member, score] pair", pair);
      }
      return { member: toValue(pair[0]), score: toScore(pair[1]) };
    });
  }
  if (reply.length % 2 !== 0) return unexpected("member, score pairs", reply);
  const members: ScoredMember[] = [];
  for (let i = 0; i < reply.length; i += 2) {
    members.push({ member: toValue(reply[i]), score: toScore(reply[i + 1]) });
  }
  return members;
}

/** A popped `[key, member, score]`, or null when the wait timed out. */
export function toPoppedScoredMember(
  reply: RespValue,
): PoppedScoredMember | null {
  if (reply === null) return null;
  if (Array.isArray(reply) && reply.length === 3) {
    return {
      key: toValue(reply[0]),
      member: toValue(reply[1]),
      score: toScore(reply[2]),
    };
  }
  return unexpected("a [key, member, score] triple", reply);
}
