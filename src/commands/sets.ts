/**
 * Set commands.
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
import { atLeast, keyList, optionsOf, valueList } from "./_collection_args.ts";
import {
  toBoolean,
  toBooleans,
  toNumber,
  toValueOrNull,
  toValues,
} from "./_reply.ts";
import type { CommandArg } from "../resp/encode.ts";

/** Options of SINTERCARD. */
export interface SInterCardOptions {
  /**
   * Stop counting at this many members; 0 counts them all.
   *
   * @default {0}
   */
  limit?: number;
}

/**
 * Set commands: each builds the command and says how to read its reply.
 * Members come back as arrays of strings under RESP2 and RESP3 alike (RESP3
 * sends sets, which are turned into arrays), in no particular order.
 */
export class SetCommands {
  /**
   * SADD: adds members to a set, creating it if needed.
   *
   * @param k The key.
   * @param members The members (at least one).
   * @returns How many were not already members.
   */
  sadd(k: RedisKey, ...members: RedisValue[]): Command<number> {
    return command(
      ["SADD", key("key", k), ...valueList("SADD", "member", members)],
      toNumber,
    );
  }

  /**
   * SREM: removes members from a set.
   *
   * @param k The key.
   * @param members The members (at least one).
   * @returns How many were members.
   */
  srem(k: RedisKey, ...members: RedisValue[]): Command<number> {
    return command(
      ["SREM", key("key", k), ...valueList("SREM", "member", members)],
      toNumber,
    );
  }

  /**
   * SMEMBERS: every member of a set.
   *
   * @param k The key.
   * @returns The members, in no particular order; empty when the key is
   * missing.
   */
  smembers(k: RedisKey): Command<string[]> {
    return command(["SMEMBERS", key("key", k)], toValues);
  }

  /**
   * SISMEMBER: whether a value is a member of a set.
   *
   * @param k The key.
   * @param member The value.
   * @returns Whether it is a member (false when the key is missing).
   */
  sismember(k: RedisKey, member: RedisValue): Command<boolean> {
    return command(
      ["SISMEMBER", key("key", k), value("member", member)],
      toBoolean,
    );
  }

  /**
   * SMISMEMBER: whether each of several values is a member of a set.
   *
   * @param k The key.
   * @param members The values (at least one).
   * @returns One boolean per value, in order.
   */
  smismember(k: RedisKey, ...members: RedisValue[]): Command<boolean[]> {
    return command(
      [
        "SMISMEMBER",
        key("key", k),
        ...valueList("SMISMEMBER", "member", members),
      ],
      toBooleans,
    );
  }

  /**
   * SCARD: the number of members of a set.
   *
   * @param k The key.
   * @returns The number of members; 0 when the key is missing.
   */
  scard(k: RedisKey): Command<number> {
    return command(["SCARD", key("key", k)], toNumber);
  }

  /**
   * SINTER: the members present in every one of the sets.
   *
   * @param keys The keys (at least one); a missing key is an empty set.
   * @returns The members, in no particular order.
   */
  sinter(...keys: RedisKey[]): Command<string[]> {
    return command(["SINTER", ...keyList("SINTER", keys)], toValues);
  }

  /**
   * SUNION: the members present in any of the sets.
   *
   * @param keys The keys (at least one); a missing key is an empty set.
   * @returns The members, in no particular order.
   */
  sunion(...keys: RedisKey[]): Command<string[]> {
    return command(["SUNION", ...keyList("SUNION", keys)], toValues);
  }

  /**
   * SDIFF: the members of the first set that are in none of the others.
   *
   * @param keys The keys (at least one); a missing key is an empty set.
   * @returns The members, in no particular order.
   */
  sdiff(...keys: RedisKey[]): Command<string[]> {
    return command(["SDIFF", ...keyList("SDIFF", keys)], toValues);
  }

  /**
   * SINTERSTORE: stores the intersection of sets at `destination`,
   * replacing it (an empty result deletes it).
   *
   * @param destination The key to store at.
   * @param keys The keys (at least one).
   * @returns The number of members stored.
   */
  sinterstore(destination: RedisKey, ...keys: RedisKey[]): Command<number> {
    return command(
      [
        "SINTERSTORE",
        key("destination", destination),
        ...keyList("SINTERSTORE", keys),
      ],
      toNumber,
    );
  }

  /**
   * SUNIONSTORE: stores the union of sets at `destination`, replacing it.
   *
   * @param destination The key to store at.
   * @param keys The keys (at least one).
   * @returns The number of members stored.
   */
  sunionstore(destination: RedisKey, ...keys: RedisKey[]): Command<number> {
    return command(
      [
        "SUNIONSTORE",
        key("destination", destination),
        ...keyList("SUNIONSTORE", keys),
      ],
      toNumber,
    );
  }

  /**
   * SDIFFSTORE: stores the difference of sets (the first minus the others)
   * at `destination`, replacing it.
   *
   * @param destination The key to store at.
   * @param keys The keys (at least one).
   * @returns The number of members stored.
   */
  sdiffstore(destination: RedisKey, ...keys: RedisKey[]): Command<number> {
    return command(
      [
        "SDIFFSTORE",
        key("destination", destination),
        ...keyList("SDIFFSTORE", keys),
      ],
      toNumber,
    );
  }

  /**
   * SPOP: removes and returns a random member.
   *
   * @param k The key.
   * @returns The member, or null when the set is missing.
   */
  spop(k: RedisKey): Command<string | null> {
    return command(["SPOP", key("key", k)], toValueOrNull);
  }

  /**
   * SPOP with a count: removes and returns up to `count` distinct random
   * members.
   *
   * @param k The key.
   * @param count How many members to pop (0 or more).
   * @returns The members; empty when the set is missing.
   */
  spopCount(k: RedisKey, count: number): Command<string[]> {
    return command(
      ["SPOP", key("key", k), atLeast("SPOP", "count", count, 0)],
      toValues,
    );
  }

  /**
   * SRANDMEMBER: a random member, left in the set.
   *
   * @param k The key.
   * @returns The member, or null when the set is missing.
   */
  srandmember(k: RedisKey): Command<string | null> {
    return command(["SRANDMEMBER", key("key", k)], toValueOrNull);
  }

  /**
   * SRANDMEMBER with a count: random members, left in the set.
   *
   * @example Distinct members, or a sample with repeats
   * ```ts ignore
   * await redis.srandmemberCount("s", 3);  // up to 3 distinct members
   * await redis.srandmemberCount("s", -5); // exactly 5, maybe repeated
   * ```
   *
   * @param k The key.
   * @param count More than 0: up to that many distinct members; less than
   * 0: exactly `-count` members, possibly repeated.
   * @returns The members; empty when the set is missing.
   */
  srandmemberCount(k: RedisKey, count: number): Command<string[]> {
    return command(
      ["SRANDMEMBER", key("key", k), int("count", count)],
      toValues,
    );
  }

  /**
   * SMOVE: moves a member from one set to another, atomically.
   *
   * @param source The set to take it from.
   * @param destination The set to add it to.
   * @param member The member.
   * @returns Whether it was moved (false when it was not in `source`).
   */
  smove(
    source: RedisKey,
    destination: RedisKey,
    member: RedisValue,
  ): Command<boolean> {
    return command(
      [
        "SMOVE",
        key("source", source),
        key("destination", destination),
        value("member", member),
      ],
      toBoolean,
    );
  }

  /**
   * SINTERCARD: the size of the intersection of sets, without building it.
   *
   * @example Checking whether two sets share at least one member
   * ```ts ignore
   * const shared = await redis.sintercard(["a", "b"], { limit: 1 }) > 0;
   * ```
   *
   * @param keys The key, or the keys.
   * @param options `limit`: stop counting at this many members.
   * @returns The number of members in the intersection (at most `limit`).
   */
  sintercard(
    keys: RedisKey | readonly RedisKey[],
    options?: SInterCardOptions,
  ): Command<number> {
    const list = keyList("SINTERCARD", keys);
    const args: CommandArg[] = ["SINTERCARD", list.length, ...list];
    const { limit } = optionsOf("SINTERCARD", options);
    if (limit !== undefined) {
      args.push("LIMIT", atLeast("SINTERCARD", "limit", limit, 0));
    }
    return command(args, toNumber);
  }
}
